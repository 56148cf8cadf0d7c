#include "vmm/mem.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

int mem_alloc(struct guest_mem *m, uint64_t gpa, uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
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
	return 0;
}

void mem_free(struct guest_mem *m)
{
	if (m->hva)
		munmap(m->hva, m->size);
	m->hva = NULL;
}

void *mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (gpa < m->gpa || len > m->size)
		return NULL;
	if (gpa - m->gpa > m->size - len)
		return NULL;
	return m->hva + (gpa - m->gpa);
}
