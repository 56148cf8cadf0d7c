/* virtio-console: the terminal as the guest's hvc0 (--console virtio).
 * Input from the VM's console (main thread) goes through a small ring to
 * the device thread, the only one that touches the queues; output goes
 * to the VM's console like the UART's. */
#ifndef ITSY_VIRTIO_CONSOLE_H
#define ITSY_VIRTIO_CONSOLE_H

#include "devices/kind.h"
#include "devices/virtio/virtio.h"

struct console;
struct vcon;

/* A device bound to @c, which it becomes the input sink of. -errno. */
int vcon_create(struct console *c, struct vcon **out);

extern const struct virtio_backend vcon_backend;
/* added by --console virtio (devices/kind.h). */
extern const struct device_kind vcon_kind;

#endif
