/* Dirty page tracking for live migration: which pages of guest RAM
 * changed since the last look. Two logs are merged: KVM's, of the guest's
 * own writes (KVM_GET_DIRTY_LOG on a memory slot with
 * KVM_MEM_LOG_DIRTY_PAGES, re-armed with KVM_CLEAR_DIRTY_LOG where
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 is offered), and the VMM's, of what its
 * devices wrote (mem_dirty_mark).
 *
 * Contract: one thread drives a log; vCPUs and device threads may run
 * meanwhile. Pages are host pages (the bitmap's bit N is RAM offset
 * N << shift). A page written after dirty_collect() returned is in the
 * next collection. */
#ifndef ITSY_DIRTY_H
#define ITSY_DIRTY_H

#include <stdint.h>

struct kvm;
struct guest_mem;

struct dirty_log {
	const struct kvm *kvm;
	struct guest_mem *mem;
	uint32_t slot;
	unsigned shift;			/* log2 of the page size */
	uint64_t npages;
	unsigned long *kvm_bits;	/* KVM_GET_DIRTY_LOG's output */
	unsigned long *dev_bits;	/* the devices' log (mem->dirty_buf) */
	int manual;			/* KVM_CLEAR_DIRTY_LOG is in use */
};

/* Start logging slot @slot, which maps all of @m. -errno (nothing is left
 * switched on then). */
int dirty_start(struct dirty_log *d, const struct kvm *k, struct guest_mem *m, uint32_t slot);

/* Pages dirtied since the start or the last call, OR-ed into @out
 * (npages bits, caller-zeroed or not), and re-armed. Returns how many bits
 * were newly set in @out, or -errno. */
int64_t dirty_collect(struct dirty_log *d, unsigned long *out);

/* Bytes of a bitmap for @d. */
uint64_t dirty_bitmap_bytes(const struct dirty_log *d);

/* Stop logging and free the log. Safe after a failed start. */
void dirty_stop(struct dirty_log *d);

#endif
