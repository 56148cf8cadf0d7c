#include "devices/virtio/virtqueue.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

/* A guest descriptor, read once and converted to host order. */
struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* Where pop is in a chain: the output and how many descriptors are left. */
struct walk {
	const struct guest_mem *mem;
	struct virtq_chain *c;
	unsigned budget;
};

static int virtq_break(struct virtq *q)
{
	q->broken = 1;
	return -EIO;
}

/* used_event lives after avail->ring[size], avail_event after used->ring[size]. */
static __virtio16 *used_event(const struct virtq *q)
{
	return &q->vr.avail->ring[q->size];
}

static __virtio16 *avail_event(const struct virtq *q)
{
	return (__virtio16 *)&q->vr.used->ring[q->size];
}

static void store16(__virtio16 *p, uint16_t val)
{
	__atomic_store_n(p, htole16(val), __ATOMIC_RELAXED);
}

void virtq_used_written(const struct virtq *q)
{
	mem_dirty_mark(q->mem, q->vr.used, 6 + 8 * (uint64_t)q->size);
}

static uint16_t load16(const __virtio16 *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

/* Host pointer to a ring of @len bytes at @gpa aligned to @align, or NULL. */
static void *ring_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len,
		      uint64_t align)
{
	if (gpa & (align - 1))
		return NULL;
	return mem_ptr(m, gpa, len);
}

int virtq_init(struct virtq *q, const struct guest_mem *m, uint16_t size,
	       uint64_t desc, uint64_t avail, uint64_t used, int event_idx)
{
	uint64_t n = size;
	void *d, *a, *u;

	if (!size || (size & (size - 1)))
		return -EINVAL;
	d = ring_ptr(m, desc, sizeof(struct vring_desc) * n, VRING_DESC_ALIGN_SIZE);
	a = ring_ptr(m, avail, sizeof(struct vring_avail) + sizeof(__virtio16) * (n + 1),
		     VRING_AVAIL_ALIGN_SIZE);
	u = ring_ptr(m, used, sizeof(struct vring_used) +
		     sizeof(struct vring_used_elem) * n + sizeof(__virtio16),
		     VRING_USED_ALIGN_SIZE);
	if (!d || !a || !u)
		return -EINVAL;
	*q = (struct virtq){
		.mem = m, .size = size,
		.desc_gpa = desc, .avail_gpa = avail, .used_gpa = used,
		.vr = { .num = size, .desc = d, .avail = a, .used = u },
		.event_idx = !!event_idx, .signalled_valid = 1, .notify = 1,
	};
	return 0;
}

int virtq_pending(struct virtq *q)
{
	uint16_t idx, n;

	if (q->broken)
		return -EIO;
	if (!q->size)
		return 0;	/* never set up: the driver did not enable it */
	/* Acquire: ring entries are read only after the index. */
	idx = le16toh(__atomic_load_n(&q->vr.avail->idx, __ATOMIC_ACQUIRE));
	n = idx - q->last_avail;
	/* Why count the chains still held too: each owns a descriptor, so
	 * a driver that makes more than the queue size available at once
	 * has handed out a descriptor the device holds. */
	if (n > q->size - (uint16_t)(q->last_avail - q->used_idx))
		return virtq_break(q);
	return n;
}

/* One copy of the descriptor at @p (any alignment): the guest may be
 * rewriting it, every check must see the values that are used. */
static void desc_read(const void *p, struct desc *d)
{
	struct vring_desc raw;

	memcpy(&raw, p, sizeof(raw));
	d->addr = le64toh(raw.addr);
	d->len = le32toh(raw.len);
	d->flags = le16toh(raw.flags);
	d->next = le16toh(raw.next);
}

static int seg_add(struct walk *w, const struct desc *d)
{
	struct virtq_chain *c = w->c;
	unsigned n = c->nread + c->nwrite;
	int wr = !!(d->flags & VRING_DESC_F_WRITE);
	void *p = mem_ptr(w->mem, d->addr, d->len);	/* overflow-safe */

	if (!p || n == VIRTQ_MAX_SEGS || (!wr && c->nwrite))
		return -EIO;
	c->seg[n] = (struct virtq_seg){ .ptr = p, .len = d->len, .writable = wr };
	if (wr) {
		c->nwrite++;
		c->write_len += d->len;
	} else {
		c->nread++;
		c->read_len += d->len;
	}
	return 0;
}

static int walk_indirect(struct walk *w, const struct desc *d);

/* Follow the chain starting at entry @i of @tab, a table of @n descriptors;
 * @nested when @tab is itself an indirect table. */
static int walk_table(struct walk *w, const uint8_t *tab, uint32_t n,
		      uint16_t i, int nested)
{
	struct desc d;

	for (;;) {
		if (i >= n || !w->budget)
			return -EIO;
		desc_read(tab + (size_t)i * sizeof(struct vring_desc), &d);
		if (d.flags & VRING_DESC_F_INDIRECT)
			return nested ? -EIO : walk_indirect(w, &d);
		w->budget--;
		if (seg_add(w, &d) < 0)
			return -EIO;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

static int walk_indirect(struct walk *w, const struct desc *d)
{
	const uint8_t *tab;

	if ((d->flags & VRING_DESC_F_NEXT) || !d->len ||
	    d->len % sizeof(struct vring_desc))
		return -EIO;
	tab = mem_ptr(w->mem, d->addr, d->len);
	if (!tab)
		return -EIO;
	return walk_table(w, tab, d->len / sizeof(struct vring_desc), 0, 1);
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	struct walk w = { .mem = q->mem, .c = c, .budget = q->size };
	int r = virtq_pending(q);

	if (r <= 0)
		return r;
	c->head = load16(&q->vr.avail->ring[q->last_avail & (q->size - 1)]);
	c->nread = c->nwrite = 0;
	c->read_len = c->write_len = 0;
	if (walk_table(&w, (const uint8_t *)q->vr.desc, q->size, c->head, 0) < 0)
		return virtq_break(q);
	q->last_avail++;
	if (q->event_idx && q->notify) {
		store16(avail_event(q), q->last_avail);
		virtq_used_written(q);
		/* Before the next avail->idx read: see virtq_set_notify(). */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	return 1;
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	vring_used_elem_t *e;

	if (q->broken)
		return -EIO;
	if (head >= q->size || q->used_idx == q->last_avail)
		return -EINVAL;
	e = &q->vr.used->ring[q->used_idx & (q->size - 1)];
	e->id = htole32(head);
	e->len = htole32(len);
	q->used_idx++;
	/* Release: the element is visible before the index that covers it. */
	__atomic_store_n(&q->vr.used->idx, htole16(q->used_idx), __ATOMIC_RELEASE);
	virtq_used_written(q);
	return 0;
}

void virtq_mark_written(const struct virtq *q, const struct virtq_seg *seg, unsigned nseg,
			uint64_t len)
{
	for (unsigned i = 0; i < nseg && len; i++) {
		uint64_t n = seg[i].len < len ? seg[i].len : len;

		if (!seg[i].writable)
			continue;
		mem_dirty_mark(q->mem, seg[i].ptr, n);
		len -= n;
	}
}

int virtq_need_notify(struct virtq *q)
{
	uint16_t old = q->signalled_used, new = q->used_idx;
	int valid = q->signalled_valid;

	if (!q->size)
		return 0;	/* never set up: nothing was pushed */
	q->signalled_used = new;
	q->signalled_valid = 1;
	/* Our used->idx store before the driver's event or flags load. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!valid)
		return 1;
	if (q->event_idx)
		return vring_need_event(load16(used_event(q)), new, old);
	if (new == old)
		return 0;
	return !(load16(&q->vr.avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
}

int virtq_set_notify(struct virtq *q, int enable)
{
	if (!q->size)
		return 0;
	q->notify = !!enable;
	if (!q->event_idx)
		store16(&q->vr.used->flags, enable ? 0 : VRING_USED_F_NO_NOTIFY);
	else if (enable)
		store16(avail_event(q), q->last_avail);
	virtq_used_written(q);
	/* Our store before the avail->idx load: else a buffer the driver
	 * added without kicking (it saw the old value) would be missed. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_pending(q);
}

void virtq_get_state(const struct virtq *q, struct virtq_state *s)
{
	s->last_avail = q->last_avail;
	s->used_idx = q->used_idx;
}

int virtq_set_state(struct virtq *q, const struct virtq_state *s)
{
	if ((uint16_t)(s->last_avail - s->used_idx) > q->size)
		return -EINVAL;
	q->last_avail = s->last_avail;
	q->used_idx = s->used_idx;
	q->signalled_valid = 0;
	return 0;
}
