#include "devices/rtc/pl031.h"

#include <string.h>

enum { DR = 0x00, MR = 0x04, LR = 0x08, CR = 0x0c, IMSC = 0x10, RIS = 0x14,
       MIS = 0x18, ICR = 0x1c, ID = 0xfe0 };

/* PeriphID0-3 then PCellID0-3: part 0x031, designer ARM (0x41), rev 1. */
static const uint8_t ids[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

void pl031_init(struct pl031 *r)
{
	memset(r, 0, sizeof(*r));
}

uint32_t pl031_read(struct pl031 *r, unsigned off, int64_t now)
{
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
	switch (off) {
	case MR:   r->mr = val; break;
	case LR:   r->lr = val; r->offset = (int64_t)val - now; break;
	case IMSC: r->imsc = val & 1; break;
	case ICR:  r->ris &= ~val; break;
	}
}
