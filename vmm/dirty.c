#include "vmm/dirty.h"
#include "vmm/kvm.h"
#include "vmm/mem.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BPL	(8 * sizeof(long))

uint64_t dirty_bitmap_bytes(const struct dirty_log *d)
{
	return (d->npages + 63) / 64 * 8;	/* KVM wants 64-bit multiples */
}

static int set_logging(const struct dirty_log *d, int on)
{
	return kvm_set_memory_flags(d->kvm, d->slot, d->mem->gpa, d->mem->size, d->mem->hva,
				    on ? KVM_MEM_LOG_DIRTY_PAGES : 0);
}

int dirty_start(struct dirty_log *d, const struct kvm *k, struct guest_mem *m, uint32_t slot)
{
	long page = sysconf(_SC_PAGESIZE);
	int rc;

	memset(d, 0, sizeof(*d));
	d->kvm = k;
	d->mem = m;
	d->slot = slot;
	d->shift = (unsigned)__builtin_ctzl((unsigned long)page);
	d->npages = m->size >> d->shift;
	d->kvm_bits = calloc(1, dirty_bitmap_bytes(d));
	/* The devices' log lives as long as the RAM: a device thread may
	 * still hold its pointer just after a dirty_stop(). */
	if (!m->dirty_buf)
		m->dirty_buf = calloc(1, dirty_bitmap_bytes(d));
	else
		memset(m->dirty_buf, 0, dirty_bitmap_bytes(d));
	d->dev_bits = m->dirty_buf;
	if (!d->kvm_bits || !d->dev_bits) {
		dirty_stop(d);
		return -ENOMEM;
	}
	/* Why before the slot flag: with manual protection on, turning the
	 * log on write-protects every page once and GET_DIRTY_LOG no longer
	 * re-protects by itself; CLEAR_DIRTY_LOG does, page range by range. */
	d->manual = kvm_check(k, 1, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0 &&
		    kvm_enable_cap(k, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
				   KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) == 0;
	m->dirty_shift = d->shift;
	__atomic_store_n(&m->dirty, d->dev_bits, __ATOMIC_RELEASE);
	rc = set_logging(d, 1);
	if (rc)
		dirty_stop(d);
	return rc;
}

static int kvm_collect(struct dirty_log *d)
{
	struct kvm_dirty_log get = { .slot = d->slot, .dirty_bitmap = d->kvm_bits };
	/* The whole slot at once: KVM takes any length that ends the slot. */
	struct kvm_clear_dirty_log clear = {
		.slot = d->slot, .first_page = 0, .num_pages = (uint32_t)d->npages,
		.dirty_bitmap = d->kvm_bits,
	};
	int rc = kvm_vm_ioctl(d->kvm, KVM_GET_DIRTY_LOG, &get);

	if (!rc && d->manual)
		rc = kvm_vm_ioctl(d->kvm, KVM_CLEAR_DIRTY_LOG, &clear);
	return rc;
}

int64_t dirty_collect(struct dirty_log *d, unsigned long *out)
{
	uint64_t words = dirty_bitmap_bytes(d) / sizeof(long);
	int64_t added = 0;
	int rc = kvm_collect(d);

	if (rc)
		return rc;
	for (uint64_t i = 0; i < words; i++) {
		/* Acquire: pairs with mem_dirty_mark's release. */
		unsigned long dev = __atomic_exchange_n(&d->dev_bits[i], 0, __ATOMIC_ACQUIRE);
		unsigned long new = (d->kvm_bits[i] | dev) & ~out[i];

		out[i] |= new;
		added += __builtin_popcountl(new);
	}
	return added;
}

void dirty_stop(struct dirty_log *d)
{
	if (d->mem) {
		__atomic_store_n(&d->mem->dirty, NULL, __ATOMIC_RELEASE);
		set_logging(d, 0);
	}
	if (d->manual)
		kvm_enable_cap(d->kvm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0);
	free(d->kvm_bits);
	d->kvm_bits = NULL;
	d->mem = NULL;
	d->manual = 0;
}
