/* Guest RAM pages in the payload of a WIRE_PAGES migration frame: the
 * source batches pages into a buffer (pages_add), the destination writes a
 * received payload into its RAM (pages_apply). Portable: no KVM.
 *
 * Payload layout: a sequence of records, each starting with a u64
 * little-endian word whose page-aligned high bits are the page's RAM offset
 * and whose low 12 bits are the record kind:
 *   kind 0, data page:  the word, then page_size bytes of contents
 *   kind 1, zero run:   the word, then a u32 LE page count N >= 1: the N
 *                       pages from that offset on are all zero
 * Any other kind is invalid. The offset must be a multiple of the page
 * size, which is a power of two >= 4096 agreed outside the payload, and
 * every page must lie inside RAM. Records may come in any order; an empty
 * payload is valid. The source merges consecutive zero pages into one run.
 *
 * Contract:
 *  - Errors are -errno. pages_apply() never reads outside the payload nor
 *    writes outside RAM, whatever the payload holds; on -EINVAL it leaves a
 *    message naming the record in @err, and the records before the bad one
 *    are already applied.
 *  - Zero pages are written only when RAM does not already read as zero,
 *    so untouched anonymous memory stays unallocated. */
#ifndef ITSY_PAGES_H
#define ITSY_PAGES_H

#include <stddef.h>
#include <stdint.h>

#define PAGES_KIND_DATA		0u
#define PAGES_KIND_ZERO		1u
#define PAGES_KIND_MASK		0xfffull	/* low bits of a record's first word */
#define PAGES_REC_LEN		8		/* the first word */
#define PAGES_RUN_LEN		4		/* a zero run's page count */

struct pages_batch {
	uint8_t *buf;		/* the payload being built, owned */
	size_t len, cap;
	uint32_t page_size;
	uint32_t npages;	/* pages in the batch, data and zero alike */
	uint32_t nzero;		/* of which zero pages */
	size_t run;		/* offset of the trailing zero-run record + 1, or 0 */
};

/* A batch of at most @cap bytes (room for one data page at least, and at
 * most WIRE_MAX_PAYLOAD) of pages of @page_size (a power of two >= 4096).
 * 0, -EINVAL or -ENOMEM. */
int pages_init(struct pages_batch *b, uint32_t page_size, size_t cap);
void pages_free(struct pages_batch *b);
/* Empty the batch (after it was sent), keeping its buffer. */
void pages_reset(struct pages_batch *b);

/* Add the page at RAM offset @off (page aligned, else -EINVAL) with the
 * page_size bytes at @data. An all-zero page becomes a zero run, or extends
 * the batch's last record when that is a run ending at @off. 0, or -ENOSPC
 * when the batch has no room for it: send it, reset it and add again. */
int pages_add(struct pages_batch *b, uint64_t off, const void *data);

/* Whether the @len bytes at @p are all zero. */
int pages_is_zero(const void *p, size_t len);

/* Write the payload @p of @len bytes into RAM [@ram, @ram + @ram_size) as
 * described above. The data pages and zero pages written or checked are
 * counted into *@data_pages and *@zero_pages (either may be NULL; set, not
 * added to, also on failure). 0, or -EINVAL with a message in @err. */
int pages_apply(const uint8_t *p, size_t len, uint8_t *ram, uint64_t ram_size,
		uint32_t page_size, uint64_t *data_pages, uint64_t *zero_pages,
		char *err, size_t errlen);

/* As pages_apply(), the same checks, but each page or zero run goes to
 * @put (@data NULL: @npages zero pages from @off on) instead of into RAM:
 * post-copy places them with userfaultfd. @put returns 0 or -errno, which
 * ends the walk with a message naming the record. */
typedef int (*pages_put_fn)(void *ctx, uint64_t off, const void *data, uint64_t npages);
int pages_apply_with(const uint8_t *p, size_t len, uint64_t ram_size, uint32_t page_size,
		     pages_put_fn put, void *ctx, uint64_t *data_pages, uint64_t *zero_pages,
		     char *err, size_t errlen);

#endif
