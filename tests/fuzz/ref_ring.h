/* A second reading of the split-virtqueue rules of
 * devices/virtio/virtqueue.h, for the virtio fuzzers: walk the chain a
 * device would pop next straight from guest RAM, and say what virtq_pop()
 * must return for it. Written from the header's contract, not from
 * virtqueue.c: where the two disagree, one of them is wrong.
 *
 * A walk may note every byte of guest RAM it read (struct ref_seen): a
 * harness that walks before it calls a backend can then tell whether the
 * backend wrote over them meanwhile (a guest buffer laid over a ring or a
 * descriptor table), in which case what it walked is not what the device
 * popped. Header-only; single-threaded. */
#ifndef ITSY_FUZZ_REF_RING_H
#define ITSY_FUZZ_REF_RING_H

#include <endian.h>
#include <errno.h>
#include <linux/virtio_ring.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtqueue.h"
#include "vmm/mem.h"

#define REF_KEEP_SEGS	32	/* segments kept of a walked chain */

struct ref_chain {
	int ok;				/* 0: popping it breaks the queue */
	uint16_t head;
	unsigned nread, nwrite;
	uint64_t read_len, write_len;
	unsigned nkept;			/* seg[0 .. nkept): the first segments */
	struct virtq_seg seg[REF_KEEP_SEGS];
};

/* The guest RAM bytes walks read since ref_seen_clear(), and their values. */
struct ref_seen {
	const struct guest_mem *mem;
	uint8_t *bit;			/* one per byte of RAM */
	uint8_t *copy;
	uint64_t lo, hi;		/* offsets marked lie in [lo, hi) */
};

static inline void ref_seen_init(struct ref_seen *s, const struct guest_mem *m)
{
	s->mem = m;
	s->bit = calloc(m->size, 1);
	s->copy = calloc(m->size, 1);
	s->lo = m->size;
	s->hi = 0;
	if (!s->bit || !s->copy)
		abort();
}

static inline void ref_seen_clear(struct ref_seen *s)
{
	if (s->lo < s->hi)
		memset(s->bit + s->lo, 0, s->hi - s->lo);
	s->lo = s->mem->size;
	s->hi = 0;
}

/* 1 if a byte read since the last clear holds another value now. */
static inline int ref_seen_changed(const struct ref_seen *s)
{
	const uint8_t *ram = s->mem->hva;

	for (uint64_t i = s->lo; i < s->hi; i++)
		if (s->bit[i] && s->copy[i] != ram[i])
			return 1;
	return 0;
}

/* 1 if a walk since the last clear read any byte of [@gpa, @gpa + @len). */
static inline int ref_seen_any(const struct ref_seen *s, uint64_t gpa, uint64_t len)
{
	uint64_t lo, hi;

	if (gpa < s->mem->gpa || gpa - s->mem->gpa >= s->mem->size)
		return 0;
	lo = gpa - s->mem->gpa;
	hi = len < s->mem->size - lo ? lo + len : s->mem->size;
	lo = lo > s->lo ? lo : s->lo;
	hi = hi < s->hi ? hi : s->hi;
	return lo < hi && memchr(s->bit + lo, 1, hi - lo);
}

/* Copy @len bytes of guest RAM at @gpa to @dst (if not NULL), noting them
 * in @s (if not NULL). -1 if any byte lies outside guest RAM. */
static inline int ref_read(struct ref_seen *s, const struct guest_mem *m, uint64_t gpa,
			   void *dst, uint64_t len)
{
	const uint8_t *p = mem_ptr(m, gpa, len);
	uint64_t off;

	if (!p)
		return -1;
	if (dst)
		memcpy(dst, p, len);
	if (!s || !len)
		return 0;
	off = p - m->hva;
	memset(s->bit + off, 1, len);
	memcpy(s->copy + off, p, len);
	s->lo = off < s->lo ? off : s->lo;
	s->hi = off + len > s->hi ? off + len : s->hi;
	return 0;
}

static inline uint16_t ref_u16(struct ref_seen *s, const struct guest_mem *m, uint64_t gpa)
{
	uint16_t v = 0;

	ref_read(s, m, gpa, &v, 2);
	return le16toh(v);
}

/* Chains the driver made available past @last_avail, or -1 when the index
 * ran ahead of the room the queue has (@q->size less the chains taken and
 * not yet used): the queue breaks. */
static inline int ref_pending(struct ref_seen *s, const struct virtq *q, uint16_t last_avail)
{
	uint16_t n = ref_u16(s, q->mem, q->avail_gpa + 2) - last_avail;
	uint16_t held = last_avail - q->used_idx;	/* taken, not yet used */

	return n > q->size - held ? -1 : n;
}

/* One segment of a chain: in RAM, readable ones first, not too many. */
static inline int ref_seg(const struct guest_mem *m, struct ref_chain *c,
			  const struct vring_desc *d)
{
	int wr = !!(d->flags & VRING_DESC_F_WRITE);
	void *p = mem_ptr(m, d->addr, d->len);
	unsigned n = c->nread + c->nwrite;

	if (!p || n == VIRTQ_MAX_SEGS || (!wr && c->nwrite))
		return -1;
	if (n < REF_KEEP_SEGS)
		c->seg[c->nkept++] = (struct virtq_seg){ .ptr = p, .len = d->len, .writable = wr };
	if (wr) {
		c->nwrite++;
		c->write_len += d->len;
	} else {
		c->nread++;
		c->read_len += d->len;
	}
	return 0;
}

/* Walk the chain at @head of @q's descriptor table into @c; c->ok says
 * whether it is a chain the contract accepts. */
static inline void ref_walk(struct ref_seen *s, const struct virtq *q, uint16_t head,
			    struct ref_chain *c)
{
	uint64_t table = q->desc_gpa, n = q->size;
	unsigned budget = q->size, nested = 0;
	uint16_t i = head;
	struct vring_desc d;

	memset(c, 0, offsetof(struct ref_chain, seg));
	c->head = head;
	for (;;) {
		if (i >= n || !budget || ref_read(s, q->mem, table + 16ull * i, &d, 16))
			return;
		d.addr = le64toh(d.addr), d.len = le32toh(d.len);
		d.flags = le16toh(d.flags), d.next = le16toh(d.next);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* A table ends the chain, holds no table, and is whole
			 * descriptors inside RAM. */
			if (nested || (d.flags & VRING_DESC_F_NEXT) || !d.len || d.len % 16 ||
			    !mem_ptr(q->mem, d.addr, d.len))
				return;
			table = d.addr, n = d.len / 16, i = 0, nested = 1;
			continue;
		}
		budget--;
		if (ref_seg(q->mem, c, &d))
			return;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		i = d.next;
	}
	c->ok = 1;
}

/* What virtq_pop() must do on @q, whose next avail index is @last_avail:
 * 1 and the chain in @c, 0 (nothing available), or -1 (the queue breaks,
 * or is broken). */
static inline int ref_next(struct ref_seen *s, const struct virtq *q, uint16_t last_avail,
			   struct ref_chain *c)
{
	int n;

	if (q->broken)
		return -1;
	if (!q->size)
		return 0;
	n = ref_pending(s, q, last_avail);
	if (n <= 0)
		return n;
	ref_walk(s, q, ref_u16(s, q->mem, q->avail_gpa + 4 + 2ull * (last_avail & (q->size - 1))),
		 c);
	return c->ok ? 1 : -1;
}

/* Did virtq_pop() return @rc and chain @got where the walk said @want and
 * @ref? Everything the walk kept must be equal. */
static inline int ref_same(int want, const struct ref_chain *ref, int rc,
			   const struct virtq_chain *got)
{
	if (rc != (want < 0 ? -EIO : want))
		return 0;
	if (rc <= 0)
		return 1;
	if (got->head != ref->head || got->nread != ref->nread || got->nwrite != ref->nwrite ||
	    got->read_len != ref->read_len || got->write_len != ref->write_len)
		return 0;
	for (unsigned i = 0; i < ref->nkept; i++)
		if (got->seg[i].ptr != ref->seg[i].ptr || got->seg[i].len != ref->seg[i].len ||
		    got->seg[i].writable != ref->seg[i].writable)
			return 0;
	return 1;
}

/* Every segment of @c lies inside guest RAM. */
static inline int ref_inside(const struct guest_mem *m, const struct virtq_chain *c)
{
	for (unsigned i = 0; i < c->nread + c->nwrite; i++) {
		const uint8_t *p = c->seg[i].ptr;

		if (p < m->hva || p > m->hva + m->size || c->seg[i].len > m->hva + m->size - p)
			return 0;
	}
	return 1;
}

#endif
