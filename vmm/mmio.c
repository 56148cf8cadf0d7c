#include "vmm/mmio.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

void mmio_init(struct mmio_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	pthread_rwlock_init(&bus->lock, NULL);
}

static const struct mmio_region *find(const struct mmio_bus *bus, uint64_t addr,
				      uint64_t len)
{
	for (unsigned i = 0; i < bus->n; i++) {
		const struct mmio_region *r = &bus->r[i];

		if (addr < r->base + r->size && r->base < addr + len)
			return r;
	}
	return NULL;
}

int mmio_register(struct mmio_bus *bus, uint64_t base, uint64_t size,
		  mmio_fn fn, void *opaque)
{
	int rc = 0;

	pthread_rwlock_wrlock(&bus->lock);
	if (find(bus, base, size))
		rc = -EEXIST;
	else if (bus->n == MMIO_MAX_REGIONS)
		rc = -ENOSPC;
	else
		bus->r[bus->n++] = (struct mmio_region){ base, size, fn, opaque };
	pthread_rwlock_unlock(&bus->lock);
	return rc;
}

int mmio_unregister(struct mmio_bus *bus, uint64_t base, const void *opaque)
{
	int rc = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	for (unsigned i = 0; i < bus->n && rc; i++) {
		if (bus->r[i].base != base || bus->r[i].opaque != opaque)
			continue;
		bus->r[i] = bus->r[--bus->n];
		rc = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return rc;
}

int mmio_dispatch(struct mmio_bus *bus, uint64_t addr, uint8_t *data,
		  unsigned len, int is_write)
{
	const struct mmio_region *found;
	struct mmio_region r = { 0 };

	pthread_rwlock_rdlock(&bus->lock);
	found = find(bus, addr, len);
	if (found)
		r = *found;
	pthread_rwlock_unlock(&bus->lock);
	/* The access must lie wholly inside one region. */
	if (!r.fn || addr < r.base || addr + len > r.base + r.size)
		return -ENOENT;
	r.fn(r.opaque, addr - r.base, data, len, is_write);
	return 0;
}
