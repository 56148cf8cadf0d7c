#include "vmm/file.h"

#include <errno.h>
#include <unistd.h>

/* All @len bytes, whatever short counts and EINTRs come on the way. */
static int all(int fd, uint8_t *b, uint64_t len, uint64_t off, int write)
{
	while (len) {
		ssize_t n = write ? pwrite(fd, b, len, (off_t)off) : pread(fd, b, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		b += n, off += (uint64_t)n, len -= (uint64_t)n;
	}
	return 0;
}

int file_pread_all(int fd, void *p, uint64_t len, uint64_t off)
{
	return all(fd, p, len, off, 0);
}

int file_pwrite_all(int fd, const void *p, uint64_t len, uint64_t off)
{
	return all(fd, (uint8_t *)p, len, off, 1);	/* pwrite only reads it */
}

int file_write_zeros(int fd, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[1u << 16];
	int rc = 0;

	while (!rc && len) {
		uint64_t n = len < sizeof(zeros) ? len : sizeof(zeros);

		rc = file_pwrite_all(fd, zeros, n, off);
		off += n, len -= n;
	}
	return rc;
}
