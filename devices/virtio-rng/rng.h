/* virtio-rng: entropy for the guest from the host's getrandom(). Each
 * request gets at most RNG_CHAIN_MAX bytes, and one kick serves at most
 * VIRTIO_KICK_BUDGET requests. */
#ifndef ITSY_VIRTIO_RNG_H
#define ITSY_VIRTIO_RNG_H

#include "devices/kind.h"
#include "devices/virtio/virtio.h"

#define RNG_CHAIN_MAX	(64u << 10)

extern const struct virtio_backend rng_backend;
/* --rng (devices/kind.h). */
extern const struct device_kind rng_kind;

#endif
