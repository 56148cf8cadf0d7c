/* The in-kernel vGICv3 and KVM's emulated ITS. */
#ifndef ITSY_ARM64_GIC_H
#define ITSY_ARM64_GIC_H

#include <stdint.h>

struct kvm;

struct gic {
	int gic_fd;	/* KVM_DEV_TYPE_ARM_VGIC_V3 */
	int its_fd;	/* KVM_DEV_TYPE_ARM_VGIC_ITS */
};

#define GIC_NR_IRQS	128	/* SGIs + PPIs + 96 SPIs; a multiple of 32 */

/* Create and initialise both, at the memory map's addresses. Must run after
 * every vCPU exists and before any runs. -errno, with a message logged. */
int gic_create(struct kvm *k, struct gic *g);

/* The KVM_IRQ_LINE number of SPI @spi (GIC INTID 32 + @spi). */
uint32_t gic_spi_line(unsigned spi);

#endif
