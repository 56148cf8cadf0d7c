/* A virtio device, between its backend (blk, rng, net, ...) and its
 * transport (virtio-pci). Knows nothing of KVM or PCI.
 *
 * Threads: each device has one thread of its own, made by
 * virtio_dev_spawn() when the device is created (at start-up, so that it is
 * confined as a device thread, vmm/sandbox.h) and parked while the device
 * is stopped. Started, it waits on the queues' kick eventfds (the
 * transport binds them to the guest's notify writes, e.g. as KVM
 * ioeventfds) and on any fd the backend watches, and calls the backend
 * there, never on a vCPU thread. The backend finishes chains with
 * virtq_push() and then calls virtio_dev_signal().
 *
 * A backend served by the host kernel (vhost) sets @own_kicks: no thread
 * runs and the kernel consumes the kick eventfds itself; it signals the
 * driver by writing the eventfd virtio_dev_call_fd() gives for a queue. */
#ifndef ITSY_VIRTIO_H
#define ITSY_VIRTIO_H

#include <pthread.h>
#include <stdint.h>

#include "devices/virtio/virtqueue.h"

#define VIRTIO_MAX_QUEUES	8
#define VIRTIO_MAX_WATCHES	4
/* Chains a backend serves for one kick at most: past that it calls
 * virtio_dev_rekick() and returns, so that one notification never holds
 * the thread (and a pause waiting for it) for long. */
#define VIRTIO_KICK_BUDGET	64

struct virtio_dev;

struct disk_log;

struct virtio_backend {
	const char *name;
	uint16_t device_id;		/* VIRTIO_ID_* (linux/virtio_ids.h) */
	unsigned nqueues;
	uint16_t queue_max;		/* largest queue size offered, a power of two */
	uint64_t features;		/* device-specific bits offered */
	int own_kicks;			/* vhost: no device thread, see above */
	unsigned config_size;		/* bytes of device configuration space */
	/* The device exists (virtio_dev_init done): e.g. add fd watches.
	 * Optional. 0 or -errno. */
	int (*realize)(struct virtio_dev *d);
	/* Write the device configuration (little-endian) into @buf. */
	void (*config)(struct virtio_dev *d, uint8_t *buf);
	/* The queues are live (DRIVER_OK). Optional. 0 or -errno. */
	int (*start)(struct virtio_dev *d);
	/* Queue @q was kicked: serve it, at most VIRTIO_KICK_BUDGET chains
	 * (or a bounded amount of work) before virtio_dev_rekick(). On the
	 * device thread. */
	void (*kick)(struct virtio_dev *d, unsigned q);
	/* The device is being reset and its thread is stopped: drop any
	 * state tied to the queues. Optional. */
	void (*reset)(struct virtio_dev *d);
	/* The VM is pausing (the thread is stopped) or resuming: a backend
	 * with work outside the thread (vhost) stops or restarts it. Optional. */
	int (*pause)(struct virtio_dev *d);
	int (*resume)(struct virtio_dev *d);
	/* Paused: let go of (take back) host resources (vmm/device.h).
	 * Optional. */
	int (*release)(struct virtio_dev *d);
	int (*acquire)(struct virtio_dev *d);
	/* Writes guest RAM outside the VMM (vhost): log them in @bits (a
	 * bit per page from the start of RAM), or stop with NULL. Optional. */
	int (*log_dirty)(struct virtio_dev *d, unsigned long *bits);
	/* A disk: describe it in @log and mark in it what the guest writes
	 * from now on, or stop with NULL (vmm/device.h's log_disk). Optional. */
	int (*log_disk)(struct virtio_dev *d, struct disk_log *log);
};

/* What the transport does for the device. */
struct virtio_transport {
	/* Chains were returned on queue @q and the driver wants to know. */
	void (*interrupt)(struct virtio_dev *d, unsigned q);
	/* The driver broke a queue: ask it for a reset (NEEDS_RESET). */
	void (*needs_reset)(struct virtio_dev *d);
	/* An eventfd whose every write interrupts the driver for queue @q
	 * (the irqfd of its MSI-X vector), or -1 if it has none. */
	int (*call_fd)(struct virtio_dev *d, unsigned q);
};

struct virtio_watch {
	int fd;
	int enabled;
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
	int stop_fd;				/* eventfd: parks the thread */
	int epoll_fd;				/* the thread's, while it serves */
	pthread_t thread;
	int spawned;				/* the thread exists */
	/* The thread's phase, under ctl; cond says it changed. */
	pthread_mutex_t ctl;
	pthread_cond_t cond;
	enum { PHASE_PARKED, PHASE_ASKED, PHASE_SERVING, PHASE_QUIT } phase;
	int start_rc;				/* of the last PHASE_ASKED */
	int running;				/* started (serving) */
	int paused;				/* stopped by virtio_dev_pause() */
};

/* Set up @d for backend @be with state @priv. -errno. */
int virtio_dev_init(struct virtio_dev *d, const struct virtio_backend *be,
		    void *priv, const struct guest_mem *mem);

/* Have the device thread call @fn(@d, @ctx) when @fd is readable. Before
 * virtio_dev_start() only. -ENOSPC when full. */
int virtio_dev_watch(struct virtio_dev *d, int fd,
		     void (*fn)(struct virtio_dev *d, void *ctx), void *ctx);

/* From the device thread: stop (0) or resume (1) watching watch number
 * @idx (in order of virtio_dev_watch calls), e.g. a tap while the guest
 * has posted no receive buffers. Watches start enabled. */
int virtio_dev_watch_set(struct virtio_dev *d, unsigned idx, int enable);

/* Make the device's thread (parked). The transport calls it when it
 * creates the device; virtio_dev_start() does it for a device that has
 * none yet (unit tests). No thread for an @own_kicks backend. -errno. */
int virtio_dev_spawn(struct virtio_dev *d);

/* The queues are set up: call the backend's start() and have the thread
 * serve them. */
int virtio_dev_start(struct virtio_dev *d);
/* Park the thread once it is between events (no-op if not serving);
 * then, if @reset, call the backend's reset(). */
void virtio_dev_stop(struct virtio_dev *d, int reset);
/* Stop, end the thread and close the eventfds: the device is gone. */
void virtio_dev_free(struct virtio_dev *d);

/* Quiesce a started device for a VM pause: its thread is stopped between
 * requests (backends finish requests before taking the next, so nothing is
 * in flight), then the backend's pause(); if that fails, the thread runs
 * again and the error is returned. No-op if not started.
 * virtio_dev_resume() undoes it. */
int virtio_dev_pause(struct virtio_dev *d);
int virtio_dev_resume(struct virtio_dev *d);

/* From the device thread: the kick's budget ran out with work left on
 * queue @q; serve it again after the events already waiting (a stop
 * request among them comes first). */
void virtio_dev_rekick(struct virtio_dev *d, unsigned q);

/* After pushes on queue @q: interrupt the driver if the queue says so. */
void virtio_dev_signal(struct virtio_dev *d, unsigned q);
/* The guest's data on a queue was bad: the device needs a reset. */
void virtio_dev_broken(struct virtio_dev *d);

/* See virtio_transport.call_fd. */
int virtio_dev_call_fd(struct virtio_dev *d, unsigned q);

/* True if feature bit @bit was negotiated. */
int virtio_dev_has(const struct virtio_dev *d, unsigned bit);

#endif
