/* The MMIO bus: guest physical ranges handled in userspace. Contract:
 * regions are registered before any vCPU runs; dispatch takes no lock, and
 * each handler serialises its own device. */
#ifndef ITSY_MMIO_H
#define ITSY_MMIO_H

#include <stdint.h>

#define MMIO_MAX_REGIONS 32

/* @off is relative to the region base; @data holds @len (1, 2, 4 or 8)
 * little-endian bytes: filled by the handler on reads, given on writes. */
typedef void (*mmio_fn)(void *opaque, uint64_t off, uint8_t *data,
			unsigned len, int is_write);

struct mmio_region {
	uint64_t base, size;
	mmio_fn fn;
	void *opaque;
};

struct mmio_bus {
	struct mmio_region r[MMIO_MAX_REGIONS];
	unsigned n;
};

/* -EEXIST if it overlaps a registered region, -ENOSPC if the bus is full. */
int mmio_register(struct mmio_bus *bus, uint64_t base, uint64_t size,
		  mmio_fn fn, void *opaque);

/* Run the handler for @addr. -ENOENT if no region claims the access. */
int mmio_dispatch(const struct mmio_bus *bus, uint64_t addr, uint8_t *data,
		  unsigned len, int is_write);

#endif
