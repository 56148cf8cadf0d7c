#include "tests/unit/fake_irq.h"
#include "vmm/irq.h"

#include <errno.h>
#include <string.h>

struct fake_irq fake_irq;

void fake_irq_reset(void)
{
	memset(&fake_irq, 0, sizeof(fake_irq));
	for (unsigned i = 0; i < FAKE_IRQ_DOORBELLS; i++)
		fake_irq.door[i].fd = -1;
}

int fake_irq_doorbell(uint64_t addr)
{
	for (unsigned i = 0; i < FAKE_IRQ_DOORBELLS; i++)
		if (fake_irq.door[i].fd >= 0 && fake_irq.door[i].addr == addr)
			return fake_irq.door[i].fd;
	return -1;
}

void irq_init(struct irq_routes *r, const struct kvm *kvm)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->kvm = kvm;
}

int irq_msi_alloc(struct irq_routes *r)
{
	return r->n < IRQ_MAX_MSI ? (int)(IRQ_MSI_BASE + r->n++) : -ENOSPC;
}

int irq_msi_set(struct irq_routes *r, unsigned gsi, uint64_t addr, uint32_t data,
		uint32_t devid, int valid)
{
	if (gsi < IRQ_MSI_BASE || gsi >= IRQ_MSI_BASE + r->n)
		return -EINVAL;
	r->msi[gsi - IRQ_MSI_BASE] = (struct irq_msi){ addr, data, devid, valid };
	fake_irq.msi_sets++;
	return 0;
}

int irq_irqfd(const struct kvm *kvm, unsigned gsi, int fd, int assign)
{
	(void)kvm;
	(void)gsi;
	(void)fd;
	fake_irq.irqfds += assign ? 1 : -1;
	return 0;
}

/* Like KVM: one eventfd per address, -EEXIST for a second. */
int irq_ioeventfd(const struct kvm *kvm, uint64_t addr, unsigned len, int fd, int assign)
{
	(void)kvm;
	(void)len;
	for (unsigned i = 0; i < FAKE_IRQ_DOORBELLS; i++) {
		struct fake_doorbell *d = &fake_irq.door[i];

		if (d->fd >= 0 && d->addr == addr) {
			if (assign)
				return -EEXIST;
			d->fd = -1;
			return 0;
		}
	}
	for (unsigned i = 0; assign && i < FAKE_IRQ_DOORBELLS; i++)
		if (fake_irq.door[i].fd < 0) {
			fake_irq.door[i] = (struct fake_doorbell){ addr, fd };
			return 0;
		}
	return assign ? -ENOSPC : -ENOENT;
}
