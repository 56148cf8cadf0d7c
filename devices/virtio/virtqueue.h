/* Split virtqueues (virtio 1.x), device side: take descriptor chains off
 * the available ring, give them back on the used ring, and decide on kicks
 * and interrupts. Portable: knows guest RAM (vmm/mem.h) and nothing of the
 * transport, KVM or threads.
 *
 * Contract:
 *  - One thread drives a queue; the driver (guest) runs concurrently, and
 *    everything it wrote is untrusted. Bad guest data never crashes or
 *    hangs: the queue turns "broken", virtq_pop() and virtq_pending()
 *    return -EIO from then on, and the device should ask for a reset
 *    (DEVICE_NEEDS_RESET). Only virtq_init() clears it.
 *  - virtq_init() translates the three rings once: @m must outlive the
 *    queue and its mapping must not move. Chain buffers are translated on
 *    every pop.
 *  - A chain is the device-readable segments then the device-writable ones
 *    (the spec's order, enforced). Zero-length buffers are kept as
 *    segments of length 0; their address must still be in guest RAM (or
 *    end exactly at its end).
 *  - One chain holds at most @size descriptors in all, indirect table
 *    entries included (the descriptor that points at a table does not
 *    count), and at most VIRTQ_MAX_SEGS segments; more is -EIO.
 *  - Indirect descriptors are accepted whether or not
 *    VIRTIO_F_INDIRECT_DESC was negotiated, anywhere a chain may end;
 *    their WRITE flag is ignored. Tables need no alignment.
 *  - Ring fields are little-endian (virtio 1.x); no legacy guests.
 *  - A queue never set up (all zero: the driver did not enable it) has
 *    nothing pending: virtq_pop(), virtq_set_notify() and
 *    virtq_need_notify() return 0 and touch no ring, virtq_push() is
 *    -EINVAL. */
#ifndef ITSY_VIRTQUEUE_H
#define ITSY_VIRTQUEUE_H

#include <linux/virtio_ring.h>
#include <stdint.h>

#include "vmm/mem.h"

#define VIRTQ_MAX_SIZE	32768	/* spec limit of a split queue */
#define VIRTQ_MAX_SEGS	1024	/* segments of one chain */

struct virtq_seg {
	void *ptr;		/* host pointer, valid for @len bytes */
	uint32_t len;
	int writable;		/* device writes it */
};

/* seg[0 .. nread) are device-readable, seg[nread .. nread + nwrite)
 * device-writable. About 16 KiB: keep one per device, not on a small stack. */
struct virtq_chain {
	uint16_t head;		/* give it back to virtq_push() */
	unsigned nread, nwrite;
	uint64_t read_len, write_len;	/* bytes, sum of the segments */
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
};

struct virtq {
	const struct guest_mem *mem;
	uint16_t size;			/* power of two */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct vring vr;		/* host pointers of the three rings */
	int event_idx;			/* VIRTIO_F_EVENT_IDX negotiated */
	uint16_t last_avail;		/* next avail index to consume */
	uint16_t used_idx;		/* next used index to publish */
	uint16_t signalled_used;	/* used_idx at the last notify decision */
	int signalled_valid;		/* 0: unknown, virtq_need_notify() says 1 */
	int notify;			/* the driver is asked for kicks */
	int broken;
};

/* Snapshot of the device-side indices; the rings live in guest RAM. */
struct virtq_state {
	uint16_t last_avail, used_idx;
};

/* Set @q up for a queue of @size entries whose descriptor table, available
 * ring and used ring are at guest addresses @desc, @avail and @used.
 * -EINVAL if @size is not a power of two (0 included), a ring is misaligned
 * (16, 2, 4) or any byte of one (event fields included: 16 * size,
 * 6 + 2 * size, 6 + 8 * size) is outside guest RAM. Writes nothing to the
 * rings; notifications start enabled. @q is unusable after an error. */
int virtq_init(struct virtq *q, const struct guest_mem *m, uint16_t size,
	       uint64_t desc, uint64_t avail, uint64_t used, int event_idx);

/* Number of chains the driver has made available and virtq_pop() has not
 * taken yet (acquire-ordered read of avail->idx), or -EIO if broken or the
 * index ran ahead of the room the queue has: @size less the chains taken
 * and not yet pushed (which breaks the queue). */
int virtq_pending(struct virtq *q);

/* Take the next available chain into @c: 1 if one was taken, 0 if none is
 * available, -EIO if the queue is or just became broken (@c is garbage and
 * nothing is consumed). With EVENT_IDX and notifications enabled, it also
 * moves avail_event to the new last_avail. */
int virtq_pop(struct virtq *q, struct virtq_chain *c);

/* Return chain @head, of which the device wrote @len bytes, to the driver:
 * writes used->ring[used_idx % size], then publishes used->idx with release
 * ordering. -EINVAL if @head >= size or nothing popped is outstanding,
 * -EIO if broken. */
int virtq_push(struct virtq *q, uint16_t head, uint32_t len);

/* After one or more pushes: 1 if the device must interrupt the driver,
 * 0 if not. EVENT_IDX: used_event has been crossed since the last call;
 * otherwise: something was pushed since the last call and the driver did
 * not set VRING_AVAIL_F_NO_INTERRUPT. Says 1 when it cannot know (after
 * virtq_set_state()). Each call is a decision: the next call only looks at
 * the pushes after it. */
int virtq_need_notify(struct virtq *q);

/* The device wrote the used ring outside virtq_push() (a batch of
 * elements published at once): a live migration sends it again. */
void virtq_used_written(const struct virtq *q);

/* Before pushing a chain whose buffers the device filled: note the first
 * @len bytes of its writable segments as written (a live migration sends
 * them again; see mem_dirty_mark). virtq_push() notes the used ring. */
void virtq_mark_written(const struct virtq *q, const struct virtq_seg *seg, unsigned nseg,
			uint64_t len);

/* Ask (@enable) or stop asking the driver for kicks: used->flags'
 * VRING_USED_F_NO_NOTIFY without EVENT_IDX; with it, enabling writes
 * avail_event = last_avail and disabling leaves it behind. Then, after a
 * full barrier, returns virtq_pending(): a device that enables and gets
 * a positive count must pop again, the driver may not have kicked. */
int virtq_set_notify(struct virtq *q, int enable);

void virtq_get_state(const struct virtq *q, struct virtq_state *s);

/* Restore indices saved by virtq_get_state() into a queue just set up by
 * virtq_init(). -EINVAL if more than @size chains would be in flight. */
int virtq_set_state(struct virtq *q, const struct virtq_state *s);

#endif
