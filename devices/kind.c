#include "devices/kind.h"
#include "devices/virtio-blk/blk.h"
#include "devices/virtio-console/console.h"
#include "devices/virtio-net/net.h"
#include "devices/virtio-rng/rng.h"
#include "devices/virtio-vsock/vsock.h"

#include <string.h>

/* Every kind a VM may have; a new device kind is one more line. */
static const struct device_kind *const kinds[] = {
	&blk_kind,
	&net_kind,
	&vsock_kind,
	&rng_kind,
	&vcon_kind,
};

#define NKINDS	(sizeof(kinds) / sizeof(kinds[0]))

const struct device_kind *device_kind_at(unsigned i)
{
	return i < NKINDS ? kinds[i] : NULL;
}

const struct device_kind *device_kind_named(const char *name)
{
	for (unsigned i = 0; name && i < NKINDS; i++)
		if (!strcmp(kinds[i]->name, name))
			return kinds[i];
	return NULL;
}
