#include "devices/watchdog/sbsa_gwdt.h"
#include "vmm/regset.h"

#include <errno.h>

enum { WRR = 0x000, WCS = 0x000, WOR_LO = 0x008, WOR_HI = 0x00c,
       WCV_LO = 0x010, WCV_HI = 0x014, W_IIDR = 0xfcc };

#define WCS_EN		(1u << 0)
#define WCS_WS0		(1u << 1)
#define WCS_WS1		(1u << 2)
#define WOR_MASK	((1ull << 48) - 1)
#define IIDR_V1		(1u << 16)	/* architecture version 1, ARM as implementer */
#define IIDR_VALUE	(IIDR_V1 | 0x43b)

static void refresh(struct sbsa_gwdt *g, uint64_t now)
{
	g->wcs &= ~(WCS_WS0 | WCS_WS1);
	g->wcv = now + g->wor;
}

void gwdt_init(struct sbsa_gwdt *g, int enabled, uint64_t wor, uint64_t now)
{
	g->wcs = enabled ? WCS_EN : 0;
	g->wor = wor & WOR_MASK;
	refresh(g, now);
}

static uint32_t lo(uint64_t v) { return (uint32_t)v; }
static uint32_t hi(uint64_t v) { return (uint32_t)(v >> 32); }

uint32_t gwdt_read(struct sbsa_gwdt *g, enum gwdt_frame f, unsigned off)
{
	if (off == W_IIDR)
		return IIDR_VALUE;
	if (f == GWDT_REFRESH)
		return 0;
	switch (off) {
	case WCS:    return g->wcs;
	case WOR_LO: return lo(g->wor);
	case WOR_HI: return hi(g->wor);
	case WCV_LO: return lo(g->wcv);
	case WCV_HI: return hi(g->wcv);
	}
	return 0;
}

static uint64_t set_lo(uint64_t v, uint32_t x) { return (v & ~0xffffffffull) | x; }
static uint64_t set_hi(uint64_t v, uint32_t x) { return (v & 0xffffffffull) | (uint64_t)x << 32; }

void gwdt_write(struct sbsa_gwdt *g, enum gwdt_frame f, unsigned off,
		uint32_t val, uint64_t now)
{
	if (f == GWDT_REFRESH) {
		if (off == WRR)
			refresh(g, now);
		return;
	}
	switch (off) {
	case WCS:    g->wcs = val & WCS_EN; refresh(g, now); break;
	case WOR_LO: g->wor = set_lo(g->wor, val); refresh(g, now); break;
	case WOR_HI: g->wor = set_hi(g->wor, val) & WOR_MASK; refresh(g, now); break;
	case WCV_LO: g->wcv = set_lo(g->wcv, val); break;
	case WCV_HI: g->wcv = set_hi(g->wcv, val); break;
	}
}

enum gwdt_event gwdt_expire(struct sbsa_gwdt *g, uint64_t now)
{
	if (!(g->wcs & WCS_EN) || (g->wcs & WCS_WS1) || now < g->wcv)
		return GWDT_NONE;
	if (!(g->wcs & WCS_WS0)) {
		g->wcs |= WCS_WS0;
		g->wcv = now + g->wor;	/* timeout refresh: the second stage */
		return GWDT_WS0;
	}
	g->wcs |= WCS_WS1;
	return GWDT_WS1;
}

uint64_t gwdt_deadline(const struct sbsa_gwdt *g)
{
	if (!(g->wcs & WCS_EN) || (g->wcs & WCS_WS1))
		return 0;
	return g->wcv ? g->wcv : 1;
}

int gwdt_irq_level(const struct sbsa_gwdt *g)
{
	return (g->wcs & WCS_EN) && (g->wcs & WCS_WS0);
}

int gwdt_save(const struct sbsa_gwdt *g, uint64_t now, struct regset *s)
{
	int rc = regset_put_uint(s, GWDT_KEY_WCS, g->wcs, 4);

	rc = rc ? rc : regset_put_uint(s, GWDT_KEY_WOR, g->wor, 8);
	return rc ? rc : regset_put_uint(s, GWDT_KEY_LEFT, g->wcv > now ? g->wcv - now : 0, 8);
}

int gwdt_load(struct sbsa_gwdt *g, uint64_t now, const struct regset *s)
{
	uint64_t wcs, wor, left;

	if (regset_get_uint(s, GWDT_KEY_WCS, &wcs) || regset_get_uint(s, GWDT_KEY_WOR, &wor) ||
	    regset_get_uint(s, GWDT_KEY_LEFT, &left))
		return -EINVAL;
	g->wcs = (uint32_t)wcs & 7;
	g->wor = wor & WOR_MASK;
	g->wcv = now + left;
	return 0;
}
