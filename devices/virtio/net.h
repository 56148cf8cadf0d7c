/* virtio-net on a host tap device. */
#ifndef ITSY_VIRTIO_NET_H
#define ITSY_VIRTIO_NET_H

#include <stddef.h>
#include <stdint.h>

#include "devices/virtio/virtio.h"

struct net;

/* Open (or create) tap @tap. @mac: the guest's MAC, or NULL to make one
 * up. On failure, -errno and a one-line message naming the tap in @err. */
int net_open(const char *tap, const uint8_t *mac, struct net **out,
	     char *err, size_t errlen);

extern const struct virtio_backend net_backend;

#endif
