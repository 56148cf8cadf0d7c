#include "devices/virtio-console/console.h"
#include "vmm/console.h"

#include <errno.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define RXQ		0	/* receiveq0: to the guest */
#define TXQ		1	/* transmitq0: from the guest */
#define RING		1024
#define TX_ROOM		(64u << 10)	/* console room needed to take a chain */

struct vcon {
	struct console *con;
	pthread_mutex_t lock;		/* the input ring */
	uint8_t ring[RING];
	unsigned head, count;
	int input_fd;			/* eventfd: the ring has bytes */
	struct virtio_dev *dev;
	struct virtq_chain chain;	/* device thread only */
};

/* Console sink, main thread: take what fits in the ring. */
static size_t vcon_sink(void *ctx, const uint8_t *buf, size_t len)
{
	struct vcon *v = ctx;
	uint64_t one = 1;
	size_t n = 0;

	pthread_mutex_lock(&v->lock);
	for (; n < len && v->count < RING; n++, v->count++)
		v->ring[(v->head + v->count) % RING] = buf[n];
	pthread_mutex_unlock(&v->lock);
	if (n)
		(void)!write(v->input_fd, &one, sizeof(one));
	return n;
}

/* Copy ring bytes into one chain's writable buffers; returns the count. */
static uint32_t fill_chain(struct vcon *v)
{
	uint32_t done = 0;

	for (unsigned i = v->chain.nread; i < v->chain.nread + v->chain.nwrite; i++) {
		struct virtq_seg *s = &v->chain.seg[i];

		for (uint32_t k = 0; k < s->len && v->count; k++, done++) {
			((uint8_t *)s->ptr)[k] = v->ring[v->head];
			v->head = (v->head + 1) % RING;
			v->count--;
		}
	}
	return done;
}

/* Device thread: move ring bytes to the guest while it has buffers. */
static void deliver(struct virtio_dev *d)
{
	struct vcon *v = d->priv;
	int rc = 1, moved = 0;

	pthread_mutex_lock(&v->lock);
	while (v->count && (rc = virtq_pop(&d->vq[RXQ], &v->chain)) > 0) {
		uint32_t n = fill_chain(v);

		virtq_mark_written(&d->vq[RXQ], v->chain.seg, v->chain.nread + v->chain.nwrite, n);
		virtq_push(&d->vq[RXQ], v->chain.head, n);
		moved = 1;
	}
	pthread_mutex_unlock(&v->lock);
	if (rc < 0)
		virtio_dev_broken(d);
	virtio_dev_signal(d, RXQ);
	if (moved)
		console_kick(v->con);	/* room again: the console may flush more */
}

static void on_input(struct virtio_dev *d, void *ctx)
{
	struct vcon *v = ctx;
	uint64_t n;

	(void)!read(v->input_fd, &n, sizeof(n));
	deliver(d);
}

/* Device thread: guest output to the console, while the console has room
 * for a whole chain of the size drivers send (a page); a larger chain
 * loses what does not fit. Without room, the room watch comes back. */
static void transmit(struct virtio_dev *d)
{
	struct vcon *v = d->priv;
	unsigned budget = VIRTIO_KICK_BUDGET;
	int rc = 0;

	if (!d->vq[TXQ].size)
		return;
	while (budget && console_has_room(v->con, TX_ROOM) &&
	       (rc = virtq_pop(&d->vq[TXQ], &v->chain)) > 0) {
		for (unsigned i = 0; i < v->chain.nread; i++)
			console_write(v->con, v->chain.seg[i].ptr, v->chain.seg[i].len);
		virtq_push(&d->vq[TXQ], v->chain.head, 0);
		budget--;
	}
	if (rc < 0)
		virtio_dev_broken(d);
	else if (!budget)
		virtio_dev_rekick(d, TXQ);
	virtio_dev_signal(d, TXQ);
}

static void on_room(struct virtio_dev *d, void *ctx)
{
	struct vcon *v = ctx;
	uint64_t n;

	(void)!read(console_room_fd(v->con), &n, sizeof(n));
	transmit(d);
}

static void vcon_kick(struct virtio_dev *d, unsigned q)
{
	if (q == TXQ)
		transmit(d);
	else
		deliver(d);	/* new receive buffers */
}

static int vcon_realize(struct virtio_dev *d)
{
	struct vcon *v = d->priv;

	v->dev = d;
	return virtio_dev_watch(d, v->input_fd, on_input, v) ?:
	       virtio_dev_watch(d, console_room_fd(v->con), on_room, v);
}

static void vcon_config(struct virtio_dev *d, uint8_t *buf)
{
	(void)d;	/* no size, no ports: all zero */
	memset(buf, 0, sizeof(struct virtio_console_config));
}

int vcon_create(struct console *c, struct vcon **out)
{
	struct vcon *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	v->con = c;
	pthread_mutex_init(&v->lock, NULL);
	v->input_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (v->input_fd < 0)
		return -errno;
	console_set_sink(c, vcon_sink, v);
	*out = v;
	return 0;
}

const struct virtio_backend vcon_backend = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.nqueues = 2,
	.queue_max = 64,
	.features = 1ull << VIRTIO_RING_F_EVENT_IDX,
	.config_size = sizeof(struct virtio_console_config),
	.realize = vcon_realize,
	.config = vcon_config,
	.kick = vcon_kick,
};

/* ---- the device kind (devices/kind.h): added by --console virtio ---- */

static int kind_create(const struct device_env *env, const char *arg, char *err, size_t len)
{
	struct vcon *v = NULL;
	int rc = vcon_create(env->console, &v);

	(void)arg;
	rc = rc ? rc : env->plug_virtio(env, vcon_kind.name, &vcon_backend, v);
	if (rc)
		snprintf(err, len, "--console virtio: %s", strerror(-rc));
	return rc;
}

const struct device_kind vcon_kind = {
	.name = "virtio-console", .option = NULL, .syntax = NULL,
	.help = "the terminal as the guest's hvc0 (--console virtio)",
	.max = 1, .create = kind_create,
};
