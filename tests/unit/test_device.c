/* The VM's device list (vmm/device.c) and a virtio device's pause
 * (devices/virtio/virtio.c): a pause that fails part-way leaves every
 * device as it was, running. */
#include "devices/virtio/virtio.h"
#include "vmm/device.h"
#include "vmm/disk_log.h"
#include "vmm/vm.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/unit.h"

static struct vm vm;
static struct fake { int paused, pauses, resumes, fail, fail_resume; } dev[3];

static int fake_pause(void *s)
{
	struct fake *f = s;

	if (f->fail)
		return -EIO;
	f->pauses++;
	f->paused = 1;
	return 0;
}

static int fake_resume(void *s)
{
	struct fake *f = s;

	f->resumes++;
	if (f->fail_resume)
		return -EFAULT;
	f->paused = 0;
	return 0;
}

static const struct device_ops fake_ops = { .name = "fake", .pause = fake_pause,
					    .resume = fake_resume };

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	memset(dev, 0, sizeof(dev));
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(device_add(&vm, &fake_ops, &dev[i], (const char *[]){ "a", "b", "c" }[i]), 0);
}

/* The second device fails: the first is resumed, the third never paused. */
START_TEST(failed_pause_undoes_itself)
{
	dev[1].fail = 1;
	ck_assert_int_eq(devices_pause(&vm), -EIO);
	ck_assert_int_eq(dev[0].paused, 0);
	ck_assert_int_eq(dev[0].resumes, 1);
	ck_assert_int_eq(dev[1].resumes, 0);
	ck_assert_int_eq(dev[2].pauses, 0);
	ck_assert_int_eq(dev[2].resumes, 0);
}
END_TEST

START_TEST(pause_and_resume_all)
{
	ck_assert_int_eq(devices_pause(&vm), 0);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(dev[i].paused, 1);
	ck_assert_int_eq(devices_resume(&vm), 0);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(dev[i].resumes, 1);
}
END_TEST

/* One device cannot resume: the others still do. */
START_TEST(resume_goes_past_a_failure)
{
	ck_assert_int_eq(devices_pause(&vm), 0);
	dev[1].fail_resume = 1;
	ck_assert_int_eq(devices_resume(&vm), -EFAULT);
	ck_assert_int_eq(dev[0].paused, 0);
	ck_assert_int_eq(dev[2].paused, 0);
}
END_TEST

/* ---- a virtio device whose backend cannot pause (fdatasync's EIO) ---- */

static int kicks, bpause_rc;

static void counting_kick(struct virtio_dev *d, unsigned q)
{
	(void)d;
	(void)q;
	__atomic_add_fetch(&kicks, 1, __ATOMIC_SEQ_CST);
}

static int failing_pause(struct virtio_dev *d)
{
	(void)d;
	return bpause_rc;
}

static const struct virtio_backend be = { .name = "t", .nqueues = 1, .queue_max = 8,
					  .kick = counting_kick, .pause = failing_pause };

/* The thread serves kicks again after the failed pause. */
START_TEST(virtio_pause_failure_keeps_running)
{
	struct virtio_dev d;
	uint64_t one = 1;

	ck_assert_int_eq(virtio_dev_init(&d, &be, NULL, NULL), 0);
	d.vq[0].size = 8;	/* enabled, as far as the thread can tell */
	ck_assert_int_eq(virtio_dev_start(&d), 0);
	bpause_rc = -EIO;
	ck_assert_int_eq(virtio_dev_pause(&d), -EIO);
	ck_assert_int_eq(write(d.kick_fd[0], &one, sizeof(one)), sizeof(one));
	for (int i = 0; i < 500 && !__atomic_load_n(&kicks, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	ck_assert_int_eq(kicks, 1);
	bpause_rc = 0;
	ck_assert_int_eq(virtio_dev_pause(&d), 0);
	ck_assert_int_eq(virtio_dev_resume(&d), 0);
	virtio_dev_free(&d);	/* its thread ends before @d goes */
}
END_TEST

/* ---- devices_log_disks: disks in order, the others skipped ---- */

static struct disk_log *logged[3];	/* what each fake disk marks into */

static int fake_log_disk(void *s, struct disk_log *log)
{
	unsigned i = (unsigned)((struct fake *)s - dev);

	if (i == 2)
		return -ENODEV;		/* the last one has no disk */
	if (log && disk_log_init(log, 100 + (int)i, 4096, 9))
		return -ENOMEM;
	logged[i] = log;
	return 0;
}

static const struct device_ops disk_ops = { .name = "fake-disk", .log_disk = fake_log_disk };

static void disk_setup(void)
{
	memset(&vm, 0, sizeof(vm));
	memset(dev, 0, sizeof(dev));
	memset(logged, 0, sizeof(logged));
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(device_add(&vm, &disk_ops, &dev[i], (const char *[]){ "a", "b", "c" }[i]), 0);
}

START_TEST(disks_logged_in_order)
{
	struct disk_log logs[2];

	/* exactly as many disks as room, then a device without one */
	ck_assert_int_eq(devices_log_disks(&vm, logs, 2), 2);
	ck_assert_ptr_eq(logged[0], &logs[0]);
	ck_assert_ptr_eq(logged[1], &logs[1]);
	ck_assert_int_eq(logs[1].fd, 101);
	ck_assert_int_eq(devices_log_disks(&vm, NULL, 0), 0);
	ck_assert_ptr_null(logged[0]);
	ck_assert_ptr_null(logged[1]);
	disk_log_free(&logs[0]);
	disk_log_free(&logs[1]);
}
END_TEST

/* More disks than room: refused, and the ones started are stopped. */
START_TEST(too_many_disks_stop_all)
{
	struct disk_log logs[1];

	ck_assert_int_eq(devices_log_disks(&vm, logs, 1), -E2BIG);
	ck_assert_ptr_null(logged[0]);
	ck_assert_ptr_null(logged[1]);
	disk_log_free(&logs[0]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("device");
	TCase *tc = UNIT_TCASE(s, "pause", failed_pause_undoes_itself, pause_and_resume_all,
			       resume_goes_past_a_failure,
			       virtio_pause_failure_keeps_running);
	TCase *disks = UNIT_TCASE(s, "disks", disks_logged_in_order, too_many_disks_stop_all);

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_checked_fixture(disks, disk_setup, NULL);
	return unit_run(s);
}
