/* Getting files (kernel, initrd) into guest RAM without extra copies: the
 * file is mapped, whole pages are mapped privately straight over guest RAM
 * (copy-on-write, so the guest may write them and the file stays intact),
 * and gzip streams inflate directly into guest RAM. */
#ifndef ITSY_LOADER_H
#define ITSY_LOADER_H

#include <stdint.h>
#include <sys/types.h>

#include "vmm/mem.h"

struct loader_file {
	int fd;
	uint64_t size;
	const uint8_t *data;	/* read-only mapping of the whole file */
};

/* Open and map @path. -errno (-ENODATA for an empty file). */
int loader_open(const char *path, struct loader_file *f);
void loader_close(struct loader_file *f);

/* Place the whole file at @gpa. -EFAULT if it does not fit in RAM. */
int loader_place(struct guest_mem *m, uint64_t gpa, const struct loader_file *f);

/* Inflate gzip data @src into @dst (at most @max bytes). Returns the bytes
 * produced; -EFBIG if the output exceeds @max (unless @prefix_only, where
 * filling @max bytes is success); -EINVAL if the stream is corrupt. */
ssize_t loader_gunzip(const uint8_t *src, uint64_t len, uint8_t *dst,
		      uint64_t max, int prefix_only);

#endif
