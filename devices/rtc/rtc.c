#include "devices/rtc/rtc.h"
#include "devices/rtc/pl031.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct rtc {
	pthread_mutex_t lock;
	struct pl031 pl031;
	struct vm *vm;
	uint32_t irq;
	int irq_level;
	int timer_fd;		/* CLOCK_REALTIME: fires at the next match */
};

/* Follow the model's line; then wake at the next match. Lock held. */
static void follow(struct rtc *r, int force)
{
	int level = pl031_irq_level(&r->pl031);
	/* Just past the second boundary: the counter has moved by then. */
	struct itimerspec its = {
		.it_value = { .tv_sec = pl031_next_match(&r->pl031, time(NULL)), .tv_nsec = 1000000 },
	};

	if (force || level != r->irq_level) {
		r->irq_level = level;
		kvm_irq_line(&r->vm->kvm, r->irq, level);
	}
	timerfd_settime(r->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Registers are 32 bits wide: other accesses read 0 and write nothing. */
static void rtc_mmio(void *opaque, uint64_t off, uint8_t *data, unsigned len,
		     int is_write)
{
	struct rtc *r = opaque;
	uint32_t v = 0;

	if (len != 4 || off % 4) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	memcpy(&v, data, 4);	/* little-endian host */
	pthread_mutex_lock(&r->lock);
	if (is_write)
		pl031_write(&r->pl031, off, v, time(NULL));
	else
		v = pl031_read(&r->pl031, off, time(NULL));
	follow(r, 0);
	pthread_mutex_unlock(&r->lock);
	if (!is_write)
		memcpy(data, &v, 4);
}

static void on_timer(void *ctx)
{
	struct rtc *r = ctx;
	uint64_t n;

	(void)!read(r->timer_fd, &n, sizeof(n));
	pthread_mutex_lock(&r->lock);
	pl031_tick(&r->pl031, time(NULL));
	follow(r, 0);
	pthread_mutex_unlock(&r->lock);
}

static int rtc_save(void *state, struct regset *out)
{
	struct rtc *r = state;
	int rc;

	pthread_mutex_lock(&r->lock);
	rc = pl031_save(&r->pl031, out);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static int rtc_load(void *state, const struct regset *in, unsigned version)
{
	struct rtc *r = state;
	int rc;

	if (version != PL031_STATE_VERSION)
		return -EPROTO;
	pthread_mutex_lock(&r->lock);
	rc = pl031_load(&r->pl031, in, time(NULL));
	if (!rc)
		follow(r, 1);	/* the line to the level the state implies */
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static const struct device_ops rtc_dev_ops = {
	.name = "pl031", .version = PL031_STATE_VERSION, .save = rtc_save, .load = rtc_load,
};

int rtc_attach(struct vm *vm, uint64_t base, uint64_t size, uint32_t irq)
{
	struct rtc *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	r->vm = vm;
	r->irq = irq;
	pl031_init(&r->pl031, time(NULL));
	r->timer_fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	if (r->timer_fd < 0)
		return -errno;
	rc = mmio_register(&vm->mmio, base, size, rtc_mmio, r);
	rc = rc ? rc : vm_watch_fd(vm, r->timer_fd, on_timer, r);
	return rc ? rc : device_add(vm, &rtc_dev_ops, r, rtc_dev_ops.name);
}
