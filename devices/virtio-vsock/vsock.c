/* virtio-vsock on vhost-vsock: we only describe guest RAM and the rings to
 * the kernel, which moves the packets. See vsock.h for the contract. */
#include "devices/virtio-vsock/vsock.h"
#include "vmm/log.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_vsock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define VHOST_VSOCK_PATH	"/dev/vhost-vsock"
#define VSOCK_NQUEUES		3	/* rx, tx, event */
#define VSOCK_KERNEL_QUEUES	2	/* rx and tx go to vhost */
#define VSOCK_QUEUE_MAX		128

/* What we can offer when vhost does; VERSION_1 comes from the transport. */
#define VSOCK_SUPPORTED		(1ull << VIRTIO_RING_F_EVENT_IDX |	\
				 1ull << VIRTIO_RING_F_INDIRECT_DESC |	\
				 1ull << VIRTIO_VSOCK_F_SEQPACKET)

struct vsock {
	int fd;			/* /dev/vhost-vsock */
	uint64_t cid;
	uint64_t vhost_features;	/* VHOST_GET_FEATURES */
	int started;		/* the kernel has our rings */
	unsigned long *log;	/* the VMM's dirty log while migrating, else NULL */
	struct virtio_backend be;	/* vsock_backend + what this vhost offers */
};

/* ---- opening ---- */

static int open_fail(char *err, size_t len, uint64_t cid, int rc, const char *what)
{
	snprintf(err, len, "--vsock cid=%llu: %s: %s", (unsigned long long)cid, what,
		 strerror(-rc));
	return rc;
}

static int open_device(struct vsock *v, char *err, size_t len)
{
	v->fd = open(VHOST_VSOCK_PATH, O_RDWR | O_CLOEXEC);
	if (v->fd >= 0)
		return 0;
	if (errno != ENOENT)
		return open_fail(err, len, v->cid, -errno, VHOST_VSOCK_PATH);
	snprintf(err, len, "--vsock cid=%llu: %s: %s (load vhost_vsock)",
		 (unsigned long long)v->cid, VHOST_VSOCK_PATH, strerror(ENOENT));
	return -ENOENT;
}

static int claim_cid(struct vsock *v, char *err, size_t len)
{
	uint64_t cid = v->cid;

	if (!ioctl(v->fd, VHOST_VSOCK_SET_GUEST_CID, &cid))
		return 0;
	if (errno != EADDRINUSE)
		return open_fail(err, len, v->cid, -errno, "VHOST_VSOCK_SET_GUEST_CID");
	snprintf(err, len, "--vsock cid=%llu: CID %llu is in use by another VM",
		 (unsigned long long)v->cid, (unsigned long long)v->cid);
	return -EADDRINUSE;
}

static int setup(struct vsock *v, char *err, size_t len)
{
	int rc = open_device(v, err, len);

	if (!rc && ioctl(v->fd, VHOST_SET_OWNER))
		rc = open_fail(err, len, v->cid, -errno, "VHOST_SET_OWNER");
	if (!rc && ioctl(v->fd, VHOST_GET_FEATURES, &v->vhost_features))
		rc = open_fail(err, len, v->cid, -errno, "VHOST_GET_FEATURES");
	if (!rc && !(v->vhost_features >> VIRTIO_F_VERSION_1 & 1))
		rc = open_fail(err, len, v->cid, -ENOTSUP, "vhost-vsock lacks VIRTIO_F_VERSION_1");
	if (!rc)
		rc = claim_cid(v, err, len);
	return rc;
}

int vsock_open(uint64_t cid, struct vsock **out, char *err, size_t errlen)
{
	struct vsock *v = calloc(1, sizeof(*v));
	int rc;

	if (!v)
		return open_fail(err, errlen, cid, -ENOMEM, "cannot allocate");
	v->fd = -1;
	v->cid = cid;
	rc = setup(v, err, errlen);
	if (rc) {
		if (v->fd >= 0)
			close(v->fd);
		free(v);
		return rc;
	}
	v->be = vsock_backend;
	v->be.features = v->vhost_features & VSOCK_SUPPORTED;
	*out = v;
	return 0;
}

/* ---- handing the queues to the kernel ---- */

/* ioctl @req on the vhost fd; logs "virtio-vsock: @what: why" on failure. */
static int vhost(struct vsock *v, unsigned long req, void *arg, const char *what)
{
	int rc = ioctl(v->fd, req, arg) ? -errno : 0;

	if (rc)
		log_msg("virtio-vsock: %s: %s", what, strerror(-rc));
	return rc;
}

static int set_running(struct vsock *v, int on)
{
	return vhost(v, VHOST_VSOCK_SET_RUNNING, &on, "VHOST_VSOCK_SET_RUNNING");
}

static int set_features(struct vsock *v, uint64_t negotiated)
{
	uint64_t f = negotiated & v->vhost_features;

	if (v->log)
		f |= 1ull << VHOST_F_LOG_ALL;

	return vhost(v, VHOST_SET_FEATURES, &f, "VHOST_SET_FEATURES");
}

/* Guest RAM is one region; vhost translates the guest's addresses with it. */
static int set_mem(struct vsock *v, const struct guest_mem *m)
{
	struct vhost_memory *t = calloc(1, sizeof(*t) + sizeof(t->regions[0]));
	int rc;

	if (!t)
		return -ENOMEM;
	t->nregions = 1;
	t->regions[0].guest_phys_addr = m->gpa;
	t->regions[0].memory_size = m->size;
	t->regions[0].userspace_addr = (uintptr_t)m->hva;
	rc = vhost(v, VHOST_SET_MEM_TABLE, t, "VHOST_SET_MEM_TABLE");
	free(t);
	return rc;
}

static int set_state(struct vsock *v, unsigned long req, unsigned q, unsigned num,
		     const char *what)
{
	struct vhost_vring_state s = { .index = q, .num = num };

	return vhost(v, req, &s, what);
}

static int set_file(struct vsock *v, unsigned long req, unsigned q, int fd,
		    const char *what)
{
	struct vhost_vring_file f = { .index = q, .fd = fd };

	return vhost(v, req, &f, what);
}

/* The rings' host addresses: virtq_init() translated them into guest RAM. */
static int set_addr(struct vsock *v, unsigned q, const struct virtq *vq)
{
	struct vhost_vring_addr a = {
		.index = q,
		.desc_user_addr = (uintptr_t)vq->vr.desc,
		.avail_user_addr = (uintptr_t)vq->vr.avail,
		.used_user_addr = (uintptr_t)vq->vr.used,
		.flags = v->log ? 1u << VHOST_VRING_F_LOG : 0,
		.log_guest_addr = vq->used_gpa,
	};

	return vhost(v, VHOST_SET_VRING_ADDR, &a, "VHOST_SET_VRING_ADDR");
}

/* Enabled, with a vector: vhost cannot run a queue it cannot signal. */
static int check_queue(struct virtio_dev *d, unsigned q)
{
	if (!d->vq[q].size) {
		log_msg("virtio-vsock: the guest did not enable queue %u", q);
		return -EINVAL;
	}
	if (virtio_dev_call_fd(d, q) < 0) {
		log_msg("virtio-vsock: queue %u has no MSI-X vector (vhost needs one)", q);
		return -EINVAL;
	}
	return 0;
}

static int set_vring(struct vsock *v, struct virtio_dev *d, unsigned q)
{
	const struct virtq *vq = &d->vq[q];
	int rc = check_queue(d, q);

	if (!rc)
		rc = set_state(v, VHOST_SET_VRING_NUM, q, vq->size, "VHOST_SET_VRING_NUM");
	if (!rc)
		rc = set_state(v, VHOST_SET_VRING_BASE, q, vq->last_avail, "VHOST_SET_VRING_BASE");
	if (!rc)
		rc = set_addr(v, q, vq);
	if (!rc)
		rc = set_file(v, VHOST_SET_VRING_KICK, q, d->kick_fd[q], "VHOST_SET_VRING_KICK");
	if (!rc)
		rc = set_file(v, VHOST_SET_VRING_CALL, q, virtio_dev_call_fd(d, q),
			      "VHOST_SET_VRING_CALL");
	return rc;
}

static void unbind_vrings(struct vsock *v)
{
	for (unsigned q = 0; q < VSOCK_KERNEL_QUEUES; q++) {
		set_file(v, VHOST_SET_VRING_KICK, q, VHOST_FILE_UNBIND, "VHOST_SET_VRING_KICK");
		set_file(v, VHOST_SET_VRING_CALL, q, VHOST_FILE_UNBIND, "VHOST_SET_VRING_CALL");
	}
}

/* ---- the backend ---- */

static int vsock_start(struct virtio_dev *d)
{
	struct vsock *v = d->priv;
	int rc = set_features(v, d->features);

	if (!rc)
		rc = set_mem(v, d->mem);
	for (unsigned q = 0; !rc && q < VSOCK_KERNEL_QUEUES; q++)
		rc = set_vring(v, d, q);
	if (!rc)
		rc = set_running(v, 1);
	v->started = 1;		/* even half-way: reset() undoes what was done */
	return rc;
}

/* Stopping makes the rings settable again (vhost refuses while running).
 * The queue state is dropped so a queue the guest does not enable next
 * time is seen as such. */
static void vsock_reset(struct virtio_dev *d)
{
	struct vsock *v = d->priv;

	if (v->started) {
		set_running(v, 0);
		unbind_vrings(v);
		v->started = 0;
	}
	memset(d->vq, 0, sizeof(d->vq[0]) * VSOCK_NQUEUES);
}

/* Pause: the kernel stops serving the rings, and their positions come back
 * into the virtqueues so a snapshot carries them: vhost's next avail index
 * lives only in the kernel. */
static int vsock_pause(struct virtio_dev *d)
{
	struct vsock *v = d->priv;
	int rc = v->started ? set_running(v, 0) : 0;

	for (unsigned q = 0; !rc && v->started && q < VSOCK_KERNEL_QUEUES; q++) {
		struct vhost_vring_state s = { .index = q };

		rc = vhost(v, VHOST_GET_VRING_BASE, &s, "VHOST_GET_VRING_BASE");
		/* Why used_idx is not read from the used ring: the guest may
		 * write there. A stopped vhost has used every chain it took,
		 * so the device's own count is the avail index it reached. */
		if (!rc)
			d->vq[q].last_avail = d->vq[q].used_idx = (uint16_t)s.num;
	}
	if (rc && v->started)
		set_running(v, 1);	/* a failed pause leaves it running */
	return rc;
}

static int vsock_resume(struct virtio_dev *d)
{
	struct vsock *v = d->priv;

	return v->started ? set_running(v, 1) : 0;
}

/* The CID belongs to one vhost device on a host: close ours so the
 * guest's next host (maybe another itsy here) can claim it. Paused, so the
 * ring positions are already in the virtqueues. */
static int vsock_release(struct virtio_dev *d)
{
	struct vsock *v = d->priv;

	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	v->log = NULL;	/* the new device, if any, starts without one */
	return 0;
}

/* A new vhost device with the CID, and the rings handed over as they
 * were at the pause; resume sets it running. */
static int vsock_acquire(struct virtio_dev *d)
{
	struct vsock *v = d->priv;
	char err[256];
	int rc;

	if (v->fd >= 0)
		return 0;
	rc = setup(v, err, sizeof(err));
	if (rc)
		log_msg("%s", err);
	if (!rc && v->started)
		rc = set_features(v, d->features);
	if (!rc && v->started)
		rc = set_mem(v, d->mem);
	for (unsigned q = 0; !rc && v->started && q < VSOCK_KERNEL_QUEUES; q++)
		rc = set_vring(v, d, q);
	/* Why close: a half set-up device (its CID still another's) must not
	 * pass for acquired when the caller tries again. */
	if (rc)
		vsock_release(d);
	return rc;
}

/* The kernel writes guest RAM too: while migrating it logs those pages in
 * the VMM's bitmap. vhost's log has a bit per 4 KiB of guest physical
 * address from 0, ours from the start of RAM: the base is moved back. */
static int vsock_log_dirty(struct virtio_dev *d, unsigned long *bits)
{
	struct vsock *v = d->priv;
	uint64_t base = bits ? (uintptr_t)bits - d->mem->gpa / 4096 / 8 : 0;
	int rc = 0;

	if (bits && (d->mem->dirty_shift != 12 || d->mem->gpa % (4096 * 8 * sizeof(long))))
		return -ENOTSUP;
	if (v->fd < 0)
		return 0;
	/* Why this order: the log must exist before vhost is told to use it,
	 * and stays until vhost has stopped using it. */
	if (bits)
		rc = vhost(v, VHOST_SET_LOG_BASE, &base, "VHOST_SET_LOG_BASE");
	v->log = bits;
	if (!rc && v->started)
		rc = set_features(v, d->features);
	for (unsigned q = 0; !rc && v->started && q < VSOCK_KERNEL_QUEUES; q++)
		rc = set_addr(v, q, &d->vq[q]);
	return rc;
}

static void vsock_config(struct virtio_dev *d, uint8_t *buf)
{
	const struct vsock *v = d->priv;
	struct virtio_vsock_config c = { .guest_cid = htole64(v->cid) };

	memcpy(buf, &c, sizeof(c));
}

const struct virtio_backend *vsock_backend_of(const struct vsock *v)
{
	return &v->be;
}

const struct virtio_backend vsock_backend = {
	.name = "virtio-vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.nqueues = VSOCK_NQUEUES,
	.queue_max = VSOCK_QUEUE_MAX,
	.features = 0,		/* per device: vsock_backend_of() */
	.own_kicks = 1,
	.config_size = sizeof(struct virtio_vsock_config),
	.config = vsock_config,
	.start = vsock_start,
	.reset = vsock_reset,
	.pause = vsock_pause,
	.resume = vsock_resume,
	.release = vsock_release,
	.acquire = vsock_acquire,
	.log_dirty = vsock_log_dirty,
};

/* ---- the device kind (devices/kind.h): --vsock cid=N ---- */

/* "cid=N" with N >= 3: 0-2 are reserved (hypervisor, local, host). */
static int cid_arg(const char *arg, uint64_t *cid, char *err, size_t len)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strncmp(arg, "cid=", 4) ? 0 : strtoull(arg + 4, &end, 10);
	if (!v || errno || *end || v < 3 || v > 0xfffffffeull) {
		snprintf(err, len, "--vsock '%s': expected cid=N with N from 3 to 4294967294", arg);
		return -EINVAL;
	}
	*cid = v;
	return 0;
}

static int kind_check(const char *arg, char *err, size_t len)
{
	uint64_t cid;

	return cid_arg(arg, &cid, err, len);
}

static int kind_create(const struct device_env *env, const char *arg, char *err, size_t len)
{
	uint64_t cid;
	struct vsock *v;
	int rc = cid_arg(arg, &cid, err, len);

	rc = rc ? rc : vsock_open(cid, &v, err, len);
	return rc ? rc : env->plug_virtio(env, vsock_kind.name, vsock_backend_of(v), v);
}

static void kind_describe(const char *arg, char *out, size_t len)
{
	snprintf(out, len, "%s", arg);
}

const struct device_kind vsock_kind = {
	.name = "virtio-vsock", .option = "vsock", .syntax = "cid=N",
	.help = "a virtio-vsock device served by vhost-vsock, the guest at CID N",
	.max = 1, .check = kind_check, .create = kind_create, .describe = kind_describe,
};
