/* libFuzzer harness of the virtqueue walker (devices/virtio/virtqueue.c)
 * under the virtio backends: blk on a memfd disk, net on a socket pair
 * playing the tap (net_open_fd), rng, and virtio-console on a console
 * whose input is a pipe and whose output is /dev/null. Rings and buffers
 * are laid out in 128 KiB of guest RAM (mem_alloc, a guard page on each
 * side) by the input; the harness calls each backend's kick, the tap's
 * and the console's watch callbacks itself, as a device thread would, and
 * there is no device thread. getrandom() is wrapped (-Wl,--wrap) with a
 * counter, so virtio-rng writes the same bytes on every run.
 *
 * One input is a sequence of small ops (enum op) decoded from its bytes;
 * a short input reads zeros. Before every backend call the harness walks
 * the chains the device may pop (tests/fuzz/ref_ring.h, noting the RAM it
 * read); afterwards it traps (__builtin_trap), besides ASan and UBSan, when:
 *  - the device popped a chain the walk calls bad, broke the queue where
 *    the walk found nothing bad, or popped after it broke;
 *  - a used element is not the next chain the device popped (all four
 *    complete in order), or says more bytes than the chain can take;
 *  - a chain was taken and not given back without the device asking for
 *    a reset (blk: no status byte; net receive: a chain it cannot use),
 *    or more are in flight than the backend's header allows (net: the
 *    receive chains it holds; after a pause none);
 *  - an interrupt is missing where the driver asked for one, or comes
 *    where it did not (virtq_need_notify's rules);
 *  - blk: a status other than the contract's for the request, a used
 *    length other than the data given plus the status byte, data read
 *    that is not what the disk holds, or a disk that is not what the
 *    requests wrote (a model of it, compared after every call);
 *  - net: a frame on the tap that is not a chain's readable bytes, in
 *    order; a delivered frame that is not the next one sent (its
 *    num_buffers and cleared flags aside), or an allowed frame dropped
 *    while the held buffers would have taken it;
 *  - rng: a used length other than the buffers' up to RNG_CHAIN_MAX;
 *  - console: received bytes that are not the next ones of its input.
 * These checks skip a call where the device may have written RAM the walk
 * read (a buffer or the used ring laid over a ring or a table: the walk
 * may not be what the device saw), and the content checks a buffer that
 * another one of the call overlaps.
 *
 * Built and run by scripts/fuzz-virtio-backends. Built with
 * -DFUZZ_VIRTIO_BACKENDS_SEEDS it is instead a program that writes the seed
 * corpus into the directory named by its argument. */
#include "devices/virtio-blk/blk.h"
#include "devices/virtio-console/console.h"
#include "devices/virtio-net/net.h"
#include "devices/virtio-rng/rng.h"
#include "devices/virtio/virtio.h"
#include "tests/fuzz/ref_ring.h"
#include "vmm/console.h"
#include "vmm/log.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/fuzz/harness.h"

#define RAM_BASE	0x40000000ull
#define RAM_SIZE	0x20000ull
#define PAGE		4096ull
#define SECTORS		64
#define DISK_SIZE	(SECTORS * BLK_SECTOR)
#define BLK_HDR		sizeof(struct virtio_blk_outhdr)
#define NET_HDR		sizeof(struct virtio_net_hdr_v1)
#define NUM_BUFFERS	offsetof(struct virtio_net_hdr_v1, num_buffers)
#define KEEP		(BLK_HDR + 8 * BLK_SECTOR)	/* readable bytes kept */
#define QMAX		256	/* largest queue of the four */
#define FIFO		(2 * QMAX)
#define FRAMES		64	/* frames sent and not yet delivered */
#define FRAME_MAX	2048
#define STREAM		8192	/* console input kept */
#define MAX_OPS		96
#define ROUNDS		4	/* kicks again after a budget ran out */
#define F(bit)		(1ull << (bit))

/* ---- Input ---- */

static int tracing;	/* FUZZ_TRACE is set: say what each op and call does */

/* ---- The harness's stand-ins ---- */

/* virtio-rng's entropy: a counter, the same on every run. */
static uint8_t rng_next;

ssize_t __wrap_getrandom(void *buf, size_t len, unsigned flags);
ssize_t __wrap_getrandom(void *buf, size_t len, unsigned flags)
{
	(void)flags;
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = rng_next++;
	return len;
}

/* ---- The devices ---- */

enum { BLK, NET, RNG, CON, NDEV };

/* A chain the device took and has not given back, as the walk saw it. */
struct ent {
	int known;		/* 0: RAM changed under the walk */
	struct ref_chain c;
	uint32_t rd_len;	/* the first readable bytes, kept in rd[] */
	uint8_t rd[KEEP];
};

struct queue {
	struct ent fifo[FIFO];	/* a ring: taken, in order */
	unsigned first, n;
	unsigned stuck;		/* taken for good, with a reset asked for */
};

struct dev {
	const struct virtio_backend *be;
	void *priv;
	struct virtio_dev d;
	struct queue q[2];
	unsigned resets, irqs[2];
};

static struct dev devs[NDEV];
static struct guest_mem mem;
static struct ref_seen seen;
static struct blk *disk;
static int disk_fd;
static struct console *con;
static struct vcon *vcon;
static int con_in[2];			/* the console's input pipe */
static int peer = -1;			/* the other end of the "tap" */

static struct dev *dev_of(struct virtio_dev *d)
{
	return d->tp_ctx;
}

static void tp_interrupt(struct virtio_dev *d, unsigned q)
{
	require(q < 2);
	dev_of(d)->irqs[q]++;
}

static void tp_needs_reset(struct virtio_dev *d)
{
	dev_of(d)->resets++;
}

static const struct virtio_transport transport = { tp_interrupt, tp_needs_reset, NULL };

/* Nothing taken, nothing stuck: the queues are new. */
static void queues_forget(struct dev *x)
{
	for (unsigned q = 0; q < 2; q++)
		x->q[q].first = x->q[q].n = x->q[q].stuck = 0;
}

static void dev_init(unsigned k, const struct virtio_backend *be, void *priv)
{
	struct dev *x = &devs[k];

	x->be = be;
	x->priv = priv;
	require(!virtio_dev_init(&x->d, be, priv, &mem));
	x->d.tp = &transport;
	x->d.tp_ctx = x;
	if (be->realize)
		require(!be->realize(&x->d));
}

static int drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == sizeof(v);
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* ---- Guest RAM ---- */

static uint64_t gpa_of(const void *p)
{
	return RAM_BASE + ((const uint8_t *)p - mem.hva);
}

/* Byte @off of the writable (@wr) or readable part of chain @c, or NULL
 * when it lies beyond the segments kept. */
static uint8_t *chain_byte(const struct ref_chain *c, int wr, uint64_t off)
{
	unsigned from = wr ? c->nread : 0, to = wr ? c->nread + c->nwrite : c->nread;

	for (unsigned i = from; i < to && i < c->nkept; i++) {
		if (off < c->seg[i].len)
			return (uint8_t *)c->seg[i].ptr + off;
		off -= c->seg[i].len;
	}
	return NULL;
}

/* Copy @len bytes of @c's writable part into @out; 0 if they are not all
 * in the segments kept. */
static int chain_written(const struct ref_chain *c, uint64_t len, uint8_t *out)
{
	uint64_t done = 0;

	for (unsigned i = c->nread; i < c->nread + c->nwrite && done < len; i++) {
		uint64_t n = c->seg[i].len < len - done ? c->seg[i].len : len - done;

		if (i >= c->nkept)
			return 0;
		memcpy(out + done, c->seg[i].ptr, n);
		done += n;
	}
	return done == len;
}

/* Keep the first readable bytes of @e (noting them as read). */
static void keep_readable(struct ent *e)
{
	const struct ref_chain *c = &e->c;

	e->rd_len = 0;
	for (unsigned i = 0; i < c->nread && i < c->nkept && e->rd_len < KEEP; i++) {
		uint32_t n = c->seg[i].len < KEEP - e->rd_len ? c->seg[i].len : KEEP - e->rd_len;

		require(!ref_read(&seen, &mem, gpa_of(c->seg[i].ptr), e->rd + e->rd_len, n));
		e->rd_len += n;
	}
}

/* All of the readable part is in rd[]. */
static int rd_whole(const struct ent *e)
{
	return e->rd_len == e->c.read_len;
}

/* Console input sent, and how much of it was received (unless lost). */
static uint8_t stream[STREAM];
static unsigned stream_pos, stream_len;
static int stream_lost;

/* The disk as the requests so far wrote it, where known. */
static uint8_t disk_model[DISK_SIZE], disk_known[DISK_SIZE];

/* ---- Before a call: the chains the device may take ---- */

static struct {
	unsigned n;		/* chains walked */
	int overflow;		/* the avail index ran ahead: the queue breaks */
	uint16_t last_avail, used_idx, signalled;
	int broken;
	unsigned resets, irqs;
	uint16_t flags, used_event;
	struct ent e[QMAX];
} pre;

static void walk(struct dev *x, unsigned q)
{
	const struct virtq *vq = &x->d.vq[q];
	int n;

	ref_seen_clear(&seen);
	pre.n = pre.overflow = 0;
	pre.last_avail = vq->last_avail, pre.used_idx = vq->used_idx;
	pre.signalled = vq->signalled_used, pre.broken = vq->broken;
	pre.resets = x->resets, pre.irqs = x->irqs[q];
	if (!vq->size)
		return;
	pre.flags = ref_u16(&seen, &mem, vq->avail_gpa);
	pre.used_event = ref_u16(&seen, &mem, vq->avail_gpa + 4 + 2ull * vq->size);
	n = vq->broken ? 0 : ref_pending(&seen, vq, vq->last_avail);
	pre.overflow = n < 0;
	for (int i = 0; i < n; i++) {
		struct ent *e = &pre.e[i];
		uint16_t slot = (vq->last_avail + i) & (vq->size - 1);

		e->known = 1;
		ref_walk(&seen, vq, ref_u16(&seen, &mem, vq->avail_gpa + 4 + 2ull * slot), &e->c);
		keep_readable(e);
		pre.n = i + 1;
		if (!e->c.ok)
			break;
	}
}

/* ---- After a call ---- */

static struct ent *fifo_at(struct queue *s, unsigned i)
{
	return &s->fifo[(s->first + i) % FIFO];
}

static void fifo_push(struct queue *s, const struct ent *e, int known)
{
	require(s->n < FIFO);
	*fifo_at(s, s->n) = *e;
	fifo_at(s, s->n)->known = known;
	s->n++;
}

/* The chains given back in this call, and whether their buffers hold
 * only what the device wrote for them (clean). */
static struct {
	unsigned n;
	struct ent e[QMAX];
	uint32_t id[QMAX], len[QMAX];	/* the used elements */
	int clean[QMAX];
} done;

enum { RING = -1, HELD = -2, USED = -3 };

struct span {
	uint64_t lo, hi;
	int who;		/* done.e index, or RING, HELD, USED */
};

static struct span spans[(QMAX + NET_RX_HELD) * REF_KEEP_SEGS + 3];

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static unsigned add_writable(unsigned n, const struct ref_chain *c, int who)
{
	for (unsigned i = c->nread; i < c->nread + c->nwrite && i < c->nkept; i++)
		if (c->seg[i].len)
			spans[n++] = (struct span){ gpa_of(c->seg[i].ptr),
						    gpa_of(c->seg[i].ptr) + c->seg[i].len, who };
	return n;
}

static int is_ring(int who)
{
	return who == RING || who == USED;
}

/* Two spans overlap: the chains among them are not clean (a chain over
 * itself neither: its bytes are written twice). 0 if the used ring is
 * written over. */
static int overlap(int a, int b)
{
	if ((is_ring(a) && is_ring(b)) || (a == HELD && b == HELD))
		return 1;
	if (a >= 0)
		done.clean[a] = 0;
	if (b >= 0)
		done.clean[b] = 0;
	return a != USED && b != USED;
}

/* A chain is clean when all its segments were kept and its writable ones
 * overlap no ring and no other chain given back or held. Returns whether
 * the used ring itself is clean. */
static int mark_clean(const struct virtq *vq, const struct queue *s)
{
	unsigned n = 0;
	int used_ok = 1;

	spans[n++] = (struct span){ vq->desc_gpa, vq->desc_gpa + 16ull * vq->size, RING };
	spans[n++] = (struct span){ vq->avail_gpa, vq->avail_gpa + 6 + 2ull * vq->size, RING };
	spans[n++] = (struct span){ vq->used_gpa, vq->used_gpa + 6 + 8ull * vq->size, USED };
	for (unsigned i = 0; i < done.n; i++) {
		done.clean[i] = done.e[i].known &&
				done.e[i].c.nread + done.e[i].c.nwrite <= REF_KEEP_SEGS;
		used_ok &= done.clean[i];
		n = add_writable(n, &done.e[i].c, i);
	}
	for (unsigned i = 0; i < s->n; i++) {
		const struct ent *e = &s->fifo[(s->first + i) % FIFO];

		used_ok &= e->known && e->c.nread + e->c.nwrite <= REF_KEEP_SEGS;
		n = add_writable(n, &e->c, HELD);
	}
	qsort(spans, n, sizeof(spans[0]), span_cmp);
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n && spans[j].lo < spans[i].hi; j++)
			used_ok &= overlap(spans[i].who, spans[j].who);
	return used_ok;
}

/* Could the device have written over what the walk read, and maybe back?
 * As long as it takes the chains the walk saw, it writes only the used
 * ring and the writable buffers of the chains it holds or takes. */
static int writes_over_walk(const struct virtq *vq, const struct queue *s)
{
	unsigned n = 0;

	spans[n++] = (struct span){ vq->used_gpa, vq->used_gpa + 6 + 8ull * vq->size, USED };
	for (unsigned i = 0; i < s->n + pre.n; i++) {
		const struct ent *e = i < s->n ? &s->fifo[(s->first + i) % FIFO] : &pre.e[i - s->n];

		if (!e->known || e->c.nread + e->c.nwrite > REF_KEEP_SEGS)
			return 1;
		if (e->c.ok)
			n = add_writable(n, &e->c, HELD);
	}
	qsort(spans, n, sizeof(spans[0]), span_cmp);
	for (unsigned i = 0; i < n; i++) {
		uint64_t lo = spans[i].lo, hi = spans[i].hi;

		for (; i + 1 < n && spans[i + 1].lo <= hi; i++)	/* merged: at most RAM */
			hi = spans[i + 1].hi > hi ? spans[i + 1].hi : hi;
		if (ref_seen_any(&seen, lo, hi - lo))
			return 1;
	}
	return 0;
}

/* virtq_need_notify()'s answer for the pushes from @old to @new. */
static int wants_irq(const struct virtq *vq, uint16_t old, uint16_t new)
{
	if (vq->event_idx)
		return vring_need_event(pre.used_event, new, old);
	return new != old && !(pre.flags & VRING_AVAIL_F_NO_INTERRUPT);
}

static void backend_check(struct dev *x, unsigned q);

/* What a call did to queue @q of @x, against what the walk before saw. */
static void check_call(struct dev *x, unsigned q)
{
	const struct virtq *vq = &x->d.vq[q];
	struct queue *s = &x->q[q];
	int changed = vq->size && (ref_seen_changed(&seen) || writes_over_walk(vq, s));
	uint16_t popped = vq->last_avail - pre.last_avail, given = vq->used_idx - pre.used_idx;
	int rejected = x->resets > pre.resets && !vq->broken, used_ok;

	if (tracing)
		fprintf(stderr, "  call %s q%u: avail %u->%u used %u->%u walked %u%s%s%s%s\n",
			x->be->name, q, pre.last_avail, vq->last_avail, pre.used_idx, vq->used_idx,
			pre.n, pre.overflow ? " overflow" : "", changed ? " changed" : "",
			vq->broken ? " broken" : "", rejected ? " rejected" : "");
	if (!vq->size) {
		require(!popped && !given && x->irqs[q] == pre.irqs);
		return;
	}
	if (pre.broken)
		require(!popped && !given);
	/* An index that ran ahead of the queue's room (overflow) may fit
	 * again once the device gives back a chain it held (net's receive
	 * queue fills it first): what it takes then was not walked. */
	if (pre.overflow && given && popped > pre.n)
		changed = 1;
	if (!changed) {
		require(popped <= pre.n);
		for (unsigned i = 0; i < popped; i++)
			require(pre.e[i].c.ok);
		if (vq->broken && !pre.broken)
			require(pre.overflow || (popped < pre.n && !pre.e[popped].c.ok));
	}
	for (unsigned i = 0; i < popped; i++)
		fifo_push(s, &pre.e[i], !changed);
	/* blk (no status byte) and net receive (a chain it cannot use) keep
	 * the last chain taken when they ask for a reset (blk.h, net.h). */
	if (rejected) {
		require(x == &devs[BLK] || (x == &devs[NET] && q == NET_RXQ));
		require(popped && s->n > given);
		s->n--;
		s->stuck++;
	}
	require(given <= s->n);
	done.n = given;
	for (unsigned i = 0; i < given; i++) {
		struct vring_used_elem u;

		done.e[i] = *fifo_at(s, 0);
		s->first = (s->first + 1) % FIFO;
		s->n--;
		require(!ref_read(NULL, &mem, vq->used_gpa + 4 + 8ull * ((pre.used_idx + i) & (vq->size - 1)),
				  &u, sizeof(u)));
		done.len[i] = le32toh(u.len);
		done.id[i] = le32toh(u.id);
	}
	/* blk takes a batch of chains before it gives any back (blk.h): a
	 * queue that breaks while a batch is taken keeps the chains taken
	 * before (the reset drops them), and their writes may be on the disk. */
	if (x == &devs[BLK] && vq->broken && !pre.broken && s->n) {
		s->stuck += s->n;
		s->n = 0;
		memset(disk_known, 0, sizeof(disk_known));
	}
	require((uint16_t)(vq->last_avail - vq->used_idx) == s->n + s->stuck);
	require(s->n <= (x == &devs[NET] && q == NET_RXQ ? NET_RX_HELD : 0));
	used_ok = mark_clean(vq, s) && !changed;
	if (!used_ok) {
		done.n = 0;		/* what the used ring says is not sure */
		if (x == &devs[BLK] && given)
			memset(disk_known, 0, sizeof(disk_known));	/* nor what was written */
		if (x == &devs[CON] && q == 0 && given)
			stream_lost = 1;			/* nor what was read */
		return;
	}
	for (unsigned i = 0; i < given; i++)
		require(done.id[i] == done.e[i].c.head && done.len[i] <= done.e[i].c.write_len);
	if (given || pre.signalled == vq->used_idx)
		require(x->irqs[q] - pre.irqs == (unsigned)wants_irq(vq, pre.signalled, vq->used_idx));
	backend_check(x, q);
}

/* Kick queue @q, or (@watch >= 0) call the device's watch @watch, which
 * serves queue @q, with the checks around it. */
static void net_after(unsigned q);

static void call(struct dev *x, unsigned q, int watch)
{
	walk(x, q);
	if (watch < 0)
		x->be->kick(&x->d, q);
	else
		x->d.watch[watch].fn(&x->d, x->d.watch[watch].ctx);
	check_call(x, q);
	if (x == &devs[NET])
		net_after(q);
}

/* ---- blk: a model of the disk ---- */


static void model_put(uint64_t off, const uint8_t *src, uint64_t len, int known)
{
	for (uint64_t i = 0; i < len; i++) {
		disk_model[off + i] = src ? src[i] : 0;
		disk_known[off + i] = known;
	}
}

static int range_ok(uint64_t sector, uint64_t n)
{
	return sector <= SECTORS && n <= SECTORS - sector;
}

/* What blk.h and the virtio spec ask for a request. */
struct blk_expect {
	int status;
	uint32_t len;
};

static struct blk_expect blk_data(const struct ent *e, uint32_t type, uint64_t sector)
{
	uint64_t rd = e->c.read_len - BLK_HDR, wr = e->c.write_len - 1;
	uint64_t data = type == VIRTIO_BLK_T_IN ? wr : rd;
	int ok = !(type == VIRTIO_BLK_T_IN ? rd : wr) && !(data % BLK_SECTOR) &&
		 data < UINT32_MAX && range_ok(sector, data / BLK_SECTOR);

	if (!ok)
		return (struct blk_expect){ VIRTIO_BLK_S_IOERR, 1 };
	return (struct blk_expect){ VIRTIO_BLK_S_OK, type == VIRTIO_BLK_T_IN ? wr + 1 : 1 };
}

static struct blk_expect blk_range(const struct ent *e, uint32_t type)
{
	struct virtio_blk_discard_write_zeroes r;
	uint32_t ok_flags = type == VIRTIO_BLK_T_WRITE_ZEROES ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;

	if (e->c.write_len != 1 || e->c.read_len != BLK_HDR + sizeof(r))
		return (struct blk_expect){ VIRTIO_BLK_S_IOERR, 1 };
	memcpy(&r, e->rd + BLK_HDR, sizeof(r));
	if (le32toh(r.flags) & ~ok_flags)
		return (struct blk_expect){ VIRTIO_BLK_S_UNSUPP, 1 };
	if (le32toh(r.num_sectors) > BLK_MAX_RANGE_SECTORS ||
	    !range_ok(le64toh(r.sector), le32toh(r.num_sectors)))
		return (struct blk_expect){ VIRTIO_BLK_S_IOERR, 1 };
	return (struct blk_expect){ VIRTIO_BLK_S_OK, 1 };
}

static struct blk_expect blk_expect(const struct ent *e, uint32_t type, uint64_t sector)
{
	uint64_t wr = e->c.write_len - 1;

	if (e->c.read_len < BLK_HDR)
		return (struct blk_expect){ VIRTIO_BLK_S_IOERR, 1 };
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return blk_data(e, type, sector);
	case VIRTIO_BLK_T_FLUSH:
		return (struct blk_expect){ VIRTIO_BLK_S_OK, 1 };
	case VIRTIO_BLK_T_GET_ID:
		if (e->c.read_len != BLK_HDR)
			return (struct blk_expect){ VIRTIO_BLK_S_IOERR, 1 };
		return (struct blk_expect){ VIRTIO_BLK_S_OK,
					    (wr < VIRTIO_BLK_ID_BYTES ? wr : VIRTIO_BLK_ID_BYTES) + 1 };
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_range(e, type);
	}
	return (struct blk_expect){ VIRTIO_BLK_S_UNSUPP, 1 };
}

static uint8_t blk_buf[RAM_SIZE];

/* What a completed request did to the disk. */
static void blk_effect(const struct ent *e, uint32_t type, uint64_t sector, int ok)
{
	struct virtio_blk_discard_write_zeroes r;
	uint64_t rd = e->c.read_len - BLK_HDR;

	if (!ok)
		return;
	if (type == VIRTIO_BLK_T_OUT)
		model_put(sector * BLK_SECTOR, rd_whole(e) ? e->rd + BLK_HDR : NULL, rd, rd_whole(e));
	if (type != VIRTIO_BLK_T_DISCARD && type != VIRTIO_BLK_T_WRITE_ZEROES)
		return;
	memcpy(&r, e->rd + BLK_HDR, sizeof(r));
	/* Zeroes are zeroes; a discard is a hint, whatever it leaves. */
	model_put(le64toh(r.sector) * BLK_SECTOR, NULL,
		  (uint64_t)le32toh(r.num_sectors) * BLK_SECTOR, type == VIRTIO_BLK_T_WRITE_ZEROES);
}

/* Data read into a clean chain: what the model holds there. */
static void blk_read_check(const struct ent *e, uint64_t sector)
{
	uint64_t len = e->c.write_len - 1, off = sector * BLK_SECTOR;

	if (!chain_written(&e->c, len, blk_buf))
		return;
	for (uint64_t i = 0; i < len; i++)
		if (disk_known[off + i])
			require(blk_buf[i] == disk_model[off + i]);
}

static void blk_one(unsigned i)
{
	const struct ent *e = &done.e[i];
	uint8_t *status = chain_byte(&e->c, 1, e->c.write_len - 1);
	uint32_t type = 0;
	uint64_t sector = 0;
	struct blk_expect want;

	/* A header (and range) beyond the segments kept: what it did is not known. */
	if (e->c.read_len >= BLK_HDR && e->rd_len < (e->c.read_len < 32 ? e->c.read_len : 32)) {
		memset(disk_known, 0, sizeof(disk_known));
		return;
	}
	if (e->c.read_len >= BLK_HDR) {
		memcpy(&type, e->rd, 4);
		memcpy(&sector, e->rd + 8, 8);
		type = le32toh(type), sector = le64toh(sector);
	}
	want = blk_expect(e, type, sector);
	require(done.len[i] == want.len);
	if (done.clean[i] && status)
		require(*status == want.status);
	if (done.clean[i] && want.status == VIRTIO_BLK_S_OK && type == VIRTIO_BLK_T_IN)
		blk_read_check(e, sector);
	blk_effect(e, type, sector, want.status == VIRTIO_BLK_S_OK);
}

/* The disk holds what the model knows. */
static void blk_disk_check(void)
{
	static uint8_t file[DISK_SIZE];

	require(pread(disk_fd, file, DISK_SIZE, 0) == DISK_SIZE);
	for (unsigned i = 0; i < DISK_SIZE; i++)
		if (disk_known[i])
			require(file[i] == disk_model[i]);
}

/* ---- net ---- */

static struct {
	uint32_t len;
	uint8_t b[FRAME_MAX];
} frames[FRAMES];
static unsigned frames_first, frames_n, frame_seq;
static uint8_t net_buf[RAM_SIZE + NET_FRAME_MAX];

/* The frames a device with only the offloads it offers takes (net.h). */
static int frame_allowed(const uint8_t *f, uint32_t len)
{
	return len >= NET_HDR && !(f[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	       f[1] == VIRTIO_NET_HDR_GSO_NONE;
}

/* The frames the tap still holds start at the first that equals its next
 * one: those before were read (delivered or dropped). */
static void frames_read(void)
{
	uint8_t next[FRAME_MAX];
	int fd = devs[NET].d.watch[0].fd;
	ssize_t n = recv(fd, next, sizeof(next), MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	unsigned left = 0;

	for (unsigned i = 0; n >= 0 && i < frames_n; i++) {
		const uint32_t l = frames[(frames_first + i) % FRAMES].len;

		if (l == (uint32_t)n && !memcmp(frames[(frames_first + i) % FRAMES].b, next, l)) {
			left = frames_n - i;
			break;
		}
	}
	frames_first = (frames_first + frames_n - left) % FRAMES;
	frames_n = left;
}

/* A frame of @len bytes in @got, @k buffers, was delivered: the next sent
 * one, as the guest must see it. The ones before were dropped, which only
 * frames the device does not take, or larger, may be. */
static void frame_delivered(const uint8_t *got, uint64_t len, uint16_t k)
{
	for (; frames_n; frames_first = (frames_first + 1) % FRAMES, frames_n--) {
		uint8_t *f = frames[frames_first].b;
		uint32_t l = frames[frames_first].len;
		uint16_t num = htole16(k);

		if (l == len && frame_allowed(f, l) && !memcmp(got + 12, f + 12, l - 12) &&
		    !memcmp(got + 1, f + 1, NUM_BUFFERS - 1) && !got[0] &&
		    !memcmp(got + NUM_BUFFERS, &num, 2)) {
			frames_first = (frames_first + 1) % FRAMES, frames_n--;
			return;
		}
		require(!frame_allowed(f, l) || l > len);
	}
	require(!"delivered a frame nobody sent");
}

/* Received frames: groups of num_buffers chains, published at once. */
static void net_rx_check(void)
{
	int mrg = virtio_dev_has(&devs[NET].d, VIRTIO_NET_F_MRG_RXBUF);

	for (unsigned i = 0, k; i < done.n; i += k) {
		uint64_t len = 0;

		if (!done.clean[i] || !chain_written(&done.e[i].c, NUM_BUFFERS + 2, net_buf))
			return;
		k = net_buf[NUM_BUFFERS] | net_buf[NUM_BUFFERS + 1] << 8;
		require(k >= 1 && i + k <= done.n && (mrg || k == 1));
		for (unsigned j = i; j < i + k; j++) {
			require(len + done.len[j] <= NET_HDR + NET_FRAME_MAX);
			if (!done.clean[j] || !chain_written(&done.e[j].c, done.len[j], net_buf + len))
				return;
			len += done.len[j];
		}
		require(len >= NET_HDR && len <= NET_HDR + NET_FRAME_MAX);
		frame_delivered(net_buf, len, k);
	}
}

/* Frames on the tap, in order: each the readable bytes of a chain given
 * back in this call whose length a frame may have (some may be lost when
 * the socket is full, as on a wire). */
static void net_tx_check(void)
{
	static uint8_t got[NET_HDR + NET_FRAME_MAX + 1];
	unsigned i = 0;
	ssize_t n;

	while (peer >= 0 && (n = recv(peer, got, sizeof(got), MSG_DONTWAIT)) >= 0) {
		for (;; i++) {
			const struct ent *e;

			require(i < done.n);
			e = &done.e[i];
			if (e->c.read_len < NET_HDR || e->c.read_len > NET_HDR + NET_FRAME_MAX)
				continue;
			if ((uint64_t)n == e->c.read_len && (!rd_whole(e) || !memcmp(got, e->rd, n)))
				break;
		}
		i++;
	}
	for (unsigned j = 0; j < done.n; j++)
		require(done.len[j] == 0);
}

/* After any net call: frames the tap no longer holds were read, frames
 * on the other end were checked (or the call was not) and go. */
static void net_after(unsigned q)
{
	uint8_t b[16];

	if (q == NET_RXQ)
		frames_read();
	while (q == NET_TXQ && peer >= 0 && recv(peer, b, sizeof(b), MSG_DONTWAIT) >= 0)
		;
}

/* ---- console ---- */


static void con_rx_check(void)
{
	for (unsigned i = 0; !stream_lost && i < done.n; i++) {
		uint32_t len = done.len[i];

		require(len <= stream_len - stream_pos);
		if (done.clean[i] && chain_written(&done.e[i].c, len, net_buf))
			require(!memcmp(net_buf, stream + stream_pos, len));
		stream_pos += len;
	}
}

static void backend_check(struct dev *x, unsigned q)
{
	switch (x - devs) {
	case BLK:
		for (unsigned i = 0; i < done.n; i++)
			blk_one(i);
		blk_disk_check();
		break;
	case NET:
		if (q == NET_TXQ)
			net_tx_check();
		else
			net_rx_check();
		break;
	case RNG:
		for (unsigned i = 0; i < done.n; i++) {
			uint64_t w = done.e[i].c.write_len;

			require(done.len[i] == (w < RNG_CHAIN_MAX ? w : RNG_CHAIN_MAX));
		}
		break;
	case CON:
		if (q == 0)
			con_rx_check();
		for (unsigned i = 0; q == 1 && i < done.n; i++)
			require(done.len[i] == 0);
		break;
	}
}

/* ---- Serving: what device threads would do ---- */

/* The tap is readable and watched: the device reads it. */
static void tap_ready(void)
{
	struct dev *x = &devs[NET];

	for (int i = 0; i < ROUNDS && x->d.watch[0].enabled && readable(x->d.watch[0].fd); i++)
		call(x, NET_RXQ, 0);
}

/* Kicks waiting in the eventfds, as the device thread takes them. */
static void serve(struct dev *x)
{
	for (int round = 0; round < ROUNDS; round++) {
		int any = 0;

		for (unsigned q = 0; q < x->be->nqueues; q++)
			if (drain(x->d.kick_fd[q]) && x->d.vq[q].size) {
				call(x, q, -1);
				any = 1;
			}
		if (!any)
			break;
	}
	if (x == &devs[NET])
		tap_ready();
}

/* ---- Ops ---- */

enum op {
	OP_SETUP,	/* features and queues, as at DRIVER_OK */
	OP_RAM,		/* guest RAM bytes */
	OP_CHAIN,	/* a chain of buffers, made available */
	OP_DESC,	/* one descriptor */
	OP_PUBLISH,	/* the avail ring moves on */
	OP_KICK,	/* the driver notifies a queue */
	OP_NET_SEND,	/* the host sends a frame */
	OP_NET_TAP,	/* the tap is readable */
	OP_NET_GONE,	/* the tap's other end goes away */
	OP_CON_IN,	/* console input */
	OP_CON_ROOM,	/* console output has room again */
	OP_PAUSE,	/* the VM pauses and resumes */
	OP_BLK,		/* a blk request */
	NOPS
};

/* The features a driver may take, per device (beyond VERSION_1). */
static const uint64_t optional[NDEV] = {
	[BLK] = F(VIRTIO_RING_F_EVENT_IDX) | F(VIRTIO_RING_F_INDIRECT_DESC),
	[NET] = F(VIRTIO_RING_F_EVENT_IDX) | F(VIRTIO_NET_F_MRG_RXBUF),
	[RNG] = F(VIRTIO_RING_F_EVENT_IDX),
	[CON] = F(VIRTIO_RING_F_EVENT_IDX),
};

static uint64_t pick_features(unsigned k, unsigned bits)
{
	uint64_t f = F(VIRTIO_F_VERSION_1), o = optional[k];

	for (unsigned b = 0; o; o &= o - 1, b++)
		if (bits >> b & 1)
			f |= o & -o;
	return f;
}

static uint64_t ram_off(struct in *in)
{
	return get(in, 2) * 2;
}

/* A reset and DRIVER_OK, as virtio-pci does them. */
static void op_setup(struct in *in)
{
	unsigned b = get(in, 1), k = b % NDEV;
	struct dev *x = &devs[k];

	if (x->be->reset)
		x->be->reset(&x->d);
	memset(x->d.vq, 0, sizeof(x->d.vq));
	queues_forget(x);
	x->d.features = pick_features(k, b >> 2);
	for (unsigned q = 0; q < x->be->nqueues; q++) {
		unsigned size = 1u << (get(in, 1) % 10);
		uint64_t desc = RAM_BASE + ram_off(in), avail = RAM_BASE + ram_off(in);
		uint64_t used = RAM_BASE + ram_off(in);

		size = size < x->be->queue_max ? size : x->be->queue_max;
		if (virtq_init(&x->d.vq[q], &mem, size, desc, avail, used,
			       virtio_dev_has(&x->d, VIRTIO_RING_F_EVENT_IDX)))
			memset(&x->d.vq[q], 0, sizeof(x->d.vq[q]));
		if (tracing)
			fprintf(stderr, "  %s q%u: size %u at %#llx %#llx %#llx%s\n", x->be->name, q,
				size, (unsigned long long)desc, (unsigned long long)avail,
				(unsigned long long)used, x->d.vq[q].size ? "" : " refused");
	}
	if (x->be->start)
		require(!x->be->start(&x->d));
	if (k == NET)
		frames_read();
}

static void op_ram(struct in *in)
{
	uint64_t off = get(in, 3) % RAM_SIZE, n = get(in, 1) % 64;

	for (uint64_t i = 0; i < n; i++) {
		uint8_t v = get(in, 1);

		if (off + i < RAM_SIZE)
			mem.hva[off + i] = v;
	}
}

static void put_desc(uint64_t gpa, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc d = { htole64(addr), htole32(len), htole16(flags), htole16(next) };
	uint8_t *p = mem_ptr(&mem, gpa, sizeof(d));

	if (p)
		memcpy(p, &d, sizeof(d));
}

/* Append @head to the avail ring of @vq. */
static void publish(const struct virtq *vq, uint16_t head, uint16_t step)
{
	uint8_t *a = mem_ptr(&mem, vq->avail_gpa, 6 + 2ull * vq->size);
	uint16_t idx;

	if (!a)
		return;
	memcpy(&idx, a + 2, 2);
	idx = le16toh(idx);
	a[4 + 2 * (idx & (vq->size - 1))] = head;
	a[5 + 2 * (idx & (vq->size - 1))] = head >> 8;
	idx = htole16(idx + step);
	memcpy(a + 2, &idx, 2);
}

struct buf {
	uint64_t gpa;
	uint32_t len;
	int wr;
};

/* Lay the @n buffers out as a chain at descriptor @head of @vq (or, if
 * @table, in an indirect table there) and make it available. */
static void lay_chain(const struct virtq *vq, uint16_t head, uint64_t table,
		      const struct buf *b, unsigned n)
{
	if (!vq->size)
		return;
	head &= vq->size - 1;
	for (unsigned i = 0; i < n; i++) {
		uint16_t flags = (b[i].wr ? VRING_DESC_F_WRITE : 0) | (i + 1 < n ? VRING_DESC_F_NEXT : 0);

		if (table)
			put_desc(table + 16ull * i, b[i].gpa, b[i].len, flags, i + 1);
		else
			put_desc(vq->desc_gpa + 16ull * ((head + i) & (vq->size - 1)), b[i].gpa,
				 b[i].len, flags, (head + i + 1) & (vq->size - 1));
	}
	if (table)
		put_desc(vq->desc_gpa + 16ull * head, table, 16u * n, VRING_DESC_F_INDIRECT, 0);
	publish(vq, head, 1);
}

/* @n bytes of input into guest RAM at @gpa (as far as RAM goes). */
static void fill(struct in *in, uint64_t gpa, unsigned n)
{
	uint8_t *p = mem_ptr(&mem, gpa, n);

	for (unsigned j = 0; j < n; j++) {
		uint8_t v = get(in, 1);

		if (p)
			p[j] = v;
	}
}

/* A chain of 1 to 6 buffers whose first bytes come from the input, direct
 * or in an indirect table, made available. */
static void op_chain(struct in *in)
{
	unsigned b = get(in, 1), k = b % NDEV, q = (b >> 2 & 1) % devs[k].be->nqueues;
	uint16_t head = get(in, 1), n = 1 + get(in, 1) % 6;
	uint64_t table = b & 8 ? RAM_BASE + ram_off(in) : 0;
	struct buf bufs[6];

	for (uint16_t i = 0; i < n; i++) {
		unsigned f = get(in, 1);

		bufs[i].len = get(in, 2) % 4097 * (f & 2 ? 64 : 1);
		bufs[i].gpa = RAM_BASE + ram_off(in);
		bufs[i].wr = f & 1;
		fill(in, bufs[i].gpa, (f >> 2) % 17);
	}
	lay_chain(&devs[k].d.vq[q], head, table, bufs, n);
}

/* A blk request as a driver makes one: a header of a type and sector
 * from the input, data buffers of sectors (or a few bytes more), a range
 * for discard and write-zeroes, and a status byte unless bit 6 says none;
 * one after the other from a place in RAM the input gives. */
static void op_blk(struct in *in)
{
	static const uint32_t types[] = {
		VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID,
		VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES, 99,
	};
	unsigned b = get(in, 1), ndata = get(in, 1) % 3, n = 0;
	uint32_t type = types[b % 7];
	struct virtio_blk_outhdr h = { .type = htole32(type), .sector = htole64(get(in, 1)) };
	uint64_t at = RAM_BASE + ram_off(in), table = b & 0x80 ? RAM_BASE + ram_off(in) : 0;
	uint16_t head = get(in, 1);
	struct buf bufs[5];
	uint8_t *p = mem_ptr(&mem, at, sizeof(h));

	if (p)
		memcpy(p, &h, sizeof(h));
	bufs[n++] = (struct buf){ at, sizeof(h), 0 };
	at += sizeof(h);
	for (unsigned i = 0; i < ndata; i++) {
		unsigned d = get(in, 1);

		bufs[n++] = (struct buf){ at, BLK_SECTOR * (d % 5) + (d & 0x80 ? d >> 3 & 15 : 0),
					  type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID };
		fill(in, at, 8);
		at += bufs[n - 1].len;
	}
	if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES) {
		struct virtio_blk_discard_write_zeroes r = {
			.sector = htole64(get(in, 1)), .num_sectors = htole32(get(in, 1) % 80),
			.flags = htole32(get(in, 1) % 3),
		};

		if ((p = mem_ptr(&mem, at, sizeof(r))))
			memcpy(p, &r, sizeof(r));
		bufs[n++] = (struct buf){ at, sizeof(r), 0 };
		at += sizeof(r);
	}
	if (!(b & 0x40))
		bufs[n++] = (struct buf){ at, 1, 1 };
	lay_chain(&devs[BLK].d.vq[0], head, table, bufs, n);
}

static void op_desc(struct in *in)
{
	unsigned b = get(in, 1), k = b % NDEV, q = (b >> 2 & 1) % devs[k].be->nqueues;
	const struct virtq *vq = &devs[k].d.vq[q];
	uint16_t i = get(in, 1);
	uint64_t addr = b & 8 ? get(in, 8) : RAM_BASE + ram_off(in);
	uint32_t len = get(in, 2) << (b & 16 ? 8 : 0);
	unsigned flags = get(in, 1) & 7, next = get(in, 1);

	if (vq->size)
		put_desc(vq->desc_gpa + 16ull * (i & (vq->size - 1)), addr, len, flags, next);
}

static void op_publish(struct in *in)
{
	unsigned b = get(in, 1), k = b % NDEV, q = (b >> 2 & 1) % devs[k].be->nqueues;
	const struct virtq *vq = &devs[k].d.vq[q];
	uint16_t head = get(in, 2), step = b & 8 ? get(in, 1) : 1;
	uint8_t *a = vq->size ? mem_ptr(&mem, vq->avail_gpa, 6 + 2ull * vq->size) : NULL;

	if (!a)
		return;
	publish(vq, head, step);
	a[0] = b >> 4 & VRING_AVAIL_F_NO_INTERRUPT;
	if (b & 0x20) {
		a[4 + 2 * vq->size] = get(in, 1);	/* used_event */
		a[5 + 2 * vq->size] = get(in, 1);
	}
}

static void op_kick(struct in *in)
{
	unsigned b = get(in, 1), k = b % NDEV, q = (b >> 2 & 1) % devs[k].be->nqueues;
	uint64_t one = 1;

	require(write(devs[k].d.kick_fd[q], &one, sizeof(one)) == sizeof(one));
	serve(&devs[k]);
}

/* A frame from the host: a header from the input, then a sequence number
 * and a pattern (so that frames differ). */
static void op_net_send(struct in *in)
{
	uint32_t len = 1 + get(in, 2) % FRAME_MAX;
	uint8_t *f = frames[(frames_first + frames_n) % FRAMES].b;

	for (uint32_t i = 0; i < NET_HDR; i++)
		f[i] = get(in, 1);
	for (uint32_t i = NET_HDR; i < len; i++)
		f[i] = (uint8_t)(frame_seq >> (8 * ((i - NET_HDR) % 4)) ^ (i > NET_HDR + 3 ? i : 0));
	frame_seq++;
	if (peer < 0 || frames_n == FRAMES || send(peer, f, len, MSG_DONTWAIT) != (ssize_t)len)
		return;
	frames[(frames_first + frames_n) % FRAMES].len = len;
	frames_n++;
	tap_ready();
}

static void op_net_gone(void)
{
	if (peer >= 0)
		close(peer);
	peer = -1;
	tap_ready();
}

/* Console input: into the pipe, read by the main loop into the sink, and
 * the device's input watch is readable. */
static void op_con_in(struct in *in)
{
	struct pollfd p[2];
	uint8_t b[256];
	unsigned n = 1 + get(in, 1) % 128, np;
	ssize_t w;

	for (unsigned i = 0; i < n; i++)
		b[i] = get(in, 1);
	if (stream_len + n > STREAM)
		return;
	w = write(con_in[1], b, n);
	if (w > 0) {
		memcpy(stream + stream_len, b, w);
		stream_len += w;
	}
	np = console_pollfds(con, p);		/* as the main loop polls */
	for (unsigned i = 0; i < np; i++)
		p[i].revents = readable(p[i].fd) ? POLLIN : 0;
	console_service(con, p, np);
	if (readable(devs[CON].d.watch[0].fd))
		call(&devs[CON], 0, 0);
}

static void op_con_room(void)
{
	if (readable(console_room_fd(con)))
		call(&devs[CON], 1, 1);
}

/* Pause and resume. net gives back the chains it holds (net.h): after the
 * pause, the receive queue has none in flight but the stuck ones. */
static void op_pause(struct in *in)
{
	struct dev *x = &devs[get(in, 1) % NDEV];

	if (x->be->pause)
		require(!x->be->pause(&x->d));
	if (x == &devs[NET] && x->d.vq[NET_RXQ].size) {
		const struct virtq *vq = &x->d.vq[NET_RXQ];

		x->q[NET_RXQ].n = 0;
		require((uint16_t)(vq->last_avail - vq->used_idx) == x->q[NET_RXQ].stuck);
	}
	if (x->be->resume)
		require(!x->be->resume(&x->d));
}

static const char *const op_names[NOPS] = {
	"setup", "ram", "chain", "desc", "publish", "kick", "net-send", "net-tap", "net-gone",
	"con-in", "con-room", "pause", "blk",
};

static void run_op(struct in *in)
{
	unsigned op = get(in, 1) % NOPS;

	if (tracing)
		fprintf(stderr, "%s\n", op_names[op]);
	switch (op) {
	case OP_SETUP: op_setup(in); break;
	case OP_RAM: op_ram(in); break;
	case OP_CHAIN: op_chain(in); break;
	case OP_DESC: op_desc(in); break;
	case OP_PUBLISH: op_publish(in); break;
	case OP_KICK: op_kick(in); break;
	case OP_NET_SEND: op_net_send(in); break;
	case OP_NET_TAP: tap_ready(); break;
	case OP_NET_GONE: op_net_gone(); break;
	case OP_CON_IN: op_con_in(in); break;
	case OP_CON_ROOM: op_con_room(); break;
	case OP_PAUSE: op_pause(in); break;
	case OP_BLK: op_blk(in); break;
	}
}

/* ---- Once, and for every input ---- */

static void ram_init(void)
{
	require(!mem_alloc(&mem, RAM_BASE - PAGE, RAM_SIZE + 2 * PAGE));
	require(!mprotect(mem.hva, PAGE, PROT_NONE));
	require(!mprotect(mem.hva + PAGE + RAM_SIZE, PAGE, PROT_NONE));
	mem.hva += PAGE;
	mem.gpa = RAM_BASE;
	mem.size = RAM_SIZE;
	ref_seen_init(&seen, &mem);
}

static void machine_init(void)
{
	char path[64], err[256];
	int out = open("/dev/null", O_WRONLY | O_CLOEXEC);

	ram_init();
	disk_fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
	require(disk_fd >= 0 && !ftruncate(disk_fd, DISK_SIZE));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", disk_fd);
	require(!blk_open(path, 0, &disk, err, sizeof(err)));
	dev_init(BLK, blk_backend_of(disk), disk);
	dev_init(RNG, &rng_backend, NULL);
	require(out >= 0 && !pipe2(con_in, O_NONBLOCK | O_CLOEXEC));
	con = console_open(con_in[0], out);
	require(con && !vcon_create(con, &vcon));
	dev_init(CON, &vcon_backend, vcon);
}

/* A new tap each time: the device takes a tap that went away for good. */
static void net_renew(void)
{
	struct dev *x = &devs[NET];
	struct net *n;
	int sv[2];

	if (x->priv) {
		for (unsigned q = 0; q < x->be->nqueues; q++)
			close(x->d.kick_fd[q]);
		close(x->d.stop_fd);
		net_close(x->priv);
	}
	if (peer >= 0)
		close(peer);
	require(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	require(!net_open_fd(sv[0], "fuzz-tap", NULL, &n));
	peer = sv[1];
	dev_init(NET, &net_backend, n);
	frames_first = frames_n = 0;
}

/* The console as it was: input still buffered in the pipe, the console
 * and the device's ring is received into a scratch queue, output drains. */
static void console_renew(void)
{
	struct virtio_dev *d = &devs[CON].d;
	uint8_t b[4096];

	while (read(con_in[0], b, sizeof(b)) > 0)
		;
	for (int round = 0; round < 3; round++) {
		console_service(con, NULL, 0);
		memset(mem.hva, 0, 0x300);
		require(!virtq_init(&d->vq[0], &mem, 1, RAM_BASE, RAM_BASE + 0x100, RAM_BASE + 0x200, 0));
		put_desc(RAM_BASE, RAM_BASE + 0x1000, 2048, VRING_DESC_F_WRITE, 0);
		publish(&d->vq[0], 0, 1);
		vcon_backend.kick(d, 0);
	}
	memset(d->vq, 0, sizeof(d->vq));
	while (!console_has_room(con, CONSOLE_OUT_RING))
		usleep(100);
	drain(console_room_fd(con));
	drain(d->watch[0].fd);
	stream_pos = stream_len = stream_lost = 0;
}

static void machine_reset(void)
{
	require(!ftruncate(disk_fd, 0) && !ftruncate(disk_fd, DISK_SIZE));
	memset(disk_model, 0, sizeof(disk_model));
	memset(disk_known, 1, sizeof(disk_known));
	net_renew();
	console_renew();
	for (unsigned k = 0; k < NDEV; k++) {
		struct dev *x = &devs[k];

		memset(x->d.vq, 0, sizeof(x->d.vq));
		queues_forget(x);
		x->d.features = F(VIRTIO_F_VERSION_1);
		x->resets = x->irqs[0] = x->irqs[1] = 0;
		for (unsigned q = 0; q < x->be->nqueues; q++)
			drain(x->d.kick_fd[q]);
	}
	memset(mem.hva, 0, RAM_SIZE);
	rng_next = 0;
	frame_seq = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int ready;
	struct in in = { data, len };

	if (!ready) {
		machine_init();
		tracing = !!getenv("FUZZ_TRACE");
		ready = 1;
	}
	machine_reset();
	for (unsigned n = 0; in.n && n < MAX_OPS; n++)
		run_op(&in);
	if (tracing)
		fprintf(stderr, "resets blk %u net %u rng %u con %u; irqs %u %u %u %u; logs %u\n",
			devs[BLK].resets, devs[NET].resets, devs[RNG].resets, devs[CON].resets,
			devs[BLK].irqs[0], devs[NET].irqs[0] + devs[NET].irqs[1], devs[RNG].irqs[0],
			devs[CON].irqs[0] + devs[CON].irqs[1], log_count);
	return 0;
}

#ifdef FUZZ_VIRTIO_BACKENDS_SEEDS
/* ---- Seed corpus: each backend doing its usual work ---- */

#include "tests/fuzz/seeds.h"

/* Device @k's queues of 16, queue q's rings in the 4 KiB at 0x1000 (2 k + q). */
static void seed_setup(struct out *o, unsigned k, unsigned features)
{
	static const unsigned nq[NDEV] = { [BLK] = 1, [NET] = 2, [RNG] = 1, [CON] = 2 };

	put(o, OP_SETUP, 1);
	put(o, k | features << 2, 1);
	for (unsigned q = 0; q < nq[k]; q++) {
		uint64_t base = 0x1000 * (2 * k + q);

		put(o, 4, 1);
		put(o, base / 2, 2);
		put(o, (base + 0x400) / 2, 2);
		put(o, (base + 0x800) / 2, 2);
	}
}

struct seg {
	unsigned len, wr;
	uint64_t at;
	const uint8_t *fill;
	unsigned nfill;
};

static void seed_chain(struct out *o, unsigned k, unsigned q, unsigned head, int indirect,
		       const struct seg *s, unsigned n)
{
	put(o, OP_CHAIN, 1);
	put(o, k | q << 2 | (indirect ? 8 : 0), 1);
	put(o, head, 1);
	put(o, n - 1, 1);
	if (indirect)
		put(o, 0x1f000 / 2, 2);
	for (unsigned i = 0; i < n; i++) {
		put(o, s[i].wr | s[i].nfill << 2, 1);
		put(o, s[i].len, 2);
		put(o, s[i].at / 2, 2);
		for (unsigned j = 0; j < s[i].nfill; j++)
			put(o, s[i].fill[j], 1);
	}
}

static void seed_kick(struct out *o, unsigned k, unsigned q)
{
	put(o, OP_KICK, 1);
	put(o, k | q << 2, 1);
}

static const uint8_t hdr_out[16] = { 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0 };
static const uint8_t hdr_in[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0 };
static const uint8_t data[16] = "0123456789abcdef";

static void seed_blk(struct out *o)
{
	seed_setup(o, BLK, 1);
	seed_chain(o, BLK, 0, 0, 0, (const struct seg[]){ { 16, 0, 0x10000, hdr_out, 16 },
		   { 1024, 0, 0x11000, data, 16 }, { 1, 1, 0x12000, NULL, 0 } }, 3);
	seed_kick(o, BLK, 0);
	seed_chain(o, BLK, 0, 3, 1, (const struct seg[]){ { 16, 0, 0x10100, hdr_in, 16 },
		   { 1024, 1, 0x13000, NULL, 0 }, { 1, 1, 0x12001, NULL, 0 } }, 3);
	seed_kick(o, BLK, 0);
	/* A write of 2 sectors to the last one, a read of them, zeroes. */
	for (unsigned i = 0; i < 3; i++) {
		put(o, OP_BLK, 1);
		put(o, i == 2 ? 5 : i == 0, 1);		/* OUT, IN, WRITE_ZEROES */
		put(o, i == 2 ? 0 : 1, 1);		/* data buffers */
		put(o, 63, 1);				/* sector */
		put(o, (0x14000 + 0x1000 * i) / 2, 2);
		put(o, 5 + i, 1);			/* head */
		if (i < 2) {
			put(o, 2, 1);			/* 2 sectors */
			put(o, 0x1122334455667788ull, 8);
		} else {
			put(o, 56, 1);			/* sectors 56 to 63, may unmap */
			put(o, 8, 1);
			put(o, 1, 1);
		}
	}
	seed_kick(o, BLK, 0);
}

static void seed_net(struct out *o)
{
	static const uint8_t hdr[12] = { 0 };

	seed_setup(o, NET, 3);			/* EVENT_IDX, MRG_RXBUF */
	for (unsigned i = 0; i < 3; i++)
		seed_chain(o, NET, 0, i, 0, (const struct seg[]){ { 256, 1, 0x10000 + 0x400 * i,
			   NULL, 0 } }, 1);
	seed_kick(o, NET, 0);
	put(o, OP_NET_SEND, 1);
	put(o, 600, 2);
	for (unsigned i = 0; i < 12; i++)
		put(o, hdr[i], 1);
	seed_chain(o, NET, 1, 0, 0, (const struct seg[]){ { 12, 0, 0x11000, hdr, 12 },
		   { 100, 0, 0x11100, data, 16 } }, 2);
	seed_kick(o, NET, 1);
}

static void seed_rng(struct out *o)
{
	seed_setup(o, RNG, 0);
	seed_chain(o, RNG, 0, 0, 0, (const struct seg[]){ { 64, 1, 0x10000, NULL, 0 },
		   { 4000, 1, 0x11000, NULL, 0 } }, 2);
	seed_kick(o, RNG, 0);
	put(o, OP_PAUSE, 1);
	put(o, NET, 1);
}

static void seed_con(struct out *o)
{
	seed_setup(o, CON, 1);
	seed_chain(o, CON, 0, 0, 0, (const struct seg[]){ { 64, 1, 0x10000, NULL, 0 } }, 1);
	seed_kick(o, CON, 0);
	put(o, OP_CON_IN, 1);
	put(o, 9, 1);
	for (unsigned i = 0; i < 10; i++)
		put(o, "echo hi\r\n\n"[i], 1);
	seed_chain(o, CON, 1, 0, 0, (const struct seg[]){ { 16, 0, 0x11000, data, 16 } }, 1);
	seed_kick(o, CON, 1);
}

static void seed_all(struct out *o)
{
	seed_blk(o);
	seed_net(o);
	seed_rng(o);
	seed_con(o);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	return seed_write(argv[1], "blk", seed_blk) || seed_write(argv[1], "net", seed_net) ||
	       seed_write(argv[1], "rng", seed_rng) || seed_write(argv[1], "console", seed_con) ||
	       seed_write(argv[1], "all", seed_all);
}
#endif
