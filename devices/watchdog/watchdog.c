#include "devices/watchdog/watchdog.h"
#include "devices/watchdog/sbsa_gwdt.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

struct watchdog {
	pthread_mutex_t lock;
	struct sbsa_gwdt gwdt;
	struct watchdog_clock clk;
	struct vm *vm;
	uint32_t irq;
	int irq_level;
	int timer_fd;
};

/* Arm the host timer for the model's next deadline. Lock held. */
static void rearm(struct watchdog *w)
{
	uint64_t when = gwdt_deadline(&w->gwdt), now = w->clk.now(w->clk.ctx), ticks, ns;
	struct itimerspec its = { 0 };

	if (when) {
		ticks = when > now ? when - now : 0;
		ns = (uint64_t)((unsigned __int128)ticks * 1000000000u / w->clk.freq) + 1;
		its.it_value.tv_sec = ns / 1000000000u;
		its.it_value.tv_nsec = ns % 1000000000u;
	}
	timerfd_settime(w->timer_fd, 0, &its, NULL);
}

/* Follow the model's WS0 level onto the interrupt line. Lock held. */
static void sync_irq(struct watchdog *w)
{
	int level = gwdt_irq_level(&w->gwdt);

	if (level != w->irq_level) {
		w->irq_level = level;
		kvm_irq_line(&w->vm->kvm, w->irq, level);
	}
}

static void on_timer(void *ctx)
{
	struct watchdog *w = ctx;
	uint64_t expirations, secs;
	enum gwdt_event ev;

	(void)!read(w->timer_fd, &expirations, sizeof(expirations));
	pthread_mutex_lock(&w->lock);
	ev = gwdt_expire(&w->gwdt, w->clk.now(w->clk.ctx));
	sync_irq(w);
	rearm(w);
	secs = 2 * w->gwdt.wor / w->clk.freq;
	pthread_mutex_unlock(&w->lock);
	if (ev == GWDT_WS1)
		vm_request_exit(w->vm, VM_EXIT_HUNG,
				"guest stopped responding: its watchdog was not refreshed for %llu s",
				(unsigned long long)secs);
}

/* 32-bit registers; the frame is told apart by which region was hit. */
static void frame_mmio(struct watchdog *w, enum gwdt_frame f, uint64_t off,
		       uint8_t *data, unsigned len, int is_write)
{
	uint32_t v = 0;

	memcpy(&v, data, len < 4 ? len : 4);
	pthread_mutex_lock(&w->lock);
	if (is_write) {
		gwdt_write(&w->gwdt, f, off, v, w->clk.now(w->clk.ctx));
		sync_irq(w);
		rearm(w);
	} else {
		v = gwdt_read(&w->gwdt, f, off);
	}
	pthread_mutex_unlock(&w->lock);
	if (!is_write) {
		memset(data, 0, len);
		memcpy(data, &v, len < 4 ? len : 4);
	}
}

static void control_mmio(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write)
{
	frame_mmio(opaque, GWDT_CONTROL, off, data, len, is_write);
}

static void refresh_mmio(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write)
{
	frame_mmio(opaque, GWDT_REFRESH, off, data, len, is_write);
}

static int wdog_save(void *state, struct regset *out)
{
	struct watchdog *w = state;
	int rc;

	pthread_mutex_lock(&w->lock);
	rc = gwdt_save(&w->gwdt, w->clk.now(w->clk.ctx), out);
	pthread_mutex_unlock(&w->lock);
	return rc;
}

static int wdog_load(void *state, const struct regset *in, unsigned version)
{
	struct watchdog *w = state;
	int rc;

	if (version != GWDT_STATE_VERSION)
		return -EPROTO;
	pthread_mutex_lock(&w->lock);
	rc = gwdt_load(&w->gwdt, w->clk.now(w->clk.ctx), in);
	if (!rc) {
		w->irq_level = !gwdt_irq_level(&w->gwdt);	/* force the line to its level */
		sync_irq(w);
		rearm(w);
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

static const struct device_ops wdog_dev_ops = {
	.name = "sbsa-gwdt", .version = GWDT_STATE_VERSION, .save = wdog_save, .load = wdog_load,
};

int watchdog_attach(struct vm *vm, const struct watchdog_config *cfg,
		    const struct watchdog_clock *clk)
{
	struct watchdog *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	w->vm = vm;
	w->clk = *clk;
	w->irq = cfg->irq;
	w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (w->timer_fd < 0)
		return -errno;
	gwdt_init(&w->gwdt, cfg->armed, (uint64_t)cfg->armed_secs * clk->freq, clk->now(clk->ctx));
	rearm(w);
	rc = mmio_register(&vm->mmio, cfg->control, cfg->frame_size, control_mmio, w);
	if (!rc)
		rc = mmio_register(&vm->mmio, cfg->refresh, cfg->frame_size, refresh_mmio, w);
	if (!rc)
		rc = vm_watch_fd(vm, w->timer_fd, on_timer, w);
	return rc ? rc : device_add(vm, &wdog_dev_ops, w, wdog_dev_ops.name);
}
