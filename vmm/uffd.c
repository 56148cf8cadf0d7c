#include "vmm/uffd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int uffd_register(struct uffd *u, uint8_t *base, uint64_t size, uint32_t page_size)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { (uintptr_t)base, size }, .mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	const uint64_t need = (1ull << _UFFDIO_COPY) | (1ull << _UFFDIO_ZEROPAGE);

	*u = (struct uffd){ .fd = -1, .base = base, .size = size, .page_size = page_size };
	if (posix_memalign((void **)&u->bounce, page_size, page_size))
		return -ENOMEM;
	u->fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u->fd < 0)
		return -errno;
	if (ioctl(u->fd, UFFDIO_API, &api) || ioctl(u->fd, UFFDIO_REGISTER, &reg))
		return -errno;
	return (reg.ioctls & need) == need ? 0 : -EOPNOTSUPP;
}

/* The page at @off was there already: wake whoever waits on it. */
static int wake(struct uffd *u, uint64_t off)
{
	struct uffdio_range r = { (uintptr_t)u->base + off, u->page_size };

	return ioctl(u->fd, UFFDIO_WAKE, &r) ? -errno : 0;
}

int uffd_copy(struct uffd *u, uint64_t off, const void *data)
{
	struct uffdio_copy c = { .dst = (uintptr_t)u->base + off, .src = (uintptr_t)u->bounce,
				 .len = u->page_size };

	memcpy(u->bounce, data, u->page_size);
	if (!ioctl(u->fd, UFFDIO_COPY, &c))
		return 0;
	return errno == EEXIST ? wake(u, off) : -errno;
}

int uffd_zero(struct uffd *u, uint64_t off)
{
	struct uffdio_zeropage z = { .range = { (uintptr_t)u->base + off, u->page_size } };

	if (!ioctl(u->fd, UFFDIO_ZEROPAGE, &z))
		return 0;
	return errno == EEXIST ? wake(u, off) : -errno;
}

int uffd_faults(struct uffd *u, uint64_t *offs, unsigned max)
{
	struct uffd_msg msg[16];
	ssize_t got = read(u->fd, msg, (max < 16 ? max : 16) * sizeof(msg[0]));
	unsigned n = 0;

	if (got < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	for (size_t i = 0; i < (size_t)got / sizeof(msg[0]); i++) {
		uint64_t a = msg[i].arg.pagefault.address;

		if (msg[i].event != UFFD_EVENT_PAGEFAULT || a < (uintptr_t)u->base ||
		    a - (uintptr_t)u->base >= u->size)
			continue;
		offs[n++] = (a - (uintptr_t)u->base) & ~(uint64_t)(u->page_size - 1);
	}
	return (int)n;
}

void uffd_unregister(struct uffd *u)
{
	struct uffdio_range r = { (uintptr_t)u->base, u->size };

	if (u->fd >= 0)
		ioctl(u->fd, UFFDIO_UNREGISTER, &r);
}

void uffd_close(struct uffd *u)
{
	if (u->fd > 0) {
		uffd_unregister(u);
		close(u->fd);
	}
	u->fd = -1;
	free(u->bounce);
	u->bounce = NULL;
}
