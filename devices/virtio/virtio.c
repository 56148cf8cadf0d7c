#include "devices/virtio/virtio.h"
#include "vmm/sandbox.h"

#include <errno.h>
#include <signal.h>
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
	pthread_mutex_init(&d->ctl, NULL);
	pthread_cond_init(&d->cond, NULL);
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

/* Serve the queues until a stop request. Kicks that came while the thread
 * was parked are still in the eventfds. Why a stop goes first: a pause
 * waits for it, and a queue the guest keeps busy (rekicked) would
 * otherwise delay it by a whole batch. */
static void serve(struct virtio_dev *d, int ep)
{
	struct epoll_event ev[8];
	int n, live = 1;

	while (live) {
		n = epoll_wait(ep, ev, 8, -1);
		live = !asked_to_stop(ev, n);
		for (int i = 0; i < n && live; i++)
			live = dispatch(d, ev[i].data.u32);
	}
}

/* One thread for the device's whole life, parked while the device is
 * stopped. Why not a thread per start: a thread inherits the confinement
 * of the thread that makes it (vmm/sandbox.h), and starts happen on vCPU
 * threads (DRIVER_OK) and during migrations, not only at start-up. */
static void *dev_thread(void *arg)
{
	struct virtio_dev *d = arg;
	int ep;

	/* Why: made before the main thread blocks the signals it reads from
	 * its signalfd (vm_run), so one sent to itsy could land here. */
	sandbox_block_signals();
	sandbox_enter(SANDBOX_DEVICE);
	pthread_mutex_lock(&d->ctl);
	for (;;) {
		while (d->phase == PHASE_PARKED)
			pthread_cond_wait(&d->cond, &d->ctl);
		if (d->phase == PHASE_QUIT)
			break;
		ep = open_epoll(d);
		d->epoll_fd = ep;
		d->phase = ep < 0 ? PHASE_PARKED : PHASE_SERVING;
		d->start_rc = ep < 0 ? ep : 0;
		pthread_cond_broadcast(&d->cond);
		if (ep < 0)
			continue;
		pthread_mutex_unlock(&d->ctl);
		serve(d, ep);
		close(ep);
		pthread_mutex_lock(&d->ctl);
		d->phase = PHASE_PARKED;
		pthread_cond_broadcast(&d->cond);
	}
	pthread_mutex_unlock(&d->ctl);
	return NULL;
}

int virtio_dev_spawn(struct virtio_dev *d)
{
	int rc;

	if (d->spawned || d->be->own_kicks)
		return 0;
	rc = -pthread_create(&d->thread, NULL, dev_thread, d);
	d->spawned = !rc;
	return rc;
}

/* Wake the parked thread and wait until it serves (or could not). */
static int run_thread(struct virtio_dev *d)
{
	int rc = virtio_dev_spawn(d);

	if (rc)
		return rc;
	drain(d->stop_fd);
	pthread_mutex_lock(&d->ctl);
	d->phase = PHASE_ASKED;
	pthread_cond_broadcast(&d->cond);
	while (d->phase == PHASE_ASKED)
		pthread_cond_wait(&d->cond, &d->ctl);
	rc = d->start_rc;
	pthread_mutex_unlock(&d->ctl);
	d->running = !rc;
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
		pthread_mutex_lock(&d->ctl);
		while (d->phase != PHASE_PARKED)
			pthread_cond_wait(&d->cond, &d->ctl);
		pthread_mutex_unlock(&d->ctl);
		d->running = 0;
	}
	d->paused = 0;
	if (reset && d->be->reset)
		d->be->reset(d);
}

void virtio_dev_free(struct virtio_dev *d)
{
	virtio_dev_stop(d, 0);
	if (d->spawned) {
		pthread_mutex_lock(&d->ctl);
		d->phase = PHASE_QUIT;
		pthread_cond_broadcast(&d->cond);
		pthread_mutex_unlock(&d->ctl);
		pthread_join(d->thread, NULL);
		d->spawned = 0;
	}
	for (unsigned q = 0; q < d->be->nqueues; q++)
		close(d->kick_fd[q]);
	close(d->stop_fd);
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
