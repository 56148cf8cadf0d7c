/* ARM PrimeCell PL031 real-time clock model, so the guest has wall-clock
 * time at boot and an alarm. Portable: the owner passes the host time in
 * (seconds), and serialises calls. The counter is host time plus an
 * offset the guest sets through RTCLR. When the counter counts up to the
 * match register (not when MR or LR is written so that they are equal),
 * the raw interrupt status is set; the line is RIS & IMSC. The owner
 * calls pl031_tick() at the host second pl031_next_match() gives (and
 * may call it any time), then drives its line from pl031_irq_level(). */
#ifndef ITSY_PL031_H
#define ITSY_PL031_H

#include <stdint.h>

struct pl031 {
	int64_t offset;		/* guest seconds minus host seconds */
	uint32_t lr;		/* last value loaded */
	uint32_t mr, imsc, ris;
	uint32_t counted;	/* counter value when last looked at */
};

void pl031_init(struct pl031 *r, int64_t now);

/* 32-bit register access at byte offset @off; @now is host time, seconds. */
uint32_t pl031_read(struct pl031 *r, unsigned off, int64_t now);
void pl031_write(struct pl031 *r, unsigned off, uint32_t val, int64_t now);

/* The counter has run on to host time @now: raise RIS if it reached MR. */
void pl031_tick(struct pl031 *r, int64_t now);
/* Host time (seconds) of the next match after @now. */
int64_t pl031_next_match(const struct pl031 *r, int64_t now);
/* The interrupt line: RIS & IMSC. */
int pl031_irq_level(const struct pl031 *r);

struct regset;
#define PL031_STATE_VERSION	1

/* Keys of the saved state. The numbers are in saved files: never change
 * one (test_state_keys.c). OFFSET..RIS are consecutive (loaded in order). */
enum pl031_state_key {
	PL031_KEY_OFFSET = 1,	/* guest minus host seconds, 8 bytes */
	PL031_KEY_LR = 2, PL031_KEY_MR = 3, PL031_KEY_IMSC = 4, PL031_KEY_RIS = 5,
	PL031_KEY_COUNTED = 6,	/* counter when last looked at (absent in early files) */
};

/* The guest's offset from host time travels, so a restored guest reads
 * the right wall-clock time on any host whose clock is right. */
int pl031_save(const struct pl031 *r, struct regset *s);
int pl031_load(struct pl031 *r, const struct regset *s, int64_t now);

#endif
