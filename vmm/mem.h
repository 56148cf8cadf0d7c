/* Guest RAM: one anonymous host mapping, and bounds-checked translation of
 * guest physical addresses into it. Nothing that reads or writes guest RAM
 * may do its own pointer arithmetic: go through mem_ptr(). */
#ifndef ITSY_MEM_H
#define ITSY_MEM_H

#include <stdint.h>

struct guest_mem {
	uint8_t *hva;		/* host mapping of the first byte */
	uint64_t gpa;		/* guest physical address of the first byte */
	uint64_t size;		/* bytes */
	/* While migrating (vmm/dirty.h): a bit per host page that the VMM
	 * itself wrote, e.g. a device filling a guest buffer. NULL when off;
	 * read with an atomic load. */
	unsigned long *dirty;
	unsigned dirty_shift;	/* log2 of the page size of that bitmap */
	unsigned long *dirty_buf;	/* owned storage of that bitmap */
	int from_file;		/* mem_map_file(): untouched pages hold file data */
};

/* Map @size bytes of zeroed RAM for guest address @gpa, at a host address
 * aligned to 2 MiB and advised for huge pages. -errno on failure. */
int mem_alloc(struct guest_mem *m, uint64_t gpa, uint64_t size);
void mem_free(struct guest_mem *m);

/* Guest RAM as a private (copy-on-write) mapping of @size bytes of @fd:
 * pages come from the file as the guest touches them, so this costs the
 * same for any RAM size, and the file is never written. -errno. */
int mem_map_file(struct guest_mem *m, uint64_t gpa, uint64_t size, int fd);

/* Host pointer to [@gpa, @gpa + @len) or NULL if any byte of it lies
 * outside guest RAM (overflow included). @len 0 is allowed. */
void *mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Which @chunk-byte pieces of RAM the host ever gave a page (resident or
 * swapped out): @map[i] is 1 for piece i, 0 where every page of it is
 * still untouched anonymous memory, which reads as zeroes. From
 * /proc/self/pagemap, so nothing is faulted in. @chunk is a multiple of
 * the page size. -ENOTSUP for RAM mapped from a file, else -errno. */
int mem_touched_map(const struct guest_mem *m, uint64_t chunk, uint8_t *map);

/* Write all of guest RAM to a new file @path (a test hook: two RAM
 * images of a migrated guest must be equal). -errno. */
int mem_dump(const struct guest_mem *m, const char *path);

/* Log that the VMM wrote [@hva, @hva + @len) of guest RAM, when a dirty
 * log is on (KVM only sees the guest's own writes). Call it after the
 * write and before telling the guest (used ring), from any thread. */
void mem_dirty_mark(const struct guest_mem *m, const void *hva, uint64_t len);

#endif
