#include "vmm/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

int loader_open(const char *path, struct loader_file *f)
{
	struct stat st = { 0 };
	void *p;

	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	if (fstat(f->fd, &st) || st.st_size == 0) {
		int rc = st.st_size == 0 ? -ENODATA : -errno;

		close(f->fd);
		return rc;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, f->fd, 0);
	if (p == MAP_FAILED) {
		close(f->fd);
		return -errno;
	}
	f->size = st.st_size;
	f->data = p;
	return 0;
}

void loader_close(struct loader_file *f)
{
	munmap((void *)f->data, f->size);
	close(f->fd);
}

int loader_place(struct guest_mem *m, uint64_t gpa, const struct loader_file *f)
{
	uint8_t *dst = mem_ptr(m, gpa, f->size);
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), whole = 0;

	if (!dst)
		return -EFAULT;
	/* Map whole pages in place when the destination is page aligned;
	 * the guest faults them in from the page cache as it touches them. */
	if ((uintptr_t)dst % page == 0 && f->size >= page) {
		whole = f->size / page * page;
		if (mmap(dst, whole, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
			 f->fd, 0) == MAP_FAILED)
			whole = 0;
	}
	memcpy(dst + whole, f->data + whole, f->size - whole);
	return 0;
}

ssize_t loader_gunzip(const uint8_t *src, uint64_t len, uint8_t *dst,
		      uint64_t max, int prefix_only)
{
	z_stream z = { .next_in = (uint8_t *)src, .avail_in = (uInt)len,
		       .next_out = dst, .avail_out = (uInt)max };
	int rc;

	if (len > UINT32_MAX || max > UINT32_MAX)
		return -EFBIG;
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)	/* 16: gzip wrapper */
		return -ENOMEM;
	rc = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (rc == Z_STREAM_END || (prefix_only && z.avail_out == 0))
		return (ssize_t)z.total_out;
	if (rc == Z_BUF_ERROR && z.avail_out == 0)
		return -EFBIG;
	return -EINVAL;
}
