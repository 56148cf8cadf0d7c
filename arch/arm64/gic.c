#include "arch/arm64/gic.h"
#include "arch/arm64/memmap.h"
#include "vmm/kvm.h"
#include "vmm/log.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

uint32_t gic_spi_line(unsigned spi)
{
	return KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | (32 + spi);
}

static int step(int rc, const char *what)
{
	if (rc < 0)
		log_msg("vGIC: %s: %s", what, strerror(-rc));
	return rc;
}

static int set_addr(int fd, uint64_t type, enum memmap_id id, const char *what)
{
	uint64_t base = memmap_get(id)->base;

	return step(kvm_device_set(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, type, &base), what);
}

static int create_gicv3(struct kvm *k, struct gic *g)
{
	uint32_t nr_irqs = GIC_NR_IRQS;
	int rc;

	g->gic_fd = step(kvm_create_device(k, KVM_DEV_TYPE_ARM_VGIC_V3),
			 "create GICv3 (does this host have a GICv3?)");
	if (g->gic_fd < 0)
		return g->gic_fd;
	rc = set_addr(g->gic_fd, KVM_VGIC_V3_ADDR_TYPE_DIST, MM_GICD, "distributor address");
	if (!rc)	/* one region; KVM gives each vCPU 128 KiB of it in vCPU order */
		rc = set_addr(g->gic_fd, KVM_VGIC_V3_ADDR_TYPE_REDIST, MM_GICR, "redistributor address");
	if (!rc)
		rc = step(kvm_device_set(g->gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs),
			  "number of IRQs");
	return rc;
}

static int create_its(struct kvm *k, struct gic *g)
{
	int rc;

	g->its_fd = step(kvm_create_device(k, KVM_DEV_TYPE_ARM_VGIC_ITS),
			 "create ITS (needs a GICv3 host and a KVM with vITS)");
	if (g->its_fd < 0)
		return g->its_fd;
	rc = set_addr(g->its_fd, KVM_VGIC_ITS_ADDR_TYPE, MM_ITS, "ITS address");
	if (!rc)
		rc = step(kvm_device_set(g->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
					 KVM_DEV_ARM_VGIC_CTRL_INIT, NULL), "ITS init");
	return rc;
}

/*
 * The documented order (arm-vgic-v3.rst, arm-vgic-its.rst):
 *  1. vCPUs exist already: CTRL_INIT sizes the redistributors by vCPU count.
 *  2. GICv3 device, its distributor and redistributor addresses, NR_IRQS.
 *  3. CTRL_INIT of the distributor, before any vCPU runs.
 *  4. The ITS device (it needs the GICv3 device to exist) and its address,
 *     then its CTRL_INIT. Creating it turns on KVM_CAP_MSI_DEVID: MSIs
 *     must now carry a DeviceID (our PCI requester id).
 */
int gic_create(struct kvm *k, struct gic *g)
{
	int rc;

	rc = create_gicv3(k, g);
	if (!rc)
		rc = step(kvm_device_set(g->gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
					 KVM_DEV_ARM_VGIC_CTRL_INIT, NULL), "GICv3 init");
	if (!rc)
		rc = create_its(k, g);
	if (!rc && kvm_check(k, 1, KVM_CAP_MSI_DEVID) != 1) {
		log_msg("vGIC: KVM_CAP_MSI_DEVID is not set after creating the ITS");
		rc = -ENOTSUP;
	}
	return rc;
}
