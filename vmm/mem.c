#include "vmm/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Transparent huge pages back only 2 MiB-aligned 2 MiB ranges of a mapping,
 * and KVM maps a block at stage 2 only where the host page is huge. */
#define MEM_HUGE (2ull << 20)

int mem_alloc(struct guest_mem *m, uint64_t gpa, uint64_t size)
{
	uint64_t room = size + MEM_HUGE, head;
	uint8_t *p = mmap(NULL, room, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	/* Over-map by 2 MiB and trim, so that the host address is aligned
	 * like the guest's RAM base and huge pages line up with blocks. */
	head = (MEM_HUGE - (uintptr_t)p % MEM_HUGE) % MEM_HUGE;
	if (head)
		munmap(p, head);
	munmap(p + head + size, room - head - size);
	p += head;
	/* Huge pages cut stage-2 faults and TLB misses; best effort. */
	madvise(p, size, MADV_HUGEPAGE);
	m->hva = p;
	m->gpa = gpa;
	m->size = size;
	return 0;
}

int mem_map_file(struct guest_mem *m, uint64_t gpa, uint64_t size, int fd)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	m->hva = p;
	m->gpa = gpa;
	m->size = size;
	m->from_file = 1;
	return 0;
}

void mem_free(struct guest_mem *m)
{
	if (m->hva)
		munmap(m->hva, m->size);
	m->hva = NULL;
	free(m->dirty_buf);
	m->dirty_buf = NULL;
}

void *mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (gpa < m->gpa || len > m->size)
		return NULL;
	if (gpa - m->gpa > m->size - len)
		return NULL;
	return m->hva + (gpa - m->gpa);
}

void mem_dirty_mark(const struct guest_mem *m, const void *hva, uint64_t len)
{
	unsigned long *bits = __atomic_load_n(&m->dirty, __ATOMIC_ACQUIRE);
	const unsigned bpl = 8 * sizeof(long);
	uint64_t off, first, last;

	if (!bits || !len || (const uint8_t *)hva < m->hva)
		return;
	off = (const uint8_t *)hva - m->hva;
	if (off >= m->size || len > m->size - off)
		return;
	first = off >> m->dirty_shift;
	last = (off + len - 1) >> m->dirty_shift;
	/* Release: the data written before is visible to whoever sees the bit. */
	for (uint64_t p = first; p <= last; p++)
		__atomic_fetch_or(&bits[p / bpl], 1ul << (p % bpl), __ATOMIC_RELEASE);
}

/* pagemap: one 64-bit entry per page; bit 63 present, bit 62 swapped. */
#define PM_IN_USE	(3ull << 62)
#define PM_BATCH	512

static int pagemap_read(int fd, uintptr_t va, uint64_t *e, size_t n)
{
	off_t at = (off_t)(va / (uintptr_t)sysconf(_SC_PAGESIZE) * sizeof(*e));
	ssize_t got = pread(fd, e, n * sizeof(*e), at);

	if (got < 0)
		return -errno;
	return got == (ssize_t)(n * sizeof(*e)) ? 0 : -EIO;
}

int mem_touched_map(const struct guest_mem *m, uint64_t chunk, uint8_t *map)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), pages = (m->size + page - 1) / page;
	uint64_t e[PM_BATCH];
	int fd, rc = 0;

	if (m->from_file)
		return -ENOTSUP;
	if (!chunk || chunk % page)
		return -EINVAL;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(map, 0, (m->size + chunk - 1) / chunk);
	for (uint64_t i = 0; !rc && i < pages; i += PM_BATCH) {
		size_t n = pages - i < PM_BATCH ? pages - i : PM_BATCH;

		rc = pagemap_read(fd, (uintptr_t)m->hva + i * page, e, n);
		for (size_t j = 0; !rc && j < n; j++)
			if (e[j] & PM_IN_USE)
				map[(i + j) * page / chunk] = 1;
	}
	close(fd);
	return rc;
}

int mem_dump(const struct guest_mem *m, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), rc = 0;

	for (uint64_t off = 0; fd >= 0 && !rc && off < m->size;) {
		ssize_t n = write(fd, m->hva + off, m->size - off);

		if (n <= 0)
			rc = n ? -errno : -EIO;
		else
			off += (uint64_t)n;
	}
	if (fd < 0)
		return -errno;
	close(fd);
	return rc;
}
