/* Split virtqueues (devices/virtio/virtqueue.c). The tests play the
 * driver: they write rings and descriptors into guest RAM by hand. */
#include "devices/virtio/virtqueue.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "tests/unit/unit.h"

#define BASE	0x40000000ull		/* guest address of RAM */
#define RAM	0x100000ull		/* 1 MiB */
#define END	(BASE + RAM)
#define QSZ	16
#define DESC	(BASE + 0x0000)
#define AVAIL	(BASE + 0x1000)
#define USED	(BASE + 0x2000)
#define TABLE	(BASE + 0x8000)		/* indirect tables */
#define BUF	(BASE + 0x10000)	/* data buffers */

#define R	0
#define W	VRING_DESC_F_WRITE
#define N	VRING_DESC_F_NEXT
#define I	VRING_DESC_F_INDIRECT

static struct guest_mem mem;
static struct virtq q;
static struct virtq_chain c;

static void *gp(uint64_t gpa)
{
	return mem.hva + (gpa - BASE);
}

static void init(uint16_t size, uint64_t desc, uint64_t avail, uint64_t used, int event_idx)
{
	ck_assert_int_eq(virtq_init(&q, &mem, size, desc, avail, used, event_idx), 0);
}

static void setup(void)
{
	ck_assert_int_eq(mem_alloc(&mem, BASE, RAM), 0);
	init(QSZ, DESC, AVAIL, USED, 0);
}

static void teardown(void)
{
	mem_free(&mem);
}

static struct vring_avail *avail(void)
{
	return gp(q.avail_gpa);
}

static struct vring_used *used(void)
{
	return gp(q.used_gpa);
}

/* The event fields after the two rings. */
static __virtio16 *used_event(void)
{
	return &avail()->ring[q.size];
}

static uint16_t avail_event(void)
{
	__virtio16 *p = gp(q.used_gpa + sizeof(struct vring_used) +
			   q.size * sizeof(struct vring_used_elem));

	return le16toh(*p);
}

static void put_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct vring_desc *d = gp(table + i * sizeof(*d));

	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

static void desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	put_desc(q.desc_gpa, i, addr, len, flags, next);
}

static void set_avail_idx(uint16_t idx)
{
	avail()->idx = htole16(idx);
}

/* Make chain @head available, as the driver does. */
static void offer(uint16_t head)
{
	uint16_t idx = le16toh(avail()->idx);

	avail()->ring[idx % q.size] = htole16(head);
	set_avail_idx(idx + 1);
}

/* Pop one chain and give it back with @len bytes written. */
static void serve(uint32_t len)
{
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_int_eq(virtq_push(&q, c.head, len), 0);
}

/* Offer @n single-descriptor chains (head 0). */
static void offer_n(unsigned n)
{
	desc(0, BUF, 64, W, 0);
	for (unsigned i = 0; i < n; i++)
		offer(0);
}

static void assert_seg(unsigned i, uint64_t gpa, uint32_t len, int writable)
{
	ck_assert_ptr_eq(c.seg[i].ptr, gp(gpa));
	ck_assert_uint_eq(c.seg[i].len, len);
	ck_assert_int_eq(c.seg[i].writable, writable);
}

static void assert_broken(void)
{
	uint16_t last = q.last_avail;

	ck_assert_int_eq(virtq_pop(&q, &c), -EIO);
	ck_assert_int_eq(q.broken, 1);
	ck_assert_uint_eq(q.last_avail, last);	/* nothing consumed */
}

/* Fresh rings and queue, for tests that try several bad chains. */
static void reset(void)
{
	memset(mem.hva, 0, RAM);
	init(QSZ, DESC, AVAIL, USED, 0);
}

START_TEST(simple_chain)
{
	desc(0, BUF, 100, R | N, 1);
	desc(1, BUF + 0x1000, 200, W, 0);
	offer(0);
	ck_assert_int_eq(virtq_pending(&q), 1);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_uint_eq(c.head, 0);
	ck_assert_uint_eq(c.nread, 1);
	ck_assert_uint_eq(c.nwrite, 1);
	ck_assert_uint_eq(c.read_len, 100);
	ck_assert_uint_eq(c.write_len, 200);
	assert_seg(0, BUF, 100, 0);
	assert_seg(1, BUF + 0x1000, 200, 1);
	ck_assert_uint_eq(q.last_avail, 1);
	ck_assert_int_eq(virtq_pop(&q, &c), 0);
}
END_TEST

START_TEST(empty_queue)
{
	ck_assert_int_eq(virtq_pending(&q), 0);
	ck_assert_int_eq(virtq_pop(&q, &c), 0);
	ck_assert_uint_eq(q.last_avail, 0);
	ck_assert_int_eq(q.broken, 0);
}
END_TEST

START_TEST(chains_in_order)
{
	static const uint16_t heads[] = { 5, 0, 15, 7 };

	for (unsigned i = 0; i < 4; i++) {
		desc(heads[i], BUF + i * 0x100, 10 + i, R, 0);
		offer(heads[i]);
	}
	ck_assert_int_eq(virtq_pending(&q), 4);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_int_eq(virtq_pop(&q, &c), 1);
		ck_assert_uint_eq(c.head, heads[i]);
		ck_assert_uint_eq(c.nread, 1);
		assert_seg(0, BUF + i * 0x100, 10 + i, 0);
	}
	ck_assert_int_eq(virtq_pop(&q, &c), 0);
}
END_TEST

START_TEST(whole_queue_chain)
{
	for (uint16_t i = 0; i < QSZ; i++)
		desc(i, BUF + i * 0x10, 0x10, i < QSZ - 1 ? R | N : W, i + 1);
	offer(0);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_uint_eq(c.nread, QSZ - 1);
	ck_assert_uint_eq(c.nwrite, 1);
	ck_assert_uint_eq(c.read_len, 0x10 * (QSZ - 1));
	assert_seg(QSZ - 1, BUF + (QSZ - 1) * 0x10, 0x10, 1);
}
END_TEST

/* Chains taken and not yet used hold descriptors: a driver that offers
 * more than the room left has handed out one the device holds. */
START_TEST(held_chains_count_against_room)
{
	offer_n(QSZ);
	for (unsigned i = 0; i < QSZ; i++)
		ck_assert_int_eq(virtq_pop(&q, &c), 1);	/* all held, none used */
	ck_assert_int_eq(virtq_push(&q, 0, 0), 0);	/* one back: room for one */
	offer(0);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	offer(0);					/* none left */
	assert_broken();
}
END_TEST

START_TEST(chain_loops)
{
	desc(0, BUF, 8, R | N, 1);
	desc(1, BUF, 8, R | N, 0);
	offer(0);
	assert_broken();
}
END_TEST

START_TEST(self_loop)
{
	desc(3, BUF, 8, W | N, 3);
	offer(3);
	assert_broken();
}
END_TEST

START_TEST(next_out_of_range)
{
	desc(0, BUF, 8, R | N, QSZ);
	offer(0);
	assert_broken();
}
END_TEST

START_TEST(head_out_of_range)
{
	offer(QSZ);
	assert_broken();
}
END_TEST

START_TEST(buffer_outside_ram)
{
	static const struct { uint64_t addr; uint32_t len; } bad[] = {
		{ END - 10, 20 },	/* straddles the end */
		{ END, 1 },		/* just after */
		{ BASE - 8, 16 },	/* straddles the start */
		{ 0, 16 },
	};

	for (unsigned i = 0; i < 4; i++) {
		reset();
		desc(0, bad[i].addr, bad[i].len, R, 0);
		offer(0);
		assert_broken();
	}
	reset();
	desc(0, END - 20, 20, R, 0);	/* the last bytes are fine */
	offer(0);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	assert_seg(0, END - 20, 20, 0);
}
END_TEST

START_TEST(buffer_overflows)
{
	/* addr + len wraps to BASE + 0x100, inside RAM. */
	uint64_t addr = -(uint64_t)0x1000;

	desc(0, addr, (uint32_t)(0x1000 + BASE + 0x100), W, 0);
	offer(0);
	assert_broken();
}
END_TEST

START_TEST(readable_after_writable)
{
	desc(0, BUF, 8, R | N, 1);
	desc(1, BUF + 8, 8, W | N, 2);
	desc(2, BUF + 16, 8, R, 0);
	offer(0);
	assert_broken();
}
END_TEST

START_TEST(zero_length)
{
	desc(0, BUF, 0, R | N, 1);
	desc(1, BUF + 8, 8, W, 0);
	offer(0);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_uint_eq(c.nread, 1);
	ck_assert_uint_eq(c.read_len, 0);
	assert_seg(0, BUF, 0, 0);
	assert_seg(1, BUF + 8, 8, 1);
	reset();
	desc(0, END, 0, W, 0);		/* empty, at the very end: fine */
	offer(0);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	assert_seg(0, END, 0, 1);
	reset();
	desc(0, END + 8, 0, W, 0);	/* empty but outside RAM */
	offer(0);
	assert_broken();
}
END_TEST

START_TEST(indirect_good)
{
	/* WRITE on the table's own descriptor is to be ignored. */
	desc(4, TABLE, 4 * sizeof(struct vring_desc), I | W, 0);
	put_desc(TABLE, 0, BUF, 10, R | N, 2);	/* indices inside the table */
	put_desc(TABLE, 2, BUF + 0x100, 20, R | N, 3);
	put_desc(TABLE, 3, BUF + 0x200, 30, W, 0);
	offer(4);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_uint_eq(c.head, 4);
	ck_assert_uint_eq(c.nread, 2);
	ck_assert_uint_eq(c.nwrite, 1);
	ck_assert_uint_eq(c.read_len, 30);
	ck_assert_uint_eq(c.write_len, 30);
	assert_seg(0, BUF, 10, 0);
	assert_seg(1, BUF + 0x100, 20, 0);
	assert_seg(2, BUF + 0x200, 30, 1);
}
END_TEST

START_TEST(indirect_after_direct)
{
	desc(0, BUF, 10, R | N, 1);
	desc(1, TABLE, sizeof(struct vring_desc), I, 0);
	put_desc(TABLE, 0, BUF + 0x100, 20, W, 0);
	offer(0);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_uint_eq(c.nread, 1);
	ck_assert_uint_eq(c.nwrite, 1);
	assert_seg(0, BUF, 10, 0);
	assert_seg(1, BUF + 0x100, 20, 1);
}
END_TEST

START_TEST(indirect_bad_length)
{
	static const uint32_t bad[] = { 0, 8, 24, 17 };

	for (unsigned i = 0; i < 4; i++) {
		reset();
		put_desc(TABLE, 0, BUF, 10, R, 0);
		put_desc(TABLE, 1, BUF, 10, R, 0);
		desc(0, TABLE, bad[i], I, 0);
		offer(0);
		assert_broken();
	}
}
END_TEST

START_TEST(indirect_outside_ram)
{
	desc(0, END - sizeof(struct vring_desc), 2 * sizeof(struct vring_desc), I, 0);
	put_desc(END - sizeof(struct vring_desc), 0, BUF, 10, R, 0);
	offer(0);
	assert_broken();
}
END_TEST

START_TEST(indirect_nested)
{
	desc(0, TABLE, 2 * sizeof(struct vring_desc), I, 0);
	put_desc(TABLE, 0, BUF, 10, R | N, 1);
	put_desc(TABLE, 1, TABLE + 0x100, sizeof(struct vring_desc), I, 0);
	put_desc(TABLE + 0x100, 0, BUF, 10, W, 0);
	offer(0);
	assert_broken();
}
END_TEST

START_TEST(indirect_with_next)
{
	desc(0, TABLE, sizeof(struct vring_desc), I | N, 1);
	desc(1, BUF + 0x100, 10, W, 0);
	put_desc(TABLE, 0, BUF, 10, R, 0);
	offer(0);
	assert_broken();
}
END_TEST

START_TEST(indirect_loop)
{
	desc(0, TABLE, 2 * sizeof(struct vring_desc), I, 0);
	put_desc(TABLE, 0, BUF, 10, R | N, 1);
	put_desc(TABLE, 1, BUF, 10, R | N, 0);
	offer(0);
	assert_broken();
}
END_TEST

START_TEST(indirect_next_past_table)
{
	/* Entry 2 is valid memory, but the table only has two entries. */
	desc(0, TABLE, 2 * sizeof(struct vring_desc), I, 0);
	put_desc(TABLE, 0, BUF, 10, R | N, 1);
	put_desc(TABLE, 1, BUF, 10, R | N, 2);
	put_desc(TABLE, 2, BUF, 10, W, 0);
	offer(0);
	assert_broken();
}
END_TEST

/* Direct descriptors and table entries together: at most the queue size. */
static void long_indirect(unsigned direct, unsigned entries)
{
	for (uint16_t i = 0; i < direct; i++)
		desc(i, BUF, 4, R | N, i + 1);
	desc(direct, TABLE, entries * sizeof(struct vring_desc), I, 0);
	for (uint16_t i = 0; i < entries; i++)
		put_desc(TABLE, i, BUF + 4 * i, 4, W | (i + 1u < entries ? N : 0), i + 1);
	offer(0);
}

START_TEST(indirect_longer_than_queue)
{
	long_indirect(0, QSZ);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_uint_eq(c.nwrite, QSZ);
	ck_assert_uint_eq(c.write_len, 4 * QSZ);
	reset();
	long_indirect(0, QSZ + 1);
	assert_broken();
	reset();
	long_indirect(10, QSZ - 10);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_uint_eq(c.nread + c.nwrite, QSZ);
	reset();
	long_indirect(10, QSZ - 9);
	assert_broken();
}
END_TEST

START_TEST(too_many_segments)
{
	const uint16_t size = 2048;
	const unsigned n = VIRTQ_MAX_SEGS + 1;

	init(size, DESC, BASE + 0x8000, BASE + 0xa000, 0);
	for (uint16_t i = 0; i < n; i++)
		desc(i, BUF, 1, W | (i + 1u < n ? N : 0), i + 1);
	desc(n - 2, BUF, 1, W, 0);	/* VIRTQ_MAX_SEGS long: fits */
	offer(0);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_uint_eq(c.nwrite, VIRTQ_MAX_SEGS);
	desc(n - 2, BUF, 1, W | N, n - 1);	/* one more */
	offer(0);
	assert_broken();
}
END_TEST

START_TEST(avail_idx_jumps)
{
	desc(0, BUF, 8, R, 0);
	set_avail_idx(QSZ + 1);
	ck_assert_int_eq(virtq_pending(&q), -EIO);
	ck_assert_int_eq(q.broken, 1);
	reset();
	desc(0, BUF, 8, R, 0);
	set_avail_idx(QSZ);		/* a full ring is fine */
	ck_assert_int_eq(virtq_pending(&q), QSZ);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	reset();
	set_avail_idx(0xffff);		/* "behind" last_avail */
	assert_broken();
}
END_TEST

START_TEST(broken_is_sticky)
{
	desc(0, BUF, 8, R | N, 0);
	offer(0);
	assert_broken();
	desc(0, BUF, 8, R, 0);		/* the guest repairs it */
	offer(0);
	ck_assert_int_eq(virtq_pop(&q, &c), -EIO);
	ck_assert_int_eq(virtq_pending(&q), -EIO);
	ck_assert_int_eq(virtq_push(&q, 0, 0), -EIO);
	ck_assert_int_eq(virtq_set_notify(&q, 1), -EIO);
	init(QSZ, DESC, AVAIL, USED, 0);	/* a reset repairs it */
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
}
END_TEST

START_TEST(push_writes_used)
{
	desc(3, BUF, 8, W, 0);
	desc(9, BUF, 8, W, 0);
	offer(3);
	offer(9);
	serve(123);
	ck_assert_uint_eq(le16toh(used()->idx), 1);
	ck_assert_uint_eq(le32toh(used()->ring[0].id), 3);
	ck_assert_uint_eq(le32toh(used()->ring[0].len), 123);
	serve(0x12345678);
	ck_assert_uint_eq(le16toh(used()->idx), 2);
	ck_assert_uint_eq(le32toh(used()->ring[1].id), 9);
	ck_assert_uint_eq(le32toh(used()->ring[1].len), 0x12345678);
}
END_TEST

START_TEST(push_rejects_device_bugs)
{
	ck_assert_int_eq(virtq_push(&q, 0, 1), -EINVAL);	/* nothing popped */
	offer_n(1);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_int_eq(virtq_push(&q, QSZ, 1), -EINVAL);
	ck_assert_uint_eq(le16toh(used()->idx), 0);
	ck_assert_int_eq(virtq_push(&q, 0, 1), 0);
	ck_assert_int_eq(virtq_push(&q, 0, 1), -EINVAL);	/* already returned */
	ck_assert_uint_eq(le16toh(used()->idx), 1);
}
END_TEST

START_TEST(indices_wrap)
{
	const struct virtq_state s = { .last_avail = 0xfffe, .used_idx = 0xfffe };

	ck_assert_int_eq(virtq_set_state(&q, &s), 0);
	set_avail_idx(0xfffe);
	desc(1, BUF, 8, W, 0);
	desc(2, BUF, 8, W, 0);
	offer(1);
	offer(2);
	ck_assert_uint_eq(le16toh(avail()->idx), 0);
	ck_assert_int_eq(virtq_pending(&q), 2);
	serve(5);
	serve(6);
	ck_assert_int_eq(virtq_pop(&q, &c), 0);
	ck_assert_uint_eq(le16toh(used()->idx), 0);
	ck_assert_uint_eq(le32toh(used()->ring[0xfffe % QSZ].id), 1);
	ck_assert_uint_eq(le32toh(used()->ring[0xffff % QSZ].id), 2);
	ck_assert_uint_eq(le32toh(used()->ring[0xffff % QSZ].len), 6);
}
END_TEST

START_TEST(event_idx_notify)
{
	init(QSZ, DESC, AVAIL, USED, 1);
	avail()->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);	/* ignored */
	offer_n(8);
	*used_event() = htole16(0);
	serve(1);					/* used 0 -> 1 */
	ck_assert_int_eq(virtq_need_notify(&q), 1);
	ck_assert_int_eq(virtq_need_notify(&q), 0);	/* nothing new */
	*used_event() = htole16(4);
	serve(1);					/* 1 -> 2 */
	ck_assert_int_eq(virtq_need_notify(&q), 0);
	serve(1);
	serve(1);					/* 2 -> 4 */
	ck_assert_int_eq(virtq_need_notify(&q), 0);
	serve(1);					/* 4 -> 5: crosses 4 */
	ck_assert_int_eq(virtq_need_notify(&q), 1);
	*used_event() = htole16(5);
	serve(1);
	serve(1);
	serve(1);					/* 5 -> 8: crosses 5 */
	ck_assert_int_eq(virtq_need_notify(&q), 1);
}
END_TEST

START_TEST(event_idx_notify_wraps)
{
	const struct virtq_state s = { .last_avail = 0xfffe, .used_idx = 0xfffe };

	init(QSZ, DESC, AVAIL, USED, 1);
	ck_assert_int_eq(virtq_set_state(&q, &s), 0);
	*used_event() = htole16(0xffff);
	ck_assert_int_eq(virtq_need_notify(&q), 1);	/* unknown after a restore */
	set_avail_idx(0xfffe);
	offer_n(6);
	serve(1);					/* 0xfffe -> 0xffff */
	ck_assert_int_eq(virtq_need_notify(&q), 0);
	serve(1);					/* 0xffff -> 0 */
	ck_assert_int_eq(virtq_need_notify(&q), 1);
	*used_event() = htole16(1);
	serve(1);					/* 0 -> 1 */
	ck_assert_int_eq(virtq_need_notify(&q), 0);
	serve(1);					/* 1 -> 2 */
	ck_assert_int_eq(virtq_need_notify(&q), 1);
	*used_event() = htole16(0xfffd);		/* long behind */
	serve(1);
	serve(1);					/* 2 -> 4 */
	ck_assert_int_eq(virtq_need_notify(&q), 0);
}
END_TEST

START_TEST(event_idx_batch_across_wrap)
{
	const struct virtq_state s = { .last_avail = 0xfffe, .used_idx = 0xfffe };

	init(QSZ, DESC, AVAIL, USED, 1);
	ck_assert_int_eq(virtq_set_state(&q, &s), 0);
	virtq_need_notify(&q);
	set_avail_idx(0xfffe);
	offer_n(3);
	*used_event() = htole16(0xffff);
	serve(1);
	serve(1);
	serve(1);					/* 0xfffe -> 1 */
	ck_assert_int_eq(virtq_need_notify(&q), 1);
}
END_TEST

START_TEST(no_interrupt_flag)
{
	offer_n(4);
	*used_event() = htole16(0x1234);		/* ignored */
	serve(1);
	ck_assert_int_eq(virtq_need_notify(&q), 1);
	ck_assert_int_eq(virtq_need_notify(&q), 0);	/* nothing new */
	avail()->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	serve(1);
	ck_assert_int_eq(virtq_need_notify(&q), 0);
	avail()->flags = 0;
	serve(1);
	ck_assert_int_eq(virtq_need_notify(&q), 1);
}
END_TEST

START_TEST(set_notify_flags)
{
	offer_n(3);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_int_eq(virtq_set_notify(&q, 0), 2);
	ck_assert_uint_eq(le16toh(used()->flags), VRING_USED_F_NO_NOTIFY);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_int_eq(virtq_set_notify(&q, 1), 1);	/* re-check: pop again */
	ck_assert_uint_eq(le16toh(used()->flags), 0);
	ck_assert_uint_eq(avail_event(), 0);		/* not in this mode */
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_int_eq(virtq_set_notify(&q, 1), 0);
}
END_TEST

START_TEST(set_notify_event_idx)
{
	const struct virtq_state s = { .last_avail = 0x50, .used_idx = 0x50 };

	init(QSZ, DESC, AVAIL, USED, 1);
	ck_assert_int_eq(virtq_set_state(&q, &s), 0);
	set_avail_idx(0x50);
	ck_assert_int_eq(virtq_set_notify(&q, 0), 0);
	ck_assert_uint_eq(avail_event(), 0);		/* disabling writes nothing */
	ck_assert_int_eq(virtq_set_notify(&q, 1), 0);
	ck_assert_uint_eq(avail_event(), 0x50);
	set_avail_idx(0);
	init(QSZ, DESC, AVAIL, USED, 1);
	offer_n(4);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_uint_eq(avail_event(), 1);		/* follows pops */
	ck_assert_int_eq(virtq_set_notify(&q, 0), 3);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_uint_eq(avail_event(), 1);		/* left behind */
	ck_assert_int_eq(virtq_set_notify(&q, 1), 1);
	ck_assert_uint_eq(avail_event(), 3);
	ck_assert_uint_eq(le16toh(used()->flags), 0);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);
	ck_assert_int_eq(virtq_set_notify(&q, 1), 0);
	ck_assert_uint_eq(avail_event(), 4);
}
END_TEST

START_TEST(init_rejects)
{
	static const uint16_t sizes[] = { 0, 3, 24, 0xffff };
	/* *_end: the last address where the ring, event field included, fits. */
	const uint64_t desc_end = END - 16 * QSZ, avail_end = END - (6 + 2 * QSZ),
		       used_end = END - (8 + 8 * QSZ);

	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(virtq_init(&q, &mem, sizes[i], DESC, AVAIL, USED, 0), -EINVAL);
	ck_assert_int_eq(virtq_init(&q, &mem, QSZ, DESC + 8, AVAIL, USED, 0), -EINVAL);
	ck_assert_int_eq(virtq_init(&q, &mem, QSZ, DESC, AVAIL + 1, USED, 0), -EINVAL);
	ck_assert_int_eq(virtq_init(&q, &mem, QSZ, DESC, AVAIL, USED + 2, 0), -EINVAL);
	/* One step further: the last descriptor, or the event field, is out. */
	ck_assert_int_eq(virtq_init(&q, &mem, QSZ, desc_end + 16, AVAIL, USED, 0), -EINVAL);
	ck_assert_int_eq(virtq_init(&q, &mem, QSZ, DESC, avail_end + 2, USED, 0), -EINVAL);
	ck_assert_int_eq(virtq_init(&q, &mem, QSZ, DESC, AVAIL, used_end + 4, 0), -EINVAL);
	ck_assert_int_eq(virtq_init(&q, &mem, QSZ, BASE - 0x100, AVAIL, USED, 0), -EINVAL);
	ck_assert_int_eq(virtq_init(&q, &mem, QSZ, DESC, AVAIL, END, 0), -EINVAL);
	/* The same rings where they fit. */
	ck_assert_int_eq(virtq_init(&q, &mem, QSZ, desc_end, avail_end, used_end, 0), 0);
}
END_TEST

START_TEST(init_sizes)
{
	ck_assert_int_eq(virtq_init(&q, &mem, 1, DESC, AVAIL, USED, 0), 0);
	ck_assert_int_eq(virtq_init(&q, &mem, VIRTQ_MAX_SIZE, BASE, BASE + 0x80000,
				    BASE + 0x98000, 1), 0);
	ck_assert_uint_eq(q.size, VIRTQ_MAX_SIZE);
	/* The used ring of 32768 entries does not fit in the last 256 KiB. */
	ck_assert_int_eq(virtq_init(&q, &mem, VIRTQ_MAX_SIZE, BASE, BASE + 0x80000,
				    END - 0x40000, 1), -EINVAL);
}
END_TEST

START_TEST(state_round_trip)
{
	struct virtq_state s;

	offer_n(5);
	serve(1);
	serve(1);
	ck_assert_int_eq(virtq_pop(&q, &c), 1);	/* in flight */
	virtq_get_state(&q, &s);
	ck_assert_uint_eq(s.last_avail, 3);
	ck_assert_uint_eq(s.used_idx, 2);
	init(QSZ, DESC, AVAIL, USED, 0);
	ck_assert_int_eq(virtq_set_state(&q, &s), 0);
	ck_assert_int_eq(virtq_pending(&q), 2);
	ck_assert_int_eq(virtq_push(&q, 0, 1), 0);	/* the in-flight one */
	ck_assert_uint_eq(le16toh(used()->idx), 3);
}
END_TEST

START_TEST(state_rejects_too_many_in_flight)
{
	const struct virtq_state bad = { .last_avail = QSZ + 1, .used_idx = 0 };
	const struct virtq_state behind = { .last_avail = 0, .used_idx = 1 };
	const struct virtq_state full = { .last_avail = QSZ + 5, .used_idx = 5 };

	ck_assert_int_eq(virtq_set_state(&q, &bad), -EINVAL);
	ck_assert_int_eq(virtq_set_state(&q, &behind), -EINVAL);
	ck_assert_uint_eq(q.last_avail, 0);
	ck_assert_int_eq(virtq_set_state(&q, &full), 0);
	ck_assert_uint_eq(q.last_avail, QSZ + 5);
}
END_TEST

/* A queue the driver never enabled (all zero): nothing pending, no ring
 * touched (the rings' pointers are NULL), and nothing to interrupt for:
 * a backend that signals it anyway (virtio-console on input) sends no
 * interrupt on the vector the guest may have given the queue. */
START_TEST(never_set_up)
{
	struct virtq z;
	struct virtq_chain *c = unit_alloc(sizeof(*c));

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(virtq_pending(&z), 0);
	ck_assert_int_eq(virtq_pop(&z, c), 0);
	ck_assert_int_eq(virtq_set_notify(&z, 1), 0);
	ck_assert_int_eq(virtq_set_notify(&z, 0), 0);
	ck_assert_int_eq(virtq_push(&z, 0, 0), -EINVAL);
	ck_assert_int_eq(virtq_need_notify(&z), 0);
	ck_assert_int_eq(virtq_need_notify(&z), 0);
	free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtqueue");
	TCase *tc[4];

	tc[0] = UNIT_TCASE(s, "pop", simple_chain, empty_queue, chains_in_order,
			   whole_queue_chain, zero_length, avail_idx_jumps);
	tc[1] = UNIT_TCASE(s, "broken", held_chains_count_against_room, chain_loops, self_loop, next_out_of_range,
			   head_out_of_range, buffer_outside_ram, buffer_overflows,
			   readable_after_writable, too_many_segments, broken_is_sticky);
	tc[2] = UNIT_TCASE(s, "indirect", indirect_good, indirect_after_direct,
			   indirect_bad_length, indirect_outside_ram, indirect_nested,
			   indirect_with_next, indirect_loop, indirect_next_past_table,
			   indirect_longer_than_queue);
	tc[3] = UNIT_TCASE(s, "used", push_writes_used, push_rejects_device_bugs,
			   indices_wrap, event_idx_notify, event_idx_notify_wraps,
			   event_idx_batch_across_wrap, no_interrupt_flag, set_notify_flags,
			   set_notify_event_idx, init_rejects, init_sizes, state_round_trip,
			   state_rejects_too_many_in_flight, never_set_up);
	for (unsigned i = 0; i < 4; i++)
		tcase_add_checked_fixture(tc[i], setup, teardown);
	return unit_run(s);
}
