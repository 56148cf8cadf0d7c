/* The driver's side of one split virtqueue in a test's guest RAM, for the
 * unit tests that play the guest: write descriptors, make chains
 * available, read the used ring back. Layout: descriptors at @base, the
 * available ring at @base + 0x1000, the used ring at @base + 0x2000 (room
 * for 256 entries). */
#ifndef ITSY_TESTS_GUEST_RING_H
#define ITSY_TESTS_GUEST_RING_H

#include <check.h>
#include <endian.h>
#include <linux/virtio_ring.h>
#include <stdint.h>

#include "devices/virtio/virtqueue.h"
#include "vmm/mem.h"

struct guest_ring {
	const struct guest_mem *mem;
	uint16_t size, next, avail_idx;
	uint64_t desc, avail, used;
};

static inline void *gr_ptr(const struct guest_ring *r, uint64_t gpa, uint64_t len)
{
	void *p = mem_ptr(r->mem, gpa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}

static inline void gr_init(struct guest_ring *r, const struct guest_mem *m, uint16_t size,
			   uint64_t base)
{
	*r = (struct guest_ring){ .mem = m, .size = size, .desc = base,
				  .avail = base + 0x1000, .used = base + 0x2000 };
}

/* Set up the device side @q on this ring. */
static inline void gr_attach(const struct guest_ring *r, struct virtq *q, int event_idx)
{
	ck_assert_int_eq(virtq_init(q, r->mem, r->size, r->desc, r->avail, r->used, event_idx), 0);
}

/* The next free descriptor, pointing at @len bytes at @addr. */
static inline uint16_t gr_desc(struct guest_ring *r, uint64_t addr, uint32_t len, uint16_t flags)
{
	uint16_t i = r->next++ % r->size;
	struct vring_desc *d = gr_ptr(r, r->desc + 16ull * i, 16);

	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16((uint16_t)((i + 1) % r->size));
	return i;
}

/* A chain of @n descriptors of @len bytes each at @addr (all the same
 * buffer), device-writable if @writable. Returns its head. */
static inline uint16_t gr_chain(struct guest_ring *r, unsigned n, uint64_t addr, uint32_t len,
				int writable)
{
	uint16_t head = 0;

	for (unsigned k = 0; k < n; k++) {
		uint16_t f = (writable ? VRING_DESC_F_WRITE : 0) | (k + 1 < n ? VRING_DESC_F_NEXT : 0);
		uint16_t i = gr_desc(r, addr, len, f);

		if (!k)
			head = i;
	}
	return head;
}

/* Make chain @head available (and publish the new index). */
static inline void gr_publish(struct guest_ring *r, uint16_t head)
{
	struct vring_avail *a = gr_ptr(r, r->avail, 4 + 2ull * r->size);

	a->ring[r->avail_idx % r->size] = htole16(head);
	__atomic_store_n(&a->idx, htole16(++r->avail_idx), __ATOMIC_RELEASE);
}

static inline uint16_t gr_used_idx(const struct guest_ring *r)
{
	const struct vring_used *u = gr_ptr(r, r->used, 4);

	return le16toh(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE));
}

/* Length the device wrote for used element @n (0 = the first). */
static inline uint32_t gr_used_len(const struct guest_ring *r, uint16_t n)
{
	const struct vring_used *u = gr_ptr(r, r->used, 4 + 8ull * r->size);

	return le32toh(u->ring[n % r->size].len);
}

#endif
