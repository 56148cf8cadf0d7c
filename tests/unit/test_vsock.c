/* virtio-vsock (devices/virtio-vsock/vsock.c) over a fake vhost-vsock: this test
 * binary defines open() and ioctl() for the device's path and descriptor
 * (every other call goes to the kernel), so the backend's start and pause
 * run as they would on a host while the "kernel" side is the test's.
 * What is checked: a pause takes the rings' positions from the device's
 * own count, never from the guest-writable used ring. */
#include "devices/virtio-vsock/vsock.h"
#include "tests/unit/guest_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <stdarg.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#define BASE	0x40000000ull
#define RAM	(1ull << 20)

/* ---- the fake kernel ---- */

static int fake_fd = -1;		/* what open("/dev/vhost-vsock") gave */
static unsigned fake_last_avail[2];	/* "vhost's" next avail index per queue */
static int fake_running;
static int fake_cid_busy;		/* SET_GUEST_CID fails with EADDRINUSE */
static int fake_cid_claims, fake_mem_tables;

static int fake_open(const char *path, int flags, va_list ap)
{
	mode_t mode = flags & O_CREAT ? va_arg(ap, mode_t) : 0;

	if (strcmp(path, "/dev/vhost-vsock"))
		return syscall(SYS_openat, AT_FDCWD, path, flags, mode);
	fake_fd = eventfd(0, EFD_CLOEXEC);
	return fake_fd;
}

/* With _FILE_OFFSET_BITS=64 <fcntl.h> names this open64, as vsock.c's
 * call is. */
int open(const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = fake_open(path, flags, ap);
	va_end(ap);
	return fd;
}

static int fake_vhost(unsigned long req, void *arg)
{
	struct vhost_vring_state *s = arg;

	switch (req) {
	case VHOST_VSOCK_SET_GUEST_CID:
		fake_cid_claims++;
		if (fake_cid_busy) {
			errno = EADDRINUSE;
			return -1;
		}
		return 0;
	case VHOST_SET_MEM_TABLE:
		fake_mem_tables++;
		return 0;
	case VHOST_GET_FEATURES:
		*(uint64_t *)arg = 1ull << VIRTIO_F_VERSION_1;
		return 0;
	case VHOST_GET_VRING_BASE:
		s->num = fake_last_avail[s->index];
		return 0;
	case VHOST_VSOCK_SET_RUNNING:
		fake_running = *(int *)arg;
		return 0;
	}
	return 0;	/* SET_OWNER, SET_MEM_TABLE, SET_VRING_*: taken */
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= 0 && fd == fake_fd)
		return fake_vhost(req, arg);
	return syscall(SYS_ioctl, fd, req, arg);
}

/* ---- the device ---- */

static struct guest_mem mem;
static struct virtio_dev d;
static struct vsock *v;
static struct guest_ring rx, tx;
static int call_efd;

static int tp_call_fd(struct virtio_dev *dev, unsigned q)
{
	(void)dev;
	(void)q;
	return call_efd;
}

static void tp_none(struct virtio_dev *dev) { (void)dev; }
static void tp_irq(struct virtio_dev *dev, unsigned q) { (void)dev; (void)q; }

static const struct virtio_transport tp = { tp_irq, tp_none, tp_call_fd };

static void setup(void)
{
	char err[256];

	ck_assert_int_eq(mem_alloc(&mem, BASE, RAM), 0);
	ck_assert_int_eq(vsock_open(3, &v, err, sizeof(err)), 0);
	ck_assert_int_eq(virtio_dev_init(&d, vsock_backend_of(v), v, &mem), 0);
	d.tp = &tp;
	d.features = 1ull << VIRTIO_F_VERSION_1;
	call_efd = eventfd(0, EFD_CLOEXEC);
	gr_init(&rx, &mem, 64, BASE);
	gr_init(&tx, &mem, 64, BASE + 0x10000);
	gr_attach(&rx, &d.vq[0], 0);
	gr_attach(&tx, &d.vq[1], 0);
	ck_assert_int_eq(vsock_backend.start(&d), 0);
	ck_assert_int_eq(fake_running, 1);
}

/* "vhost" took 5 chains from rx and used them all; the guest then wrote
 * garbage into the used ring's index. The pause must record 5 used, and
 * the positions must load again. */
START_TEST(pause_keeps_its_own_used_index)
{
	struct vring_used *u = gr_ptr(&rx, rx.used, 4);
	struct virtq_state st;

	fake_last_avail[0] = 5;
	fake_last_avail[1] = 0;
	u->idx = htole16(0x7777);	/* hostile guest */
	ck_assert_int_eq(vsock_backend.pause(&d), 0);
	ck_assert_int_eq(fake_running, 0);
	virtq_get_state(&d.vq[0], &st);
	ck_assert_uint_eq(st.last_avail, 5);
	ck_assert_uint_eq(st.used_idx, 5);
	gr_attach(&rx, &d.vq[0], 0);	/* a restore: fresh queue, saved positions */
	ck_assert_int_eq(virtq_set_state(&d.vq[0], &st), 0);
	ck_assert_int_eq(vsock_backend.resume(&d), 0);
	ck_assert_int_eq(fake_running, 1);
}
END_TEST

/* A hand-over that failed: taking the CID back fails while the other VM
 * still holds it, then works; the device must be set up again in full,
 * not pass for acquired with a half-open vhost. */
START_TEST(acquire_after_a_busy_cid)
{
	ck_assert_int_eq(vsock_backend.pause(&d), 0);
	ck_assert_int_eq(vsock_backend.release(&d), 0);
	fake_cid_busy = 1;
	fake_cid_claims = fake_mem_tables = 0;
	ck_assert_int_eq(vsock_backend.acquire(&d), -EADDRINUSE);
	fake_cid_busy = 0;
	ck_assert_int_eq(vsock_backend.acquire(&d), 0);
	ck_assert_int_eq(fake_cid_claims, 2);
	ck_assert_int_eq(fake_mem_tables, 1);
	ck_assert_int_eq(vsock_backend.resume(&d), 0);
	ck_assert_int_eq(fake_running, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vsock");
	TCase *tc = UNIT_TCASE(s, "pause", pause_keeps_its_own_used_index,
			       acquire_after_a_busy_cid);

	tcase_add_checked_fixture(tc, setup, NULL);
	return unit_run(s);
}
