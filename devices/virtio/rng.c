#include "devices/virtio/rng.h"

#include <errno.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <sys/random.h>

/* Fill one device-writable buffer; returns the bytes written. */
static uint32_t fill(const struct virtq_seg *s)
{
	uint32_t done = 0;

	while (done < s->len) {
		ssize_t n = getrandom((uint8_t *)s->ptr + done, s->len - done, 0);

		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			done += n;
	}
	return done;
}

static void rng_kick(struct virtio_dev *d, unsigned q)
{
	static struct virtq_chain c;	/* device thread only; too big for the stack */
	uint32_t len;
	int rc;

	while ((rc = virtq_pop(&d->vq[q], &c)) > 0) {
		len = 0;
		for (unsigned i = c.nread; i < c.nread + c.nwrite; i++)
			len += fill(&c.seg[i]);
		virtq_mark_written(&d->vq[q], c.seg + c.nread, c.nwrite, len);
		virtq_push(&d->vq[q], c.head, len);
	}
	if (rc < 0)
		virtio_dev_broken(d);
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
