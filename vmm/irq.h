/* Interrupt plumbing into KVM for devices: MSI routes (GSI routing, the
 * PCI requester id as the ITS DeviceID), irqfds bound to them, and
 * ioeventfds for guest doorbell writes. Thread-safe; a route update does
 * not stop the vCPUs (KVM swaps the table under SRCU). */
#ifndef ITSY_IRQ_H
#define ITSY_IRQ_H

#include <pthread.h>
#include <stdint.h>

struct kvm;

#define IRQ_MAX_MSI	256
#define IRQ_MSI_BASE	128	/* first GSI handed out; SPIs keep 0..95 */

struct irq_msi {
	uint64_t addr;
	uint32_t data, devid;
	int valid;		/* programmed by the guest: in KVM's table */
};

struct irq_routes {
	pthread_mutex_t lock;
	const struct kvm *kvm;
	struct irq_msi msi[IRQ_MAX_MSI];	/* GSI IRQ_MSI_BASE + index */
	unsigned n;
};

void irq_init(struct irq_routes *r, const struct kvm *kvm);

/* A new MSI GSI, with no route yet. -ENOSPC when all are taken. */
int irq_msi_alloc(struct irq_routes *r);

/* Point @gsi at the message (@addr, @data) from requester @devid, or take
 * its route out of KVM's table when !@valid. Rewrites KVM's table. */
int irq_msi_set(struct irq_routes *r, unsigned gsi, uint64_t addr,
		uint32_t data, uint32_t devid, int valid);

/* Bind (or unbind) eventfd @fd to @gsi: a write to it injects the MSI. */
int irq_irqfd(const struct kvm *kvm, unsigned gsi, int fd, int assign);

/* Signal eventfd @fd on guest writes of @len bytes at MMIO @addr, in the
 * kernel, without an exit to userspace (or stop doing so). */
int irq_ioeventfd(const struct kvm *kvm, uint64_t addr, unsigned len, int fd, int assign);

#endif
