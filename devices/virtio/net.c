/* Placeholder until the net backend lands: refuses with a clear message. */
#include "devices/virtio/net.h"

#include <errno.h>
#include <stdio.h>

const struct virtio_backend net_backend = { .name = "virtio-net" };

int net_open(const char *tap, const uint8_t *mac, struct net **out,
	     char *err, size_t errlen)
{
	(void)mac;
	(void)out;
	snprintf(err, errlen, "--net tap=%s: virtio-net is not available in this build", tap);
	return -ENOSYS;
}
