/* virtio-net on a host tap device. See net.h for the contract. */
#include "devices/virtio-net/net.h"
#include "vmm/log.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define F(bit)		(1ull << (bit))
#define HDR		sizeof(struct virtio_net_hdr_v1)
/* Receive buffers worth holding: a header and the largest frame. */
#define RX_WANT		(HDR + NET_FRAME_MAX)
/* Device configuration up to max_virtqueue_pairs. */
#define CONFIG_SIZE	offsetof(struct virtio_net_config, mtu)

/* A receive chain held for the frames to come. */
struct rx_buf {
	uint16_t head;
	unsigned nseg;
	uint32_t cap;			/* bytes in seg[] */
	struct iovec seg[NET_RX_SEGS];
};

struct net {
	int fd;				/* the tap */
	int spare;			/* an eventfd never readable: see tap_lost() */
	int dead;			/* the tap failed: traffic is dropped */
	unsigned watch;			/* the tap's watch index */
	char name[IFNAMSIZ];
	uint8_t mac[6];
	int rx_notify;			/* receive kicks asked for */
	struct rx_buf rx[NET_RX_HELD];	/* held chains, a ring from rx_first */
	unsigned rx_first, rx_held;
	uint64_t rx_cap;		/* bytes in the held chains */
	uint8_t spill[1];		/* after the buffers: shows a frame did not fit */
	struct virtq_chain chain;	/* the chain being popped */
	struct iovec iov[IOV_MAX];
};

/* ---- Segments ---- */

/* Copy @len bytes between @buf and offset @off of the @cnt entries of
 * @iov, which hold them: into the segments when @to_iov, else out. */
static void iov_copy(const struct iovec *iov, unsigned cnt, size_t off, void *buf,
		     size_t len, int to_iov)
{
	uint8_t *p = buf;

	for (unsigned i = 0; i < cnt && len; i++) {
		uint8_t *seg;
		size_t take;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		seg = (uint8_t *)iov[i].iov_base + off;
		take = iov[i].iov_len - off < len ? iov[i].iov_len - off : len;
		memcpy(to_iov ? seg : p, to_iov ? p : seg, take);
		p += take;
		len -= take;
		off = 0;
	}
}

static void iov_put(const struct iovec *iov, unsigned cnt, size_t off, const void *src,
		    size_t len)
{
	iov_copy(iov, cnt, off, (void *)src, len, 1);
}

static void iov_get(const struct iovec *iov, unsigned cnt, size_t off, void *dst, size_t len)
{
	iov_copy(iov, cnt, off, dst, len, 0);
}

/* ---- The tap failing ---- */

/* Stop watching the tap for good. The fd number is kept (the device's
 * watch names it) but now holds an eventfd that is never readable: a
 * dead tap reports EPOLLERR forever, even to a disabled watch. */
static void tap_lost(struct virtio_dev *d, struct net *n, int err)
{
	log_msg("virtio-net: tap %s: %s; the link is dead", n->name,
		err ? strerror(err) : "end of file");
	virtio_dev_watch_set(d, n->watch, 0);
	dup2(n->spare, n->fd);
	n->dead = 1;
}

/* ---- Receive ---- */

static struct rx_buf *held(struct net *n, unsigned i)
{
	return &n->rx[(n->rx_first + i) % NET_RX_HELD];
}

/* Keep the non-empty writable segments of n->chain, up to NET_RX_SEGS.
 * -EIO if the chain cannot take a frame. */
static int rx_hold(struct net *n)
{
	const struct virtq_chain *c = &n->chain;
	struct rx_buf *b = held(n, n->rx_held);

	if (c->nread || c->write_len < HDR)
		return -EIO;
	b->head = c->head;
	b->nseg = b->cap = 0;
	for (unsigned i = 0; i < c->nwrite && b->nseg < NET_RX_SEGS; i++) {
		const struct virtq_seg *s = &c->seg[i];

		if (s->len)
			b->seg[b->nseg++] = (struct iovec){ s->ptr, s->len };
		b->cap += s->len;
	}
	n->rx_held++;
	n->rx_cap += b->cap;
	return 0;
}

/* Pop chains until they cover a frame (one chain without MRG_RXBUF).
 * 0 or -EIO. */
static int rx_fill(struct virtio_dev *d, struct net *n)
{
	unsigned most = virtio_dev_has(d, VIRTIO_NET_F_MRG_RXBUF) ? NET_RX_HELD : 1;
	int rc = 0;

	while (n->rx_held < most && n->rx_cap < RX_WANT && !rc) {
		rc = virtq_pop(&d->vq[NET_RXQ], &n->chain);
		if (rc <= 0)
			return rc;
		rc = rx_hold(n);
	}
	return rc;
}

/* The held chains, whole ones only, as one iovec, with the spill byte
 * after them. Sets *@cap to their size; returns the entry count. */
static unsigned rx_iov(struct net *n, uint64_t *cap)
{
	unsigned cnt = 0;

	*cap = 0;
	for (unsigned i = 0; i < n->rx_held; i++) {
		const struct rx_buf *b = held(n, i);

		if (cnt + b->nseg >= IOV_MAX)
			break;
		memcpy(&n->iov[cnt], b->seg, b->nseg * sizeof(b->seg[0]));
		cnt += b->nseg;
		*cap += b->cap;
	}
	n->iov[cnt] = (struct iovec){ n->spill, sizeof(n->spill) };
	return cnt + 1;
}

/* virtq_push() of @k chains with a single used->idx update: the driver
 * must never see part of a merged frame (Linux drops it, then takes the
 * rest for frames of their own). */
static void rx_mark_written(const struct virtq *q, const struct rx_buf *b, uint32_t len)
{
	for (unsigned i = 0; i < b->nseg && len; i++) {
		uint32_t n = b->seg[i].iov_len < len ? b->seg[i].iov_len : len;

		mem_dirty_mark(q->mem, b->seg[i].iov_base, n);
		len -= n;
	}
}

static int rx_publish(struct virtq *q, const struct rx_buf *const *b,
		      const uint32_t *len, unsigned k)
{
	uint16_t idx = q->used_idx;

	if (q->broken || (uint16_t)(q->last_avail - idx) < k)
		return -EIO;
	for (unsigned i = 0; i < k; i++) {
		vring_used_elem_t *e = &q->vr.used->ring[(uint16_t)(idx + i) & (q->size - 1)];

		e->id = htole32(b[i]->head);
		e->len = htole32(len[i]);
		rx_mark_written(q, b[i], len[i]);
	}
	q->used_idx = idx + k;
	/* Release: the elements (and the frame) before the index. */
	__atomic_store_n(&q->vr.used->idx, htole16(q->used_idx), __ATOMIC_RELEASE);
	virtq_used_written(q);
	return 0;
}

/* Only what the guest negotiated reaches it: the tap's offloads are off,
 * but an fd passed in may not be a tap set up like ours. */
static int rx_allowed(const struct virtio_dev *d, const struct rx_buf *first)
{
	struct virtio_net_hdr_v1 h;

	iov_get(first->seg, first->nseg, 0, &h, sizeof(h));
	if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    !virtio_dev_has(d, VIRTIO_NET_F_GUEST_CSUM))
		return 0;
	if ((h.gso_type & VIRTIO_NET_HDR_GSO_ECN) && !virtio_dev_has(d, VIRTIO_NET_F_GUEST_ECN))
		return 0;
	switch (h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return 1;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return virtio_dev_has(d, VIRTIO_NET_F_GUEST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return virtio_dev_has(d, VIRTIO_NET_F_GUEST_TSO6);
	}
	return 0;
}

/* The tap's header has no num_buffers (it skips those two bytes) and may
 * flag DATA_VALID, which needs VIRTIO_NET_F_GUEST_CSUM. */
static void rx_header(const struct virtio_dev *d, const struct rx_buf *first, unsigned k)
{
	uint16_t num = htole16(k);
	uint8_t flags = 0;

	iov_put(first->seg, first->nseg, offsetof(struct virtio_net_hdr_v1, num_buffers),
		&num, sizeof(num));
	if (!virtio_dev_has(d, VIRTIO_NET_F_GUEST_CSUM))
		iov_put(first->seg, first->nseg, offsetof(struct virtio_net_hdr_v1, flags),
			&flags, sizeof(flags));
}

/* Give the guest the frame of @len bytes that fills the first held chains. */
static int rx_deliver(struct virtio_dev *d, struct net *n, uint64_t len)
{
	const struct rx_buf *b[NET_RX_HELD];
	uint32_t used[NET_RX_HELD];
	unsigned k = 0;

	for (; len; k++) {
		b[k] = held(n, k);
		used[k] = len < b[k]->cap ? len : b[k]->cap;
		len -= used[k];
		n->rx_cap -= b[k]->cap;
	}
	rx_header(d, b[0], k);
	n->rx_first = (n->rx_first + k) % NET_RX_HELD;
	n->rx_held -= k;
	return rx_publish(&d->vq[NET_RXQ], b, used, k);
}

/* Read one frame into the held chains: 1 if there may be more, 0 if the
 * tap is empty or dead, -EIO if the queue broke. */
static int rx_one(struct virtio_dev *d, struct net *n)
{
	uint64_t cap;
	unsigned cnt = rx_iov(n, &cap);
	ssize_t r;

	do
		r = readv(n->fd, n->iov, cnt);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno == EAGAIN)
		return 0;
	if (r <= 0) {
		tap_lost(d, n, r ? errno : 0);
		return 0;
	}
	if ((uint64_t)r < HDR || (uint64_t)r > cap || !rx_allowed(d, held(n, 0)))
		return 1;	/* dropped */
	return rx_deliver(d, n, r) ? -EIO : 1;
}

/* No buffers: ask for kicks, and if none came meanwhile, stop watching
 * the tap. 1 if buffers came, 0 if not, -EIO if the queue broke. */
static int rx_starved(struct virtio_dev *d, struct net *n)
{
	int rc = 0;

	if (!n->rx_notify) {
		n->rx_notify = 1;
		rc = virtq_set_notify(&d->vq[NET_RXQ], 1);
	}
	if (!rc)
		virtio_dev_watch_set(d, n->watch, 0);
	return rc < 0 ? rc : !!rc;
}

/* Buffers held: no kicks needed, the next frame pops more. */
static void rx_quiet(struct virtio_dev *d, struct net *n)
{
	if (n->rx_notify) {
		n->rx_notify = 0;
		virtq_set_notify(&d->vq[NET_RXQ], 0);
	}
}

/* One frame, or the state change that ends the loop. As rx_one(). */
static int rx_step(struct virtio_dev *d, struct net *n)
{
	int rc = rx_fill(d, n);

	if (rc < 0)
		return rc;
	if (!n->rx_held)
		return rx_starved(d, n);
	rx_quiet(d, n);
	return rx_one(d, n);
}

static void rx_run(struct virtio_dev *d, struct net *n)
{
	unsigned budget = NET_BUDGET;
	int rc = 1;

	if (!d->vq[NET_RXQ].size) {	/* the driver did not enable it */
		virtio_dev_watch_set(d, n->watch, 0);
		return;
	}
	while (rc > 0 && budget-- && !n->dead)
		rc = rx_step(d, n);
	if (rc < 0) {
		virtio_dev_watch_set(d, n->watch, 0);
		virtio_dev_broken(d);
	}
	virtio_dev_signal(d, NET_RXQ);
}

/* The tap is readable (watch callback). */
static void rx_ready(struct virtio_dev *d, void *ctx)
{
	rx_run(d, ctx);
}

/* Forget the held chains: the queues are being set up anew. */
static void rx_forget(struct virtio_dev *d, struct net *n)
{
	n->rx_first = n->rx_held = 0;
	n->rx_cap = 0;
	n->rx_notify = 1;
	virtio_dev_watch_set(d, n->watch, !n->dead);
}

/* ---- Transmit ---- */

/* Write the frame of chain @c to the tap, or drop it. */
static void tx_one(struct net *n, const struct virtq_chain *c)
{
	unsigned cnt = 0;
	ssize_t r;

	if (n->dead || c->read_len < HDR || c->read_len > HDR + NET_FRAME_MAX)
		return;
	for (unsigned i = 0; i < c->nread; i++)
		if (c->seg[i].len)
			n->iov[cnt++] = (struct iovec){ c->seg[i].ptr, c->seg[i].len };
	do
		r = writev(n->fd, n->iov, cnt);
	while (r < 0 && errno == EINTR);
}

static void tx_run(struct virtio_dev *d, struct net *n)
{
	struct virtq *q = &d->vq[NET_TXQ];
	unsigned budget = NET_BUDGET;
	int rc = 0;

	if (!q->size)	/* the driver did not enable it */
		return;
	while (budget && (rc = virtq_pop(q, &n->chain)) > 0) {
		tx_one(n, &n->chain);
		rc = virtq_push(q, n->chain.head, 0);
		if (rc)
			break;
		budget--;
	}
	if (rc < 0)
		virtio_dev_broken(d);
	else if (!budget)
		virtio_dev_rekick(d, NET_TXQ);
	virtio_dev_signal(d, NET_TXQ);
}

/* ---- Backend ---- */

static void net_kick(struct virtio_dev *d, unsigned q)
{
	struct net *n = d->priv;

	if (q == NET_TXQ) {
		tx_run(d, n);
	} else if (q == NET_RXQ && !n->dead) {
		virtio_dev_watch_set(d, n->watch, 1);
		rx_run(d, n);
	}
}

static int net_realize(struct virtio_dev *d)
{
	struct net *n = d->priv;

	n->watch = d->nwatches;
	return virtio_dev_watch(d, n->fd, rx_ready, n);
}

static int net_start(struct virtio_dev *d)
{
	rx_forget(d, d->priv);
	return 0;
}

static void net_reset(struct virtio_dev *d)
{
	rx_forget(d, d->priv);
}

static void net_config(struct virtio_dev *d, uint8_t *buf)
{
	const struct net *n = d->priv;
	struct virtio_net_config c = {
		.status = htole16(VIRTIO_NET_S_LINK_UP),
		.max_virtqueue_pairs = htole16(1),
	};

	memcpy(c.mac, n->mac, sizeof(c.mac));
	memcpy(buf, &c, CONFIG_SIZE);
}

/* Pause (the thread is stopped): give back the receive chains held ahead.
 * They were the last ones popped, so moving the queue's next avail index
 * back over them returns them to the ring; a snapshot then carries no
 * chain in flight, and after resume or restore they are popped again. */
static int net_pause(struct virtio_dev *d)
{
	struct net *n = d->priv;

	if (d->vq[NET_RXQ].size)
		d->vq[NET_RXQ].last_avail -= (uint16_t)n->rx_held;
	n->rx_first = n->rx_held = 0;
	n->rx_cap = 0;
	return 0;
}

static int net_release(struct virtio_dev *d);
static int net_acquire(struct virtio_dev *d);

const struct virtio_backend net_backend = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.nqueues = 2,
	.queue_max = NET_QUEUE_MAX,
	.features = F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) |
		    F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_EVENT_IDX) |
		    F(VIRTIO_RING_F_INDIRECT_DESC),
	.config_size = CONFIG_SIZE,
	.realize = net_realize,
	.config = net_config,
	.start = net_start,
	.kick = net_kick,
	.reset = net_reset,
	.pause = net_pause,
	.release = net_release,
	.acquire = net_acquire,
};

/* ---- Opening ---- */

/* 52:54:00 and 24 bits of a FNV-1a hash of @name: locally administered,
 * unicast, the same on every run. */
static void make_mac(uint8_t mac[6], const char *name)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = h >> 16;
	mac[4] = h >> 8;
	mac[5] = h;
}

int net_open_fd(int fd, const char *name, const uint8_t *mac, struct net **out)
{
	int fl = fcntl(fd, F_GETFL), spare;
	struct net *n;

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	spare = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (spare < 0)
		return -errno;
	n = calloc(1, sizeof(*n));
	if (!n) {
		close(spare);
		return -ENOMEM;
	}
	n->spare = spare;
	n->fd = fd;
	n->rx_notify = 1;
	(void)ioctl(fd, TUNSETOFFLOAD, 0ul);	/* fails on a socket: fine */
	snprintf(n->name, sizeof(n->name), "%s", name);
	if (mac)
		memcpy(n->mac, mac, sizeof(n->mac));
	else
		make_mac(n->mac, name);
	*out = n;
	return 0;
}

void net_close(struct net *n)
{
	if (!n)
		return;
	close(n->fd);
	close(n->spare);
	free(n);
}

static int fail(char *err, size_t errlen, const char *tap, int rc, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(err, errlen, "--net tap=%s: ", tap);

	if (k >= 0 && (size_t)k < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + k, errlen - k, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Why TUNSETIFF failed, in words. */
static int attach_fail(char *err, size_t errlen, const char *tap, int e)
{
	switch (e) {
	case EBUSY:
		return fail(err, errlen, tap, -e, "tap is busy (attached to another process)");
	case EPERM:
		return fail(err, errlen, tap, -e, "cannot create or attach the tap: %s "
			    "(needs CAP_NET_ADMIN, or a persistent tap owned by this user)",
			    strerror(e));
	case EINVAL:
		return fail(err, errlen, tap, -e, "cannot attach: %s (an interface of that "
			    "name exists and is not a single-queue tap?)", strerror(e));
	}
	return fail(err, errlen, tap, -e, "cannot create or attach the tap: %s", strerror(e));
}

/* Attach @fd (/dev/net/tun) to tap @tap, creating it if need be, with the
 * virtio 1.x header. */
static int tap_attach(int fd, const char *tap, char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr = HDR;

	memcpy(ifr.ifr_name, tap, strlen(tap));
	if (ioctl(fd, TUNSETIFF, &ifr))
		return attach_fail(err, errlen, tap, errno);
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr))
		return fail(err, errlen, tap, -errno, "cannot set the virtio header size: %s",
			    strerror(errno));
	return 0;
}

int net_open(const char *tap, const uint8_t *mac, struct net **out,
	     char *err, size_t errlen)
{
	int fd, rc;

	if (!tap[0] || strlen(tap) >= IFNAMSIZ)
		return fail(err, errlen, tap, -EINVAL, "the name must have 1 to %d characters",
			    IFNAMSIZ - 1);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, tap, -errno, "cannot open /dev/net/tun: %s%s",
			    strerror(errno), errno == ENOENT ? " (load the tun module)" : "");
	rc = tap_attach(fd, tap, err, errlen);
	if (!rc && (rc = net_open_fd(fd, tap, mac, out)))
		fail(err, errlen, tap, rc, "%s", strerror(-rc));
	if (rc)
		close(fd);
	return rc;
}

/* A single-queue tap takes one file at a time: the guest's next host
 * (another itsy here) attaches only once this one let go. A descriptor
 * that is not a tap (passed in) is kept. */
static int net_release(struct virtio_dev *d)
{
	struct net *n = d->priv;
	struct ifreq ifr;

	if (n->fd < 0 || ioctl(n->fd, TUNGETIFF, &ifr))
		return 0;
	close(n->fd);
	n->fd = -1;
	return 0;
}

static int net_acquire(struct virtio_dev *d)
{
	struct net *n = d->priv;
	char err[256];
	int fd;

	if (n->fd >= 0)
		return 0;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (tap_attach(fd, n->name, err, sizeof(err))) {
		log_msg("%s", err);
		close(fd);
		return -EBUSY;
	}
	n->fd = fd;
	d->watch[n->watch].fd = fd;	/* the thread polls it from its restart */
	return 0;
}

/* ---- the device kind (devices/kind.h): --net tap=NAME[,mac=MAC] ---- */

struct nic_arg {
	char tap[IFNAMSIZ];
	uint8_t mac[6];
	int has_mac;
};

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &end) != 6 || (v[0] & 1))	/* a multicast address is no NIC's */
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

/* One "key=value" of the option into @n. */
static int nic_key(const char *kv, struct nic_arg *n)
{
	if (!strncmp(kv, "tap=", 4) && kv[4] && strlen(kv + 4) < sizeof(n->tap)) {
		strcpy(n->tap, kv + 4);
		return 0;
	}
	if (!strncmp(kv, "mac=", 4) && !parse_mac(kv + 4, n->mac)) {
		n->has_mac = 1;
		return 0;
	}
	return -EINVAL;
}

static int nic_arg(const char *arg, struct nic_arg *n, char *err, size_t len)
{
	char buf[128], *save = NULL, *kv;

	memset(n, 0, sizeof(*n));
	snprintf(buf, sizeof(buf), "%s", arg);
	for (kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save))
		if (nic_key(kv, n)) {
			snprintf(err, len, "--net '%s': bad '%s' (want tap=NAME of at most 15 "
				 "characters, mac=52:54:00:12:34:56)", arg, kv);
			return -EINVAL;
		}
	if (!n->tap[0]) {
		snprintf(err, len, "--net '%s': tap=NAME is required", arg);
		return -EINVAL;
	}
	return 0;
}

static int kind_check(const char *arg, char *err, size_t len)
{
	struct nic_arg n;

	return nic_arg(arg, &n, err, len);
}

static int kind_create(const struct device_env *env, const char *arg, char *err, size_t len)
{
	struct nic_arg n;
	struct net *net;
	int rc = nic_arg(arg, &n, err, len);

	rc = rc ? rc : net_open(n.tap, n.has_mac ? n.mac : NULL, &net, err, len);
	return rc ? rc : env->plug_virtio(env, net_kind.name, &net_backend, net);
}

static void kind_describe(const char *arg, char *out, size_t len)
{
	snprintf(out, len, "%s", arg);
}

const struct device_kind net_kind = {
	.name = "virtio-net", .option = "net", .syntax = "tap=NAME[,mac=MAC]",
	.help = "a virtio-net NIC on host tap NAME (created if missing)",
	.max = NET_MAX_NICS, .check = kind_check, .create = kind_create,
	.describe = kind_describe,
};
