/* virtio-vsock served by the host kernel (vhost-vsock), so host programs
 * reach the guest with AF_VSOCK at its CID. */
#ifndef ITSY_VIRTIO_VSOCK_H
#define ITSY_VIRTIO_VSOCK_H

#include <stddef.h>
#include <stdint.h>

#include "devices/virtio/virtio.h"

struct vsock;

/* Open /dev/vhost-vsock for guest CID @cid. On failure, -errno and a
 * one-line message in @err (CID in use, no vhost-vsock, ...). */
int vsock_open(uint64_t cid, struct vsock **out, char *err, size_t errlen);

extern const struct virtio_backend vsock_backend;

#endif
