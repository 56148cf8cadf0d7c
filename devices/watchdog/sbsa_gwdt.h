/* SBSA Generic Watchdog (architecture version 1: 48-bit offset register)
 * register model. Portable: time is the system counter value @now the
 * owner passes in, and the owner serialises calls.
 *
 * Behaviour: an explicit refresh (a write to WRR, WCS or WOR) sets
 * WCV = now + WOR and clears WS0/WS1. When an enabled watchdog reaches WCV
 * the first time, WS0 rises (the interrupt) and WCV moves on by WOR; the
 * second time, WS1 rises: the system is to be reset. */
#ifndef ITSY_SBSA_GWDT_H
#define ITSY_SBSA_GWDT_H

#include <stdint.h>

enum gwdt_frame { GWDT_CONTROL, GWDT_REFRESH };

enum gwdt_event { GWDT_NONE, GWDT_WS0, GWDT_WS1 };

struct sbsa_gwdt {
	uint32_t wcs;		/* EN, WS0, WS1 */
	uint64_t wor;		/* offset, 48 bits */
	uint64_t wcv;		/* compare value */
};

/* Reset state; @enabled arms it at power-on with offset @wor. */
void gwdt_init(struct sbsa_gwdt *g, int enabled, uint64_t wor, uint64_t now);

uint32_t gwdt_read(struct sbsa_gwdt *g, enum gwdt_frame f, unsigned off);
void gwdt_write(struct sbsa_gwdt *g, enum gwdt_frame f, unsigned off,
		uint32_t val, uint64_t now);

/* Advance to @now: returns the signal that rose, if any. */
enum gwdt_event gwdt_expire(struct sbsa_gwdt *g, uint64_t now);

/* Counter value at which gwdt_expire() next has work, or 0 if never. */
uint64_t gwdt_deadline(const struct sbsa_gwdt *g);

/* Level of the WS0 interrupt line. */
int gwdt_irq_level(const struct sbsa_gwdt *g);

struct regset;
#define GWDT_STATE_VERSION	1

/* Keys of the saved state. The numbers are in saved files: never change
 * one (test_state_keys.c). */
enum gwdt_state_key {
	GWDT_KEY_WCS = 1,	/* 4 bytes */
	GWDT_KEY_WOR = 2,	/* 8 bytes */
	GWDT_KEY_LEFT = 3,	/* counter ticks to WCV, 8 bytes */
};

/* WCS, WOR and the time left to WCV (relative: counters differ between
 * hosts and across a restore). Load re-bases WCV on @now. */
int gwdt_save(const struct sbsa_gwdt *g, uint64_t now, struct regset *s);
int gwdt_load(struct sbsa_gwdt *g, uint64_t now, const struct regset *s);

#endif
