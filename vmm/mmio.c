#include "vmm/mmio.h"

#include <errno.h>
#include <stddef.h>

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
	if (find(bus, base, size))
		return -EEXIST;
	if (bus->n == MMIO_MAX_REGIONS)
		return -ENOSPC;
	bus->r[bus->n++] = (struct mmio_region){ base, size, fn, opaque };
	return 0;
}

int mmio_dispatch(const struct mmio_bus *bus, uint64_t addr, uint8_t *data,
		  unsigned len, int is_write)
{
	const struct mmio_region *r = find(bus, addr, len);

	/* The access must lie wholly inside one region. */
	if (!r || addr < r->base || addr + len > r->base + r->size)
		return -ENOENT;
	r->fn(r->opaque, addr - r->base, data, len, is_write);
	return 0;
}
