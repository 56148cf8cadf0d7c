#include "devices/rtc/pl031.h"

#include <errno.h>
#include <string.h>

#include "vmm/regset.h"

enum { DR = 0x00, MR = 0x04, LR = 0x08, CR = 0x0c, IMSC = 0x10, RIS = 0x14,
       MIS = 0x18, ICR = 0x1c, ID = 0xfe0 };

/* PeriphID0-3 then PCellID0-3: part 0x031, designer ARM (0x41), rev 1. */
static const uint8_t ids[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static uint32_t counter(const struct pl031 *r, int64_t now)
{
	return (uint32_t)(now + r->offset);
}

void pl031_init(struct pl031 *r, int64_t now)
{
	memset(r, 0, sizeof(*r));
	r->counted = counter(r, now);
}

void pl031_tick(struct pl031 *r, int64_t now)
{
	uint32_t cur = counter(r, now);

	/* Did the count pass MR, i.e. is MR in (counted, cur]? */
	if ((uint32_t)(r->mr - r->counted - 1) < (uint32_t)(cur - r->counted))
		r->ris = 1;
	r->counted = cur;
}

int64_t pl031_next_match(const struct pl031 *r, int64_t now)
{
	uint32_t ahead = r->mr - counter(r, now);

	return now + (ahead ? ahead : 1ll << 32);
}

int pl031_irq_level(const struct pl031 *r)
{
	return !!(r->ris & r->imsc);
}

uint32_t pl031_read(struct pl031 *r, unsigned off, int64_t now)
{
	pl031_tick(r, now);
	if (off >= ID && off < ID + 4 * sizeof(ids))
		return off % 4 ? 0 : ids[(off - ID) / 4];
	switch (off) {
	case DR:   return (uint32_t)(now + r->offset);
	case MR:   return r->mr;
	case LR:   return r->lr;
	case CR:   return 1;	/* always running */
	case IMSC: return r->imsc;
	case RIS:  return r->ris;
	case MIS:  return r->ris & r->imsc;
	}
	return 0;
}

void pl031_write(struct pl031 *r, unsigned off, uint32_t val, int64_t now)
{
	pl031_tick(r, now);
	switch (off) {
	case MR:   r->mr = val; break;
	/* Loading the counter is a jump, not a count: no match on the way. */
	case LR:   r->lr = val; r->offset = (int64_t)val - now; r->counted = val; break;
	case IMSC: r->imsc = val & 1; break;
	case ICR:  r->ris &= ~val; break;
	}
}

int pl031_save(const struct pl031 *r, struct regset *s)
{
	int rc = regset_put_uint(s, PL031_KEY_OFFSET, (uint64_t)r->offset, 8);

	rc = rc ? rc : regset_put_uint(s, PL031_KEY_LR, r->lr, 4);
	rc = rc ? rc : regset_put_uint(s, PL031_KEY_MR, r->mr, 4);
	rc = rc ? rc : regset_put_uint(s, PL031_KEY_IMSC, r->imsc, 4);
	rc = rc ? rc : regset_put_uint(s, PL031_KEY_RIS, r->ris, 4);
	return rc ? rc : regset_put_uint(s, PL031_KEY_COUNTED, r->counted, 4);
}

/* PL031_KEY_COUNTED came later within version 1: without it, matches
 * count from the time of the load. */
int pl031_load(struct pl031 *r, const struct regset *s, int64_t now)
{
	uint64_t v[5];

	for (unsigned i = 0; i < 5; i++)
		if (regset_get_uint(s, PL031_KEY_OFFSET + i, &v[i]))
			return -EINVAL;
	r->offset = (int64_t)v[0];
	r->lr = (uint32_t)v[1];
	r->mr = (uint32_t)v[2];
	r->imsc = (uint32_t)v[3];
	r->ris = (uint32_t)v[4];
	r->counted = regset_has(s, PL031_KEY_COUNTED)
		     ? (uint32_t)regset_uint_or0(s, PL031_KEY_COUNTED) : counter(r, now);
	return 0;
}
