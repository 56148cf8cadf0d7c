/* A virtio device, between its backend (blk, rng, net, ...) and its
 * transport (virtio-pci). Knows nothing of KVM or PCI.
 *
 * Threads: each started device has one thread of its own. It waits on the
 * queues' kick eventfds (the transport binds them to the guest's notify
 * writes, e.g. as KVM ioeventfds) and on any fd the backend watches, and
 * calls the backend there, never on a vCPU thread. The backend finishes
 * chains with virtq_push() and then calls virtio_dev_signal(). */
#ifndef ITSY_VIRTIO_H
#define ITSY_VIRTIO_H

#include <pthread.h>
#include <stdint.h>

#include "devices/virtio/virtqueue.h"

#define VIRTIO_MAX_QUEUES	8
#define VIRTIO_MAX_WATCHES	4

struct virtio_dev;

struct virtio_backend {
	const char *name;
	uint16_t device_id;		/* VIRTIO_ID_* (linux/virtio_ids.h) */
	unsigned nqueues;
	uint16_t queue_max;		/* largest queue size offered, a power of two */
	uint64_t features;		/* device-specific bits offered */
	unsigned config_size;		/* bytes of device configuration space */
	/* Write the device configuration (little-endian) into @buf. */
	void (*config)(struct virtio_dev *d, uint8_t *buf);
	/* The queues are live (DRIVER_OK). Optional. 0 or -errno. */
	int (*start)(struct virtio_dev *d);
	/* Queue @q was kicked: serve it. On the device thread. */
	void (*kick)(struct virtio_dev *d, unsigned q);
	/* The device is being reset and its thread is stopped: drop any
	 * state tied to the queues. Optional. */
	void (*reset)(struct virtio_dev *d);
};

/* What the transport does for the device. */
struct virtio_transport {
	/* Chains were returned on queue @q and the driver wants to know. */
	void (*interrupt)(struct virtio_dev *d, unsigned q);
	/* The driver broke a queue: ask it for a reset (NEEDS_RESET). */
	void (*needs_reset)(struct virtio_dev *d);
};

struct virtio_watch {
	int fd;
	void (*fn)(struct virtio_dev *d, void *ctx);
	void *ctx;
};

struct virtio_dev {
	const struct virtio_backend *be;
	void *priv;				/* the backend's state */
	const struct guest_mem *mem;
	const struct virtio_transport *tp;
	void *tp_ctx;				/* the transport's state */
	uint64_t features;			/* negotiated, all 64 bits */
	struct virtq vq[VIRTIO_MAX_QUEUES];
	int kick_fd[VIRTIO_MAX_QUEUES];		/* eventfds */
	struct virtio_watch watch[VIRTIO_MAX_WATCHES];
	unsigned nwatches;
	int stop_fd;				/* eventfd: ends the thread */
	pthread_t thread;
	int running;
};

/* Set up @d for backend @be with state @priv. -errno. */
int virtio_dev_init(struct virtio_dev *d, const struct virtio_backend *be,
		    void *priv, const struct guest_mem *mem);

/* Have the device thread call @fn(@d, @ctx) when @fd is readable. Before
 * virtio_dev_start() only. -ENOSPC when full. */
int virtio_dev_watch(struct virtio_dev *d, int fd,
		     void (*fn)(struct virtio_dev *d, void *ctx), void *ctx);

/* The queues are set up: call the backend's start() and run the thread. */
int virtio_dev_start(struct virtio_dev *d);
/* Stop and join the thread (no-op if not running); then, if @reset,
 * call the backend's reset(). */
void virtio_dev_stop(struct virtio_dev *d, int reset);

/* After pushes on queue @q: interrupt the driver if the queue says so. */
void virtio_dev_signal(struct virtio_dev *d, unsigned q);
/* The guest's data on a queue was bad: the device needs a reset. */
void virtio_dev_broken(struct virtio_dev *d);

/* True if feature bit @bit was negotiated. */
int virtio_dev_has(const struct virtio_dev *d, unsigned bit);

#endif
