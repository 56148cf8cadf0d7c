#include "arch/arm64/memmap.h"

#include <errno.h>

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

/* Low 1 GiB: devices; RAM from 1 GiB to 256 GiB; 64-bit BARs above that. */
static const struct memmap_region memmap[MM_COUNT] = {
	[MM_GICD]	= { "gicd",		0x08000000, KiB(64) },
	[MM_ITS]	= { "its",		0x08080000, KiB(128) },
	[MM_GICR]	= { "gicr",		0x080a0000, MEMMAP_MAX_CPUS * MEMMAP_GICR_STRIDE },
	[MM_UART]	= { "uart",		0x09000000, KiB(4) },
	[MM_RTC]	= { "rtc",		0x09010000, KiB(4) },
	[MM_WDOG_CONTROL] = { "wdog-control",	0x09020000, KiB(4) },
	[MM_WDOG_REFRESH] = { "wdog-refresh",	0x09030000, KiB(4) },
	[MM_PVTIME]	= { "pvtime",		0x09100000, KiB(64) },
	[MM_PCI_MMIO32]	= { "pci-mmio32",	0x10000000, MiB(752) },
	[MM_PCI_ECAM]	= { "pci-ecam",		0x3f000000, MEMMAP_PCI_BUSES * MiB(1) },
	[MM_RAM]	= { "ram",		GiB(1),	    GiB(255) },
	[MM_PCI_MMIO64]	= { "pci-mmio64",	GiB(256),   GiB(256) },
};

const struct memmap_region *memmap_get(enum memmap_id id)
{
	return &memmap[id];
}

static int overlaps(const struct memmap_region *x, const struct memmap_region *y)
{
	return x->base < y->base + y->size && y->base < x->base + x->size;
}

int memmap_check(const struct memmap_region *map, size_t n, size_t *a, size_t *b)
{
	for (size_t i = 0; i < n; i++) {
		*a = *b = i;
		if (map[i].size == 0 || map[i].base + map[i].size < map[i].base)
			return -EINVAL;
		for (size_t j = i + 1; j < n; j++) {
			*b = j;
			if (overlaps(&map[i], &map[j]))
				return -EINVAL;
		}
	}
	return 0;
}

unsigned memmap_ipa_bits(void)
{
	uint64_t top = 0;
	unsigned bits = 32;

	for (size_t i = 0; i < MM_COUNT; i++)
		if (memmap[i].base + memmap[i].size > top)
			top = memmap[i].base + memmap[i].size;
	while (bits < 64 && (1ull << bits) < top)
		bits++;
	return bits;
}
