/* The MMIO bus: guest physical ranges handled in userspace. Regions may
 * come and go while vCPUs run (PCI BARs move): the table is under a
 * read-write lock, and dispatch copies the region out and calls the handler
 * without the lock held, so a handler may itself (un)register regions.
 * Handlers' @opaque objects live as long as the VM. Each handler serialises
 * its own device. */
#ifndef ITSY_MMIO_H
#define ITSY_MMIO_H

#include <pthread.h>
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
	pthread_rwlock_t lock;
	struct mmio_region r[MMIO_MAX_REGIONS];
	unsigned n;
};

void mmio_init(struct mmio_bus *bus);

/* -EEXIST if it overlaps a registered region, -ENOSPC if the bus is full. */
int mmio_register(struct mmio_bus *bus, uint64_t base, uint64_t size,
		  mmio_fn fn, void *opaque);

/* Remove the region that starts at @base and was registered with @opaque
 * (so nobody removes a region of another's). -ENOENT if there is none. */
int mmio_unregister(struct mmio_bus *bus, uint64_t base, const void *opaque);

/* Run the handler for @addr. -ENOENT if no region claims the access. */
int mmio_dispatch(struct mmio_bus *bus, uint64_t addr, uint8_t *data,
		  unsigned len, int is_write);

#endif
