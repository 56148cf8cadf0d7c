#include "devices/virtio-rng/rng.h"

#include <errno.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

/* Fill up to @max bytes of one device-writable buffer; returns the bytes
 * written. */
static uint32_t fill(const struct virtq_seg *s, uint32_t max)
{
	uint32_t done = 0, want = s->len < max ? s->len : max;

	while (done < want) {
		ssize_t n = getrandom((uint8_t *)s->ptr + done, want - done, 0);

		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			done += n;
	}
	return done;
}

/* One chain gets at most RNG_CHAIN_MAX bytes (a device may fill less than
 * the buffers offer; the used length says how much): a chain of huge
 * buffers costs no more than a small one. */
static uint32_t fill_chain(const struct virtq_chain *c)
{
	uint32_t len = 0;

	for (unsigned i = c->nread; i < c->nread + c->nwrite && len < RNG_CHAIN_MAX; i++)
		len += fill(&c->seg[i], RNG_CHAIN_MAX - len);
	return len;
}

static void rng_kick(struct virtio_dev *d, unsigned q)
{
	static struct virtq_chain c;	/* device thread only; too big for the stack */
	unsigned budget = VIRTIO_KICK_BUDGET;
	uint32_t len;
	int rc = 0;

	while (budget && (rc = virtq_pop(&d->vq[q], &c)) > 0) {
		len = fill_chain(&c);
		virtq_mark_written(&d->vq[q], c.seg + c.nread, c.nwrite, len);
		virtq_push(&d->vq[q], c.head, len);
		budget--;
	}
	if (rc < 0)
		virtio_dev_broken(d);
	else if (!budget)
		virtio_dev_rekick(d, q);
	virtio_dev_signal(d, q);
}

static void rng_config(struct virtio_dev *d, uint8_t *buf)
{
	(void)d;
	(void)buf;	/* virtio-rng has no configuration */
}

const struct virtio_backend rng_backend = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.nqueues = 1,
	.queue_max = 64,
	.features = 1ull << VIRTIO_RING_F_EVENT_IDX | 1ull << VIRTIO_RING_F_INDIRECT_DESC,
	.config_size = 0,
	.config = rng_config,
	.kick = rng_kick,
};

/* ---- the device kind (devices/kind.h): --rng ---- */

static int kind_create(const struct device_env *env, const char *arg, char *err, size_t len)
{
	int rc = env->plug_virtio(env, rng_kind.name, &rng_backend, NULL);

	(void)arg;
	if (rc)
		snprintf(err, len, "--rng: %s", strerror(-rc));
	return rc;
}

const struct device_kind rng_kind = {
	.name = "virtio-rng", .option = "rng", .syntax = NULL,
	.help = "a virtio-rng device fed by the host's getrandom()",
	.max = 1, .create = kind_create,
};
