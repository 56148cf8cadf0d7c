/* The guest physical memory map: one declarative table, the only place an
 * address of the virtual board is written down. Everything else (KVM setup,
 * device tree, loader) looks regions up here. */
#ifndef ITSY_ARM64_MEMMAP_H
#define ITSY_ARM64_MEMMAP_H

#include <stddef.h>
#include <stdint.h>

enum memmap_id {
	MM_GICD,	/* GICv3 distributor, 64 KiB */
	MM_ITS,		/* ITS control + translation frames, 128 KiB */
	MM_GICR,	/* redistributors, 128 KiB per vCPU, MEMMAP_MAX_CPUS of them */
	MM_UART,	/* ns16550a */
	MM_RTC,		/* pl031 */
	MM_WDOG_CONTROL,	/* SBSA generic watchdog, control frame */
	MM_WDOG_REFRESH,	/* SBSA generic watchdog, refresh frame */
	MM_PVTIME,	/* PV stolen-time structures, 64 bytes per vCPU: normal
			 * memory of its own memslot, outside the DT's memory
			 * node so that Linux never allocates it */
	MM_PCI_MMIO32,	/* PCI non-prefetchable 32-bit BAR window */
	MM_PCI_ECAM,	/* PCIe ECAM config space, buses 0..MEMMAP_PCI_BUSES-1 */
	MM_RAM,		/* guest RAM; size is the most RAM the map can hold */
	MM_PCI_MMIO64,	/* PCI prefetchable 64-bit BAR window */
	MM_COUNT
};

#define MEMMAP_MAX_CPUS		64
#define MEMMAP_GICR_STRIDE	0x20000ull
#define MEMMAP_PCI_BUSES	16

/* SPIs of the board's wired devices (GIC INTID = 32 + spi). */
#define MEMMAP_SPI_UART		1
#define MEMMAP_SPI_RTC		2
#define MEMMAP_SPI_WDOG		3	/* watchdog WS0 */

struct memmap_region {
	const char *name;
	uint64_t base;
	uint64_t size;
};

/* Region @id of the table. */
const struct memmap_region *memmap_get(enum memmap_id id);

/* 0 if no two regions of @map (@n entries) overlap and none wraps around;
 * otherwise -EINVAL with *a and *b set to the clashing pair. */
int memmap_check(const struct memmap_region *map, size_t n, size_t *a, size_t *b);

/* Smallest IPA width (bits, at least 32) that covers every region. */
unsigned memmap_ipa_bits(void);

#endif
