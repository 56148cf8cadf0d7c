/* virtio-vsock served by the host kernel (vhost-vsock), so host programs
 * reach the guest with AF_VSOCK at its CID.
 *
 * Contract:
 *  - Three queues: rx (0), tx (1) and event (2). The kernel serves rx and
 *    tx itself (own_kicks): it takes the guest's kicks from the queues'
 *    eventfds and interrupts the guest through the irqfds of their MSI-X
 *    vectors, so the guest must give both a vector or the device refuses
 *    to start (NEEDS_RESET). The event queue stays with us and nothing is
 *    ever pushed on it: transport-reset events only matter once a VM can
 *    migrate (its CID's connections break).
 *  - vsock_open() narrows this device's features to what the host's
 *    vhost-vsock offers among what we support (EVENT_IDX, INDIRECT_DESC,
 *    SEQPACKET), kept per device and handed out by vsock_backend_of().
 *  - start() hands guest RAM (one region) and the rings to the kernel and
 *    sets it running; reset() stops it and unbinds the rings' eventfds,
 *    and a later start() sets everything up again. Errors are logged as
 *    one line and returned as -errno.
 *  - The guest's CID stays claimed from vsock_open() until itsy exits. */
#ifndef ITSY_VIRTIO_VSOCK_H
#define ITSY_VIRTIO_VSOCK_H

#include <stddef.h>
#include <stdint.h>

#include "devices/kind.h"
#include "devices/virtio/virtio.h"

struct vsock;

/* Open /dev/vhost-vsock for guest CID @cid. On failure, -errno and a
 * one-line message in @err (CID in use, no vhost-vsock, ...). */
int vsock_open(uint64_t cid, struct vsock **out, char *err, size_t errlen);

/* The backend with no features; a device uses vsock_backend_of(), which
 * adds what its vhost offers (EVENT_IDX, INDIRECT_DESC, SEQPACKET). */
extern const struct virtio_backend vsock_backend;
/* --vsock cid=N (devices/kind.h). */
extern const struct device_kind vsock_kind;
const struct virtio_backend *vsock_backend_of(const struct vsock *v);

#endif
