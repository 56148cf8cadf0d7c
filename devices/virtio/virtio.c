#include "devices/virtio/virtio.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* epoll data: queue index, watch index + WATCH_BASE, or STOP. */
#define WATCH_BASE	VIRTIO_MAX_QUEUES
#define STOP		0xffffu

int virtio_dev_init(struct virtio_dev *d, const struct virtio_backend *be,
		    void *priv, const struct guest_mem *mem)
{
	memset(d, 0, sizeof(*d));
	d->be = be;
	d->priv = priv;
	d->mem = mem;
	if (be->nqueues > VIRTIO_MAX_QUEUES)
		return -EINVAL;
	for (unsigned q = 0; q < be->nqueues; q++) {
		d->kick_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (d->kick_fd[q] < 0)
			return -errno;
	}
	d->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return d->stop_fd < 0 ? -errno : 0;
}

int virtio_dev_watch(struct virtio_dev *d, int fd,
		     void (*fn)(struct virtio_dev *d, void *ctx), void *ctx)
{
	if (d->nwatches == VIRTIO_MAX_WATCHES)
		return -ENOSPC;
	d->watch[d->nwatches++] = (struct virtio_watch){ fd, 1, fn, ctx };
	return 0;
}

int virtio_dev_watch_set(struct virtio_dev *d, unsigned idx, int enable)
{
	struct epoll_event ev = { .events = enable ? EPOLLIN : 0, .data.u32 = WATCH_BASE + idx };

	if (idx >= d->nwatches)
		return -EINVAL;
	if (d->watch[idx].enabled == !!enable)
		return 0;
	d->watch[idx].enabled = !!enable;
	if (d->running && epoll_ctl(d->epoll_fd, EPOLL_CTL_MOD, d->watch[idx].fd, &ev))
		return -errno;
	return 0;
}

static void drain(int fd)
{
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
}

static int add(int ep, int fd, uint32_t tag, int enabled)
{
	struct epoll_event ev = { .events = enabled ? EPOLLIN : 0, .data.u32 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int open_epoll(struct virtio_dev *d)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), rc = ep < 0 ? -errno : 0;

	for (unsigned q = 0; !rc && q < d->be->nqueues; q++)
		rc = add(ep, d->kick_fd[q], q, 1);
	for (unsigned w = 0; !rc && w < d->nwatches; w++)
		rc = add(ep, d->watch[w].fd, WATCH_BASE + w, d->watch[w].enabled);
	if (!rc)
		rc = add(ep, d->stop_fd, STOP, 1);
	if (rc && ep >= 0)
		close(ep);
	return rc ? rc : ep;
}

/* Serve one event; 0 when asked to stop. */
static int dispatch(struct virtio_dev *d, uint32_t tag)
{
	if (tag == STOP)
		return 0;
	if (tag >= WATCH_BASE) {
		d->watch[tag - WATCH_BASE].fn(d, d->watch[tag - WATCH_BASE].ctx);
		return 1;
	}
	drain(d->kick_fd[tag]);
	/* A queue the driver never enabled has no rings: ignore its kicks. */
	if (d->vq[tag].size)
		d->be->kick(d, tag);
	return 1;
}

static int asked_to_stop(const struct epoll_event *ev, int n)
{
	for (int i = 0; i < n; i++)
		if (ev[i].data.u32 == STOP)
			return 1;
	return 0;
}

static void *dev_thread(void *arg)
{
	struct virtio_dev *d = arg;
	struct epoll_event ev[8];
	int ep = d->epoll_fd, n, live = 1;

	/* Kicks that came before the thread ran are still in the eventfds.
	 * Why a stop goes first: a pause waits for it, and a queue the guest
	 * keeps busy (rekicked) would otherwise delay it by a whole batch. */
	while (live) {
		n = epoll_wait(ep, ev, 8, -1);
		live = !asked_to_stop(ev, n);
		for (int i = 0; i < n && live; i++)
			live = dispatch(d, ev[i].data.u32);
	}
	return NULL;
}

static int run_thread(struct virtio_dev *d)
{
	int rc;

	drain(d->stop_fd);
	d->epoll_fd = open_epoll(d);
	if (d->epoll_fd < 0)
		return d->epoll_fd;
	rc = -pthread_create(&d->thread, NULL, dev_thread, d);
	d->running = !rc;
	if (rc)
		close(d->epoll_fd);
	return rc;
}

int virtio_dev_start(struct virtio_dev *d)
{
	int rc = d->be->start ? d->be->start(d) : 0;

	if (rc || d->be->own_kicks)
		return rc;
	return run_thread(d);
}

int virtio_dev_pause(struct virtio_dev *d)
{
	int thread = d->running, rc;

	virtio_dev_stop(d, 0);
	rc = d->be->pause ? d->be->pause(d) : 0;
	/* Why the thread starts again: a failed pause leaves the device as
	 * it found it (vmm/device.h), and the VM goes on. */
	if (rc && thread)
		run_thread(d);
	d->paused = thread && !rc;
	return rc;
}

int virtio_dev_resume(struct virtio_dev *d)
{
	int rc = d->be->resume ? d->be->resume(d) : 0;

	if (!rc && d->paused)
		rc = run_thread(d);
	d->paused = 0;
	return rc;
}

void virtio_dev_stop(struct virtio_dev *d, int reset)
{
	uint64_t one = 1;

	if (d->running) {
		(void)!write(d->stop_fd, &one, sizeof(one));
		pthread_join(d->thread, NULL);
		close(d->epoll_fd);
		d->running = 0;
	}
	d->paused = 0;
	if (reset && d->be->reset)
		d->be->reset(d);
}

void virtio_dev_rekick(struct virtio_dev *d, unsigned q)
{
	uint64_t one = 1;

	(void)!write(d->kick_fd[q], &one, sizeof(one));
}

void virtio_dev_signal(struct virtio_dev *d, unsigned q)
{
	if (virtq_need_notify(&d->vq[q]))
		d->tp->interrupt(d, q);
}

void virtio_dev_broken(struct virtio_dev *d)
{
	d->tp->needs_reset(d);
}

int virtio_dev_call_fd(struct virtio_dev *d, unsigned q)
{
	return d->tp->call_fd ? d->tp->call_fd(d, q) : -1;
}

int virtio_dev_has(const struct virtio_dev *d, unsigned bit)
{
	return bit < 64 && (d->features >> bit & 1);
}
