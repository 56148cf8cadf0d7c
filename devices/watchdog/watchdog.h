/* The board's SBSA Generic Watchdog: the model on the MMIO bus (control
 * and refresh frames), its WS0 interrupt, and a host timer for WCV. When
 * the guest lets it reach WS1 the VM ends: the guest stopped responding. */
#ifndef ITSY_WATCHDOG_H
#define ITSY_WATCHDOG_H

#include <stdint.h>

struct vm;

/* The guest's system counter, as the guest reads it. */
struct watchdog_clock {
	uint64_t (*now)(void *ctx);
	uint64_t freq;		/* ticks per second */
	void *ctx;
};

struct watchdog_config {
	uint64_t control, refresh, frame_size;	/* guest addresses */
	uint32_t irq;				/* arch-encoded WS0 line */
	int armed;				/* enabled at power-on */
	unsigned armed_secs;			/* its WOR then, in seconds */
};

int watchdog_attach(struct vm *vm, const struct watchdog_config *cfg,
		    const struct watchdog_clock *clk);

#endif
