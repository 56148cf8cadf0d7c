/* Which parts of a disk the guest wrote, for moving the disk with a live
 * migration (migration/disks.h): a bitmap of fixed-size chunks that a
 * device thread marks while the migration thread takes the marks away.
 *
 * Contract:
 *  - disk_log_mark() may run on any thread, at the same time as
 *    disk_log_take() on another: both are lock-free, word by word.
 *  - Mark after the write is in the file, and take before reading the
 *    chunk: then a chunk read while a write lands is marked again after
 *    it, so the next take sends it once more. Nothing written is missed.
 *  - The log does not own @fd: it is the device's (read with pread by the
 *    migration thread while the device runs). */
#ifndef ITSY_DISK_LOG_H
#define ITSY_DISK_LOG_H

#include <stdint.h>

#define DISK_LOG_SHIFT	16	/* 64 KiB chunks */

struct disk_log {
	int fd;			/* the disk, the device's */
	uint64_t size;		/* bytes */
	unsigned shift;		/* log2 of the chunk size */
	uint64_t chunks;
	unsigned long *bits;	/* one per chunk, touched atomically */
};

/* A log of @size bytes at @fd in chunks of 1 << @shift bytes, all clear.
 * 0, or -ENOMEM / -EINVAL (a shift outside 9..30). */
int disk_log_init(struct disk_log *l, int fd, uint64_t size, unsigned shift);
/* Free the bitmap. Safe on a zeroed or freed log. */
void disk_log_free(struct disk_log *l);

/* Bytes [@off, @off + @len) were written: mark their chunks (clipped to
 * the disk). */
void disk_log_mark(struct disk_log *l, uint64_t off, uint64_t len);

/* Move every mark into @out (chunks bits, OR-ed in), clearing the log.
 * Returns how many chunks were newly set in @out. */
uint64_t disk_log_take(struct disk_log *l, unsigned long *out);

/* Bytes of a bitmap of @l's chunks (for @out above). */
uint64_t disk_log_bitmap_bytes(const struct disk_log *l);

#endif
