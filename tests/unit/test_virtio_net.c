/* virtio-net backend (devices/virtio-net/net.c). No thread, no transport: the
 * tests play the driver on rings in a plain guest RAM buffer, call the
 * kick and tap-readable handlers directly, and use a datagram socket pair
 * in place of the tap. The last case uses a real tap when it may. */
#include "devices/virtio-net/net.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <net/if.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#define BASE	0x40000000ull		/* guest address of RAM */
#define RAM	0x200000ull		/* 2 MiB */
#define QSZ	16			/* the queues' size but in one test */
/* Rings of queue q (up to 512 entries): descriptors at RING(q), available
 * ring at AVAIL(q), used ring at USED(q). */
#define RING(q)		(BASE + (q) * 0x8000ull)
#define AVAIL(q)	(RING(q) + 0x2000)
#define USED(q)		(RING(q) + 0x3000)
#define BUF	(BASE + 0x10000)	/* data buffers, 4 KiB apart */
#define BIG	(BASE + 0x100000)	/* 1 MiB for oversized frames */
#define HDR	sizeof(struct virtio_net_hdr_v1)
#define NUMBUF	offsetof(struct virtio_net_hdr_v1, num_buffers)
#define F(bit)	(1ull << (bit))
#define R	0
#define W	1
#define RXQ	NET_RXQ
#define TXQ	NET_TXQ

static struct guest_mem mem;
static struct virtio_dev d;
static struct net *n;
static int peer = -1;			/* the other end of the "tap" */
static int interrupts[2], resets;
static uint16_t next_avail[2];
static uint16_t qsz = QSZ;

static void tp_interrupt(struct virtio_dev *dev, unsigned q)
{
	ck_assert_ptr_eq(dev, &d);
	ck_assert_uint_lt(q, 2);
	interrupts[q]++;
}

static void tp_needs_reset(struct virtio_dev *dev)
{
	ck_assert_ptr_eq(dev, &d);
	resets++;
}

static const struct virtio_transport tp = {
	.interrupt = tp_interrupt, .needs_reset = tp_needs_reset,
};

static uint8_t *gp(uint64_t gpa)
{
	return mem.hva + (gpa - BASE);
}

static uint64_t buf(unsigned i)
{
	return BUF + i * 0x1000ull;
}

/* ---- Rings ---- */

static struct vring_avail *avail(unsigned q)
{
	return (struct vring_avail *)gp(AVAIL(q));
}

static struct vring_used *used(unsigned q)
{
	return (struct vring_used *)gp(USED(q));
}

static uint16_t used_idx(unsigned q)
{
	return le16toh(used(q)->idx);
}

/* Element @i (counted from 0) of the used ring. */
static uint32_t used_len(unsigned q, uint16_t i)
{
	return le32toh(used(q)->ring[i % qsz].len);
}

static uint32_t used_head(unsigned q, uint16_t i)
{
	return le32toh(used(q)->ring[i % qsz].id);
}

static void put_desc(unsigned q, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct vring_desc *p = (struct vring_desc *)gp(RING(q)) + i;

	p->addr = htole64(addr);
	p->len = htole32(len);
	p->flags = htole16(flags);
	p->next = htole16(next);
}

static void offer(unsigned q, uint16_t head)
{
	avail(q)->ring[next_avail[q] % qsz] = htole16(head);
	next_avail[q]++;
	avail(q)->idx = htole16(next_avail[q]);
}

struct seg {
	uint64_t addr;
	uint32_t len;
	int w;
};

/* Descriptors @head, @head + 1, ... of queue @q for @cnt segments. */
static void put_chain(unsigned q, uint16_t head, const struct seg *s, unsigned cnt)
{
	for (unsigned i = 0; i < cnt; i++) {
		uint16_t flags = (s[i].w ? VRING_DESC_F_WRITE : 0) |
				 (i + 1 < cnt ? VRING_DESC_F_NEXT : 0);

		put_desc(q, head + i, s[i].addr, s[i].len, flags, head + i + 1);
	}
}

#define SEGS(...)	(const struct seg[]){ __VA_ARGS__ }
#define NSEGS(...)	(sizeof(SEGS(__VA_ARGS__)) / sizeof(struct seg))
/* Offer on queue @q a chain at descriptor @head made of the segments given. */
#define CHAIN(q, head, ...) do { \
	put_chain((q), (head), SEGS(__VA_ARGS__), NSEGS(__VA_ARGS__)); \
	offer((q), (head)); \
} while (0)

/* Offer @cnt receive chains of one @len-byte buffer, buf(first + i). */
static void rx_buffers(uint16_t first, unsigned cnt, uint32_t len)
{
	for (uint16_t i = first; i < first + cnt; i++)
		CHAIN(RXQ, i, { buf(i), len, W });
}

/* ---- Device ---- */

/* Queues of @size entries. */
static void queues_init(uint16_t size, int event_idx)
{
	memset(mem.hva, 0, BUF - BASE);
	next_avail[0] = next_avail[1] = 0;
	qsz = size;
	for (unsigned q = 0; q < 2; q++)
		ck_assert_int_eq(virtq_init(&d.vq[q], &mem, size, RING(q), AVAIL(q), USED(q),
					    event_idx), 0);
}

/* Like the transport: init, realize, then at DRIVER_OK queues and start. */
static void dev_create(struct net *m, uint64_t features)
{
	n = m;
	ck_assert_int_eq(virtio_dev_init(&d, &net_backend, n, &mem), 0);
	d.tp = &tp;
	ck_assert_int_eq(net_backend.realize(&d), 0);
	d.features = features;
	queues_init(QSZ, !!(features & F(VIRTIO_RING_F_EVENT_IDX)));
	ck_assert_int_eq(net_backend.start(&d), 0);
	interrupts[0] = interrupts[1] = resets = 0;
}

static void dev_destroy(void)
{
	for (unsigned q = 0; q < 2; q++)
		close(d.kick_fd[q]);
	close(d.stop_fd);
	net_close(n);
	n = NULL;
}

static uint64_t all_features(void)
{
	return net_backend.features | F(VIRTIO_F_VERSION_1);
}

static void setup(void)
{
	struct net *m;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	peer = sv[1];
	ck_assert_int_eq(mem_alloc(&mem, BASE, RAM), 0);
	ck_assert_int_eq(net_open_fd(sv[0], "itsy-test", NULL, &m), 0);
	dev_create(m, all_features());
}

static void teardown(void)
{
	dev_destroy();
	if (peer >= 0)
		close(peer);
	peer = -1;
	mem_free(&mem);
}

/* Without MRG_RXBUF: one chain per frame. */
static void no_mrg(void)
{
	d.features &= ~F(VIRTIO_NET_F_MRG_RXBUF);
}

/* Without EVENT_IDX: used->flags tells whether the device wants kicks. */
static void no_event_idx(void)
{
	d.features &= ~F(VIRTIO_RING_F_EVENT_IDX);
	queues_init(QSZ, 0);
}

static void kick(unsigned q)
{
	net_backend.kick(&d, q);
}

/* The tap is readable: what the device thread would call. */
static void tap_ready(void)
{
	ck_assert_uint_eq(d.nwatches, 1);
	d.watch[0].fn(&d, d.watch[0].ctx);
}

static int watching(void)
{
	return d.watch[0].enabled;
}

/* ---- Frames ---- */

/* A frame of @len bytes, header included, into @p: a header with the
 * given flags and a num_buffers the device must overwrite, then a pattern. */
static void make_frame(uint8_t *p, size_t len, uint8_t flags, unsigned seed)
{
	struct virtio_net_hdr_v1 h = { .flags = flags, .num_buffers = htole16(0xbeef) };

	memcpy(p, &h, HDR);
	for (size_t i = HDR; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed * 31 + 1);
}

/* The host sends a frame of @len bytes to the guest; returns it in @out. */
static void host_send(uint8_t *out, size_t len, unsigned seed)
{
	make_frame(out, len, 0, seed);
	ck_assert_int_eq(send(peer, out, len, 0), (ssize_t)len);
}

/* What a receive buffer must hold: the frame with num_buffers, and flags
 * cleared (GUEST_CSUM is not offered). */
static void expect_rx(uint8_t *frame, uint16_t num)
{
	uint16_t le = htole16(num);

	frame[0] = 0;
	memcpy(frame + NUMBUF, &le, 2);
}

/* Nothing for the host to receive. */
static void assert_host_empty(void)
{
	char c;

	ck_assert_int_eq(recv(peer, &c, 1, MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
}

/* ---- Configuration ---- */

START_TEST(config_contents)
{
	uint8_t b[64];
	struct virtio_net_config *c = (struct virtio_net_config *)b;

	memset(b, 0xee, sizeof(b));
	net_backend.config(&d, b);
	ck_assert_uint_eq(net_backend.config_size, 10);
	ck_assert_uint_eq(b[0], 0x52);
	ck_assert_uint_eq(b[1], 0x54);
	ck_assert_uint_eq(b[2], 0x00);
	ck_assert_uint_eq(le16toh(c->status), VIRTIO_NET_S_LINK_UP);
	ck_assert_uint_eq(le16toh(c->max_virtqueue_pairs), 1);
	ck_assert_uint_eq(b[10], 0xee);		/* nothing past config_size */
}
END_TEST

START_TEST(features_and_queues)
{
	uint64_t f = net_backend.features;

	ck_assert_uint_eq(net_backend.device_id, VIRTIO_ID_NET);
	ck_assert_uint_eq(net_backend.nqueues, 2);
	ck_assert_uint_eq(net_backend.queue_max, 256);
	ck_assert(f & F(VIRTIO_NET_F_MAC));
	ck_assert(f & F(VIRTIO_NET_F_STATUS));
	ck_assert(f & F(VIRTIO_NET_F_MRG_RXBUF));
	ck_assert(f & F(VIRTIO_RING_F_EVENT_IDX));
	/* No offloads, one queue pair, no control queue. */
	ck_assert(!(f & (F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) |
			 F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO4) |
			 F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_GUEST_TSO6) |
			 F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_MQ))));
}
END_TEST

static void mac_of(const char *name, const uint8_t *mac, uint8_t out[6])
{
	struct virtio_dev dd = { .priv = NULL };
	struct net *m;
	uint8_t b[64];
	int fd = dup(peer);

	ck_assert_int_eq(net_open_fd(fd, name, mac, &m), 0);
	dd.priv = m;
	net_backend.config(&dd, b);
	memcpy(out, b, 6);
	net_close(m);
}

START_TEST(mac_given_or_made_up)
{
	const uint8_t given[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	uint8_t a[6], b[6], c[6];

	mac_of("tap0", given, a);
	ck_assert_mem_eq(a, given, 6);
	mac_of("tap0", NULL, a);
	mac_of("tap0", NULL, b);
	mac_of("tap1", NULL, c);
	ck_assert_mem_eq(a, b, 6);		/* the same on every run */
	ck_assert_mem_ne(a, c, 6);		/* one per tap */
	ck_assert_uint_eq(a[0] & 3, 2);		/* unicast, locally administered */
}
END_TEST

/* ---- Transmit ---- */

START_TEST(tx_framing)
{
	uint8_t want[112], got[256];

	/* Header split over two segments, an empty one, the frame, and a
	 * writable segment that is ignored. */
	make_frame(want, sizeof(want), VIRTIO_NET_HDR_F_NEEDS_CSUM, 1);
	memcpy(gp(buf(0)), want, 5);
	memcpy(gp(buf(1)), want + 5, 7);
	memcpy(gp(buf(2)), want + 12, 100);
	CHAIN(TXQ, 0, { buf(0), 5, R }, { buf(1), 7, R }, { buf(3), 0, R },
	      { buf(2), 100, R }, { buf(4), 16, W });
	kick(TXQ);
	ck_assert_int_eq(recv(peer, got, sizeof(got), MSG_DONTWAIT), (ssize_t)sizeof(want));
	ck_assert_mem_eq(got, want, sizeof(want));	/* the header as is */
	assert_host_empty();
	ck_assert_uint_eq(used_idx(TXQ), 1);
	ck_assert_uint_eq(used_head(TXQ, 0), 0);
	ck_assert_uint_eq(used_len(TXQ, 0), 0);
	ck_assert_int_eq(interrupts[TXQ], 1);
	ck_assert_int_eq(resets, 0);
}
END_TEST

START_TEST(tx_batch_in_order)
{
	uint8_t want[3][80], got[128];

	for (unsigned i = 0; i < 3; i++) {
		make_frame(want[i], 60 + i * 10, 0, i);
		memcpy(gp(buf(i)), want[i], 60 + i * 10);
		CHAIN(TXQ, i, { buf(i), 60 + i * 10, R });
	}
	kick(TXQ);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_eq(recv(peer, got, sizeof(got), MSG_DONTWAIT), 60 + i * 10);
		ck_assert_mem_eq(got, want[i], 60 + i * 10);
	}
	ck_assert_uint_eq(used_idx(TXQ), 3);
	ck_assert_int_eq(interrupts[TXQ], 1);	/* one for the batch */
}
END_TEST

/* Shorter than a header, longer than a header and the largest frame:
 * given back unsent; the next good frame still goes. */
START_TEST(tx_bad_lengths_dropped)
{
	uint8_t got[128];

	CHAIN(TXQ, 0, { buf(0), HDR - 1, R });
	CHAIN(TXQ, 1, { BIG, HDR + NET_FRAME_MAX + 1, R });
	CHAIN(TXQ, 2, { buf(2), 0, W });
	make_frame(gp(buf(3)), 64, 0, 3);
	CHAIN(TXQ, 3, { buf(3), 64, R });
	kick(TXQ);
	ck_assert_int_eq(recv(peer, got, sizeof(got), MSG_DONTWAIT), 64);
	assert_host_empty();
	ck_assert_uint_eq(used_idx(TXQ), 4);
	for (uint16_t i = 0; i < 4; i++)
		ck_assert_uint_eq(used_len(TXQ, i), 0);
	ck_assert_int_eq(resets, 0);
}
END_TEST

START_TEST(tx_largest_frame)
{
	static uint8_t got[HDR + NET_FRAME_MAX + 16];

	make_frame(gp(BIG), HDR + NET_FRAME_MAX, 0, 9);
	CHAIN(TXQ, 0, { BIG, HDR + NET_FRAME_MAX, R });
	kick(TXQ);
	ck_assert_int_eq(recv(peer, got, sizeof(got), MSG_DONTWAIT), HDR + NET_FRAME_MAX);
	ck_assert_mem_eq(got, gp(BIG), HDR + NET_FRAME_MAX);
}
END_TEST

START_TEST(tx_looping_chain)
{
	put_desc(TXQ, 0, buf(0), 64, VRING_DESC_F_NEXT, 1);
	put_desc(TXQ, 1, buf(1), 64, VRING_DESC_F_NEXT, 0);
	offer(TXQ, 0);
	kick(TXQ);
	ck_assert_int_eq(resets, 1);
	ck_assert_uint_eq(used_idx(TXQ), 0);
	assert_host_empty();
}
END_TEST

/* More than a budget of chains (a queue larger than the device's, as a
 * guest refilling meanwhile would make it): the device serves a budget,
 * then kicks itself to come back after the other events. */
START_TEST(tx_budget_rekicks)
{
	uint64_t v = 0;
	char got[128];

	queues_init(512, 0);
	make_frame(gp(buf(0)), 64, 0, 0);
	put_desc(TXQ, 0, buf(0), 64, 0, 0);
	for (unsigned i = 0; i < NET_BUDGET + 44; i++)
		offer(TXQ, 0);		/* the same descriptor, over and over */
	kick(TXQ);
	ck_assert_uint_eq(used_idx(TXQ), NET_BUDGET);
	ck_assert_int_eq(read(d.kick_fd[TXQ], &v, sizeof(v)), sizeof(v));
	ck_assert_uint_eq(v, 1);
	while (recv(peer, got, sizeof(got), MSG_DONTWAIT) > 0)
		;
	kick(TXQ);
	ck_assert_uint_eq(used_idx(TXQ), NET_BUDGET + 44);
	ck_assert_int_eq(read(d.kick_fd[TXQ], &v, sizeof(v)), -1);	/* done */
}
END_TEST

/* ---- Receive ---- */

START_TEST(rx_one_buffer)
{
	uint8_t frame[72];

	rx_buffers(0, 1, 2048);
	host_send(frame, sizeof(frame), 1);
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(used_head(RXQ, 0), 0);
	ck_assert_uint_eq(used_len(RXQ, 0), sizeof(frame));
	expect_rx(frame, 1);
	ck_assert_mem_eq(gp(buf(0)), frame, sizeof(frame));
	ck_assert_int_eq(interrupts[RXQ], 1);
	ck_assert_int_eq(resets, 0);
}
END_TEST

START_TEST(rx_flags_cleared)
{
	uint8_t frame[60];

	rx_buffers(0, 1, 2048);
	make_frame(frame, sizeof(frame), VIRTIO_NET_HDR_F_DATA_VALID, 2);
	ck_assert_int_eq(send(peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(gp(buf(0))[0], 0);	/* DATA_VALID needs GUEST_CSUM */
}
END_TEST

/* The host sends a 100-byte frame, kept in @f, with a header using the
 * offloads @flags and @gso. */
static void send_hdr(uint8_t *f, unsigned seed, uint8_t flags, uint8_t gso)
{
	struct virtio_net_hdr_v1 h = {
		.flags = flags, .gso_type = gso, .hdr_len = htole16(54),
		.gso_size = htole16(gso ? 1448 : 0), .csum_start = htole16(34),
		.csum_offset = htole16(16),
	};

	make_frame(f, 100, 0, seed);
	memcpy(f, &h, HDR);
	ck_assert_int_eq(send(peer, f, 100, 0), 100);
}

/* Frames asking for offloads the guest did not negotiate (a tap set up
 * otherwise) are dropped; the buffers serve the next frame. */
START_TEST(rx_offload_not_negotiated)
{
	uint8_t f[100];

	rx_buffers(0, 2, 2048);
	send_hdr(f, 1, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0);
	send_hdr(f, 2, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4);
	send_hdr(f, 3, 0, VIRTIO_NET_HDR_GSO_TCPV6);
	send_hdr(f, 4, 0, VIRTIO_NET_HDR_GSO_UDP);
	send_hdr(f, 5, 0, VIRTIO_NET_HDR_GSO_ECN);
	send_hdr(f, 6, 0, 0x55);
	send_hdr(f, 7, VIRTIO_NET_HDR_F_DATA_VALID, 0);
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 1);	/* only the last one */
	ck_assert_uint_eq(used_head(RXQ, 0), 0);
	expect_rx(f, 1);
	ck_assert_mem_eq(gp(buf(0)), f, sizeof(f));
	ck_assert_int_eq(resets, 0);
}
END_TEST

/* The header (and num_buffers in it) split over segments of one chain. */
START_TEST(rx_segments)
{
	uint8_t frame[300], got[300];

	CHAIN(RXQ, 0, { buf(0), 5, W }, { buf(1), 0, W }, { buf(2), 6, W },
	      { buf(3), 1000, W });
	host_send(frame, sizeof(frame), 3);
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(used_len(RXQ, 0), sizeof(frame));
	memcpy(got, gp(buf(0)), 5);
	memcpy(got + 5, gp(buf(2)), 6);
	memcpy(got + 11, gp(buf(3)), sizeof(frame) - 11);
	expect_rx(frame, 1);
	ck_assert_mem_eq(got, frame, sizeof(frame));
}
END_TEST

/* MRG_RXBUF: a frame over three chains, num_buffers = 3 in the first. */
START_TEST(rx_spans_buffers)
{
	uint8_t frame[150], next[30], got[150];

	rx_buffers(0, 4, 64);
	host_send(frame, sizeof(frame), 4);
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 3);
	for (uint16_t i = 0; i < 3; i++) {
		ck_assert_uint_eq(used_head(RXQ, i), i);
		ck_assert_uint_eq(used_len(RXQ, i), i < 2 ? 64 : 22);
		memcpy(got + 64 * i, gp(buf(i)), used_len(RXQ, i));
	}
	expect_rx(frame, 3);
	ck_assert_mem_eq(got, frame, sizeof(frame));
	/* The fourth chain, held meanwhile, takes the next frame. */
	host_send(next, sizeof(next), 5);
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 4);
	ck_assert_uint_eq(used_head(RXQ, 3), 3);
	expect_rx(next, 1);
	ck_assert_mem_eq(gp(buf(3)), next, sizeof(next));
	ck_assert_int_eq(resets, 0);
}
END_TEST

/* Frames until the buffers run out, the rest after a refill. */
START_TEST(rx_many_frames)
{
	uint8_t frame[20][100];

	rx_buffers(0, QSZ, 128);
	for (unsigned i = 0; i < 20; i++)
		host_send(frame[i], 60 + i, i);
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), QSZ);
	ck_assert(!watching());
	for (unsigned i = 0; i < 20; i++) {
		expect_rx(frame[i], 1);
		if (i < QSZ) {
			ck_assert_uint_eq(used_len(RXQ, i), 60 + i);
			ck_assert_mem_eq(gp(buf(i)), frame[i], 60 + i);
		}
	}
	rx_buffers(0, 5, 128);		/* one more than needed */
	kick(RXQ);
	ck_assert(watching());
	ck_assert_uint_eq(used_idx(RXQ), 20);
	for (unsigned i = QSZ; i < 20; i++) {
		ck_assert_uint_eq(used_len(RXQ, i), 60 + i);
		ck_assert_mem_eq(gp(buf(i - QSZ)), frame[i], 60 + i);
	}
	ck_assert_int_eq(resets, 0);
}
END_TEST

/* No buffers: the tap is no longer watched, kicks are asked for, and the
 * frame waits in the tap, whole, for the guest's kick. */
START_TEST(rx_no_buffers)
{
	uint8_t frame[90], peek[128];

	no_event_idx();
	host_send(frame, sizeof(frame), 6);
	tap_ready();
	ck_assert(!watching());
	ck_assert_uint_eq(used_idx(RXQ), 0);
	ck_assert_uint_eq(le16toh(used(RXQ)->flags), 0);	/* kicks wanted */
	ck_assert_int_eq(recv(d.watch[0].fd, peek, sizeof(peek),
			      MSG_PEEK | MSG_DONTWAIT), (ssize_t)sizeof(frame));
	rx_buffers(0, 2, 2048);
	kick(RXQ);
	ck_assert(watching());		/* one buffer left */
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(used_len(RXQ, 0), sizeof(frame));
	expect_rx(frame, 1);
	ck_assert_mem_eq(gp(buf(0)), frame, sizeof(frame));
}
END_TEST

/* While the device holds buffers it wants no kicks; starved, it does. */
START_TEST(rx_kicks_only_when_starved)
{
	uint8_t frame[60];

	no_event_idx();
	rx_buffers(0, 2, 2048);
	host_send(frame, sizeof(frame), 7);
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(le16toh(used(RXQ)->flags), VRING_USED_F_NO_NOTIFY);
	host_send(frame, sizeof(frame), 8);
	host_send(frame, sizeof(frame), 9);
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 2);
	ck_assert_uint_eq(le16toh(used(RXQ)->flags), 0);
	ck_assert(!watching());
}
END_TEST

/* A frame larger than all the buffers held is dropped; they are kept,
 * untouched beyond what the next frame writes. */
START_TEST(rx_too_big_dropped)
{
	uint8_t big[300], frame[50];

	rx_buffers(0, 2, 64);
	memset(gp(buf(2)), 0xaa, 64);
	host_send(big, sizeof(big), 10);
	host_send(frame, sizeof(frame), 11);
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(used_head(RXQ, 0), 0);
	ck_assert_uint_eq(used_len(RXQ, 0), sizeof(frame));
	expect_rx(frame, 1);
	ck_assert_mem_eq(gp(buf(0)), frame, sizeof(frame));
	for (unsigned i = 0; i < 64; i++)
		ck_assert_uint_eq(gp(buf(2))[i], 0xaa);
	ck_assert_int_eq(resets, 0);
}
END_TEST

/* Without MRG_RXBUF a frame must fit in one chain. */
START_TEST(rx_no_mrg_one_chain)
{
	uint8_t big[100], frame[64];

	no_mrg();
	rx_buffers(0, 2, 64);
	host_send(big, sizeof(big), 12);
	host_send(frame, sizeof(frame), 13);
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(used_head(RXQ, 0), 0);
	ck_assert_uint_eq(used_len(RXQ, 0), 64);
	expect_rx(frame, 1);
	ck_assert_mem_eq(gp(buf(0)), frame, sizeof(frame));
}
END_TEST

START_TEST(rx_runt_dropped)
{
	uint8_t runt[HDR - 1] = { 0 }, frame[40];

	rx_buffers(0, 1, 2048);
	ck_assert_int_eq(send(peer, runt, sizeof(runt), 0), (ssize_t)sizeof(runt));
	host_send(frame, sizeof(frame), 14);
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(used_len(RXQ, 0), sizeof(frame));
}
END_TEST

/* The largest frame over many small chains, with EVENT_IDX. */
START_TEST(rx_largest_frame_merged)
{
	static uint8_t frame[HDR + NET_FRAME_MAX];
	uint16_t k = (sizeof(frame) + 8191) / 8192;

	queues_init(QSZ, 1);
	for (uint16_t i = 0; i < QSZ; i++)
		put_desc(RXQ, i, BIG + i * 8192ull, 8192, VRING_DESC_F_WRITE, 0);
	for (uint16_t i = 0; i < QSZ; i++)
		offer(RXQ, i);
	host_send(frame, sizeof(frame), 15);
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), k);
	for (uint16_t i = 0; i < k; i++)
		ck_assert_uint_eq(used_len(RXQ, i), i + 1 < k ? 8192 : sizeof(frame) - 8192u * i);
	expect_rx(frame, k);
	ck_assert_mem_eq(gp(BIG), frame, sizeof(frame));
	ck_assert_int_eq(interrupts[RXQ], 1);
}
END_TEST

/* ---- Bad chains ---- */

START_TEST(rx_readable_segment)
{
	uint8_t frame[60];

	CHAIN(RXQ, 0, { buf(0), 16, R }, { buf(1), 2048, W });
	host_send(frame, sizeof(frame), 16);
	tap_ready();
	ck_assert_int_eq(resets, 1);
	ck_assert(!watching());
	ck_assert_uint_eq(used_idx(RXQ), 0);
}
END_TEST

START_TEST(rx_chain_shorter_than_header)
{
	uint8_t frame[60];

	CHAIN(RXQ, 0, { buf(0), 4, W }, { buf(1), HDR - 5, W });
	host_send(frame, sizeof(frame), 17);
	kick(RXQ);
	ck_assert_int_eq(resets, 1);
	ck_assert(!watching());
	ck_assert_uint_eq(used_idx(RXQ), 0);
}
END_TEST

START_TEST(rx_descriptor_out_of_ram)
{
	uint8_t frame[60];

	CHAIN(RXQ, 0, { BASE + RAM - 8, 64, W });
	host_send(frame, sizeof(frame), 18);
	tap_ready();
	ck_assert_int_eq(resets, 1);
	ck_assert(!watching());
	/* The broken queue stays so; kicks do not spin or crash. */
	kick(RXQ);
	ck_assert_int_eq(resets, 2);
	ck_assert_uint_eq(used_idx(RXQ), 0);
}
END_TEST

/* A driver that enabled neither queue: traffic and kicks touch nothing. */
START_TEST(queues_not_enabled)
{
	uint8_t frame[60];

	memset(d.vq, 0, sizeof(d.vq));
	host_send(frame, sizeof(frame), 21);
	tap_ready();
	ck_assert(!watching());
	kick(RXQ);
	kick(TXQ);
	ck_assert_int_eq(interrupts[RXQ] + interrupts[TXQ] + resets, 0);
}
END_TEST

/* ---- Lifecycle ---- */

/* A reset forgets the held chains and watches the tap again. */
START_TEST(reset_forgets_held)
{
	uint8_t frame[60];

	rx_buffers(0, 3, 2048);
	host_send(frame, sizeof(frame), 19);
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 1);	/* two chains still held */
	tap_ready();
	ck_assert(watching());
	net_backend.reset(&d);
	queues_init(QSZ, 0);
	ck_assert(watching());
	ck_assert_int_eq(net_backend.start(&d), 0);
	rx_buffers(5, 1, 2048);
	host_send(frame, sizeof(frame), 20);
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(used_head(RXQ, 0), 5);
}
END_TEST

/* The tap going away: logged once, no more watching, traffic dropped. */
START_TEST(tap_gone)
{
	uint8_t frame[60];

	rx_buffers(0, 1, 2048);
	close(peer);
	peer = -1;
	tap_ready();
	ck_assert(!watching());
	ck_assert_uint_eq(used_idx(RXQ), 0);
	kick(RXQ);
	ck_assert(!watching());
	make_frame(gp(buf(3)), sizeof(frame), 0, 0);
	CHAIN(TXQ, 3, { buf(3), sizeof(frame), R });
	kick(TXQ);
	ck_assert_uint_eq(used_idx(TXQ), 1);
	/* The fd now holds something never readable. */
	struct pollfd p = { .fd = d.watch[0].fd, .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	ck_assert_int_eq(resets, 0);
}
END_TEST

/* ---- Opening ---- */

START_TEST(open_bad_name)
{
	char err[256];
	struct net *m = NULL;

	ck_assert_int_eq(net_open("0123456789abcdef", NULL, &m, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--net tap=0123456789abcdef: the name must have 1 to 15 characters");
	ck_assert_ptr_null(m);
}
END_TEST

START_TEST(open_fd_bad)
{
	struct net *m = NULL;

	ck_assert_int_eq(net_open_fd(-1, "x", NULL, &m), -EBADF);
	ck_assert_ptr_null(m);
}
END_TEST

/* ---- A real tap, when the tests may create one ---- */

/* Bring tap @name up, quiet (no IPv6 chatter of its own); its index. */
static int ifindex_up(const char *name)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = { 0 };
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	f = fopen(path, "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}

	ck_assert_int_ge(s, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ck_assert_int_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	ck_assert_int_eq(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
	return if_nametoindex(name);
}

/* A packet socket on the tap: what it sends comes out of the tap's fd. */
static int packet_socket(int ifindex)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				 .sll_ifindex = ifindex };
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));

	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	return s;
}

static void eth_frame(uint8_t *p, size_t len, unsigned seed)
{
	memset(p, 0xff, 6);			/* broadcast */
	memcpy(p + 6, "\x02\x00\x00\x00\x00\x01", 6);
	p[12] = 0x88;				/* a local experimental type */
	p[13] = 0xb5;
	for (size_t i = 14; i < len; i++)
		p[i] = (uint8_t)(i * 3 + seed);
}

/* Wait for the tap's fd to be readable. */
static void wait_readable(void)
{
	struct pollfd p = { .fd = d.watch[0].fd, .events = POLLIN };

	ck_assert_int_eq(poll(&p, 1, 2000), 1);
}

START_TEST(real_tap)
{
	char name[IFNAMSIZ], err[256];
	uint8_t frame[1000], got[1100];
	struct net *m;
	int ps, rc;

	snprintf(name, sizeof(name), "itsyut%d", (int)getpid() % 100000);
	rc = net_open(name, NULL, &m, err, sizeof(err));
	if (rc) {	/* no /dev/net/tun or no CAP_NET_ADMIN here */
		printf("real_tap: skipped: %s\n", err);
		ck_assert(strncmp(err, "--net tap=", 10) == 0);
		return;
	}
	/* Busy while attached. */
	ck_assert_int_eq(net_open(name, NULL, &n, err, sizeof(err)), -EBUSY);
	ck_assert(strstr(err, "tap is busy") != NULL);
	dev_destroy();
	dev_create(m, all_features());
	ps = packet_socket(ifindex_up(name));

	/* Host to guest: a frame larger than the one buffer is dropped... */
	no_mrg();
	rx_buffers(0, 1, 200);
	eth_frame(frame, sizeof(frame), 1);
	ck_assert_int_eq(send(ps, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
	wait_readable();
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 0);
	/* ... and one that fits arrives behind a header with num_buffers. */
	eth_frame(frame, 100, 2);
	ck_assert_int_eq(send(ps, frame, 100, 0), 100);
	wait_readable();
	tap_ready();
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(used_len(RXQ, 0), HDR + 100);
	ck_assert_uint_eq(le16toh(*(uint16_t *)(gp(buf(0)) + NUMBUF)), 1);
	ck_assert_mem_eq(gp(buf(0)) + HDR, frame, 100);

	/* Guest to host: the header goes, the frame comes out of the tap. */
	memset(gp(buf(4)), 0, HDR);
	eth_frame(gp(buf(4)) + HDR, 200, 3);
	CHAIN(TXQ, 4, { buf(4), HDR + 200, R });
	kick(TXQ);
	ck_assert_uint_eq(used_idx(TXQ), 1);
	for (int tries = 0; tries < 100; tries++) {
		rc = recv(ps, got, sizeof(got), 0);
		if (rc == 200 && !memcmp(got, gp(buf(4)) + HDR, 200))
			break;
		usleep(10000);
	}
	ck_assert_int_eq(rc, 200);
	ck_assert_mem_eq(got, gp(buf(4)) + HDR, 200);
	close(ps);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio_net");
	TCase *tc[6];

	tc[0] = UNIT_TCASE(s, "config", config_contents, features_and_queues,
			   mac_given_or_made_up, open_bad_name, open_fd_bad);
	tc[1] = UNIT_TCASE(s, "tx", tx_framing, tx_batch_in_order, tx_bad_lengths_dropped,
			   tx_largest_frame, tx_looping_chain, tx_budget_rekicks);
	tc[2] = UNIT_TCASE(s, "rx", rx_one_buffer, rx_flags_cleared,
			   rx_offload_not_negotiated, rx_segments,
			   rx_spans_buffers, rx_many_frames, rx_no_buffers,
			   rx_kicks_only_when_starved, rx_too_big_dropped, rx_no_mrg_one_chain,
			   rx_runt_dropped, rx_largest_frame_merged);
	tc[3] = UNIT_TCASE(s, "bad", rx_readable_segment, rx_chain_shorter_than_header,
			   rx_descriptor_out_of_ram, queues_not_enabled);
	tc[4] = UNIT_TCASE(s, "life", reset_forgets_held, tap_gone);
	tc[5] = UNIT_TCASE(s, "tap", real_tap);
	for (unsigned i = 0; i < 6; i++)
		tcase_add_checked_fixture(tc[i], setup, teardown);
	return unit_run(s);
}
