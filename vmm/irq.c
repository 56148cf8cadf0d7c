#include "vmm/irq.h"
#include "vmm/kvm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

void irq_init(struct irq_routes *r, const struct kvm *kvm)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->kvm = kvm;
}

int irq_msi_alloc(struct irq_routes *r)
{
	int gsi = -ENOSPC;

	pthread_mutex_lock(&r->lock);
	if (r->n < IRQ_MAX_MSI)
		gsi = IRQ_MSI_BASE + r->n++;
	pthread_mutex_unlock(&r->lock);
	return gsi;
}

static void fill_entry(struct kvm_irq_routing_entry *e, unsigned gsi, const struct irq_msi *m)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->flags = KVM_MSI_VALID_DEVID;	/* the ITS needs the DeviceID */
	e->u.msi.address_lo = (uint32_t)m->addr;
	e->u.msi.address_hi = (uint32_t)(m->addr >> 32);
	e->u.msi.data = m->data;
	e->u.msi.devid = m->devid;
}

/* KVM_SET_GSI_ROUTING replaces the whole table: send every valid route. */
static int push_table(struct irq_routes *r)
{
	struct kvm_irq_routing *t = calloc(1, sizeof(*t) + r->n * sizeof(t->entries[0]));
	int rc;

	if (!t)
		return -ENOMEM;
	for (unsigned i = 0; i < r->n; i++)
		if (r->msi[i].valid)
			fill_entry(&t->entries[t->nr++], IRQ_MSI_BASE + i, &r->msi[i]);
	rc = ioctl(r->kvm->vm_fd, KVM_SET_GSI_ROUTING, t) < 0 ? -errno : 0;
	free(t);
	return rc;
}

int irq_msi_set(struct irq_routes *r, unsigned gsi, uint64_t addr,
		uint32_t data, uint32_t devid, int valid)
{
	unsigned i = gsi - IRQ_MSI_BASE;
	int rc = -EINVAL;

	pthread_mutex_lock(&r->lock);
	if (gsi >= IRQ_MSI_BASE && i < r->n) {
		r->msi[i] = (struct irq_msi){ addr, data, devid, valid };
		rc = push_table(r);
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int irq_irqfd(const struct kvm *kvm, unsigned gsi, int fd, int assign)
{
	struct kvm_irqfd f = {
		.fd = (uint32_t)fd, .gsi = gsi, .flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return ioctl(kvm->vm_fd, KVM_IRQFD, &f) < 0 ? -errno : 0;
}

int irq_ioeventfd(const struct kvm *kvm, uint64_t addr, unsigned len, int fd, int assign)
{
	struct kvm_ioeventfd e = {
		.addr = addr, .len = len, .fd = fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	return ioctl(kvm->vm_fd, KVM_IOEVENTFD, &e) < 0 ? -errno : 0;
}
