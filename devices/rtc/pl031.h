/* ARM PrimeCell PL031 real-time clock model, so the guest has wall-clock
 * time at boot. Portable: the owner passes the host time in, and serialises
 * calls. The counter is host time plus an offset the guest sets through
 * RTCLR. Alarm (match) registers are stored; the match interrupt is not
 * raised. */
#ifndef ITSY_PL031_H
#define ITSY_PL031_H

#include <stdint.h>

struct pl031 {
	int64_t offset;		/* guest seconds minus host seconds */
	uint32_t lr;		/* last value loaded */
	uint32_t mr, imsc, ris;
};

void pl031_init(struct pl031 *r);

/* 32-bit register access at byte offset @off; @now is host time, seconds. */
uint32_t pl031_read(struct pl031 *r, unsigned off, int64_t now);
void pl031_write(struct pl031 *r, unsigned off, uint32_t val, int64_t now);

struct regset;
#define PL031_STATE_VERSION	1

/* The guest's offset from host time travels, so a restored guest reads
 * the right wall-clock time on any host whose clock is right. */
int pl031_save(const struct pl031 *r, struct regset *s);
int pl031_load(struct pl031 *r, const struct regset *s);

#endif
