/* Placeholder until the vsock backend lands: refuses with a clear message. */
#include "devices/virtio/vsock.h"

#include <errno.h>
#include <stdio.h>

const struct virtio_backend vsock_backend = { .name = "virtio-vsock" };

int vsock_open(uint64_t cid, struct vsock **out, char *err, size_t errlen)
{
	(void)out;
	snprintf(err, errlen, "--vsock cid=%llu: virtio-vsock is not available in this build",
		 (unsigned long long)cid);
	return -ENOSYS;
}
