/* Guest RAM whose missing pages fault to this process instead of being
 * zero-filled by the kernel (userfaultfd, missing mode), for post-copy
 * (migration/postcopy.h). A thread that touches a missing page, a vCPU in
 * KVM_RUN included, waits in the kernel until uffd_copy() or uffd_zero()
 * places it.
 *
 * Contract: offsets are from the start of the range and page aligned;
 * errors are -errno. uffd_copy() and uffd_zero() on a page that is there
 * already only wake its waiters (0). One thread may read faults while
 * another places pages; a struct uffd is not otherwise shared. */
#ifndef ITSY_UFFD_H
#define ITSY_UFFD_H

#include <stdint.h>

struct uffd {
	int fd;			/* -1: none */
	uint8_t *base;
	uint64_t size;
	uint32_t page_size;
	uint8_t *bounce;	/* one page, page aligned: UFFDIO_COPY's source */
};

/* Register [@base, @base + @size) (page aligned). 0, or -errno (-EPERM
 * or -ENOSYS where the kernel or a container refuses userfaultfd). */
int uffd_register(struct uffd *u, uint8_t *base, uint64_t size, uint32_t page_size);

/* The page at @off gets the @page_size bytes at @data. */
int uffd_copy(struct uffd *u, uint64_t off, const void *data);
/* The page at @off reads as zeros. */
int uffd_zero(struct uffd *u, uint64_t off);

/* The offsets of the pages threads wait on, at most @max, into @offs:
 * how many (0 when none is pending; the fd is non-blocking), or -errno. */
int uffd_faults(struct uffd *u, uint64_t *offs, unsigned max);

/* Unregister (every waiter wakes and finds a zero page where nothing was
 * placed). Then nothing faults here any more. */
void uffd_unregister(struct uffd *u);
/* Unregister, close, free. Safe after a failed uffd_register, and twice. */
void uffd_close(struct uffd *u);

#endif
