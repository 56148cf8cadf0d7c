/* virtio-rng: entropy for the guest from the host's getrandom(). */
#ifndef ITSY_VIRTIO_RNG_H
#define ITSY_VIRTIO_RNG_H

#include "devices/virtio/virtio.h"

extern const struct virtio_backend rng_backend;

#endif
