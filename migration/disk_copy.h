/* Disks that move with a live migration ("ctl migrate ... --with-disks"):
 * the source sends each disk's contents while the guest runs, then what
 * the guest changed meanwhile, pass after pass beside RAM, and the last
 * changes once the devices are paused and flushed. The destination writes
 * them into disks of its own. Portable: no KVM; the source side works on
 * disk logs (vmm/disk_log.h) that the devices fill, and sends through a
 * callback, so the tests run it on files.
 *
 * WIRE_DISK payload (every integer little-endian, no padding):
 *     0  4  disk index (the order of the disks in the guest's config)
 *     4  4  record count N
 *     8     N records, each:
 *            0  8  offset in bytes
 *            8  8  length in bytes
 *           16  4  kind: 0 data (the length in bytes follows the record),
 *                        1 zero (the range reads as zeros; no bytes follow)
 *           20  4  zero
 *  Offsets and lengths are multiples of 512, non-zero lengths, and every
 *  range lies inside the disk's size as the BEGIN's "disks" section gave
 *  it (DISK_COPY_SECTION, version 1: key 1 the disk count, key 0x100 + i
 *  disk i's size in bytes).
 *
 * What is sent, and why it is enough:
 *  - pass 0: every range SEEK_DATA finds (a device without it: all of it),
 *    chunk by chunk, all-zero chunks as zero records, and each hole as one
 *    zero record, so the destination's disk need not start out zeroed;
 *  - later passes and the final one: the chunks the log marked, read after
 *    taking the marks (vmm/disk_log.h), all-zero ones as zero records.
 *
 * Contract: errors are -errno with a one-line message in the caller's
 * buffer. disk_in_apply() never writes outside a target's size nor reads
 * outside the payload, whatever it holds. */
#ifndef ITSY_DISK_COPY_H
#define ITSY_DISK_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/disk_log.h"

#define DISK_COPY_SECTION	"disks"
#define DISK_COPY_VERSION	1
#define DISK_COPY_MAX		8		/* disks per guest */
#define DISK_REC_LEN		24
#define DISK_HDR_LEN		8
#define DISK_KIND_DATA		0u
#define DISK_KIND_ZERO		1u
#define DISK_FRAME_BYTES	(1u << 20)	/* data per WIRE_DISK frame, about */

struct regset;
struct regset_list;

/* Sends one WIRE_DISK payload. 0 or -errno. */
typedef int (*disk_send_fn)(void *ctx, const uint8_t *p, size_t len);

/* ---- source ---- */

struct disk_out {
	unsigned n;
	struct disk_log log[DISK_COPY_MAX];	/* filled by the devices */
	unsigned long *todo[DISK_COPY_MAX];	/* chunks to send next */
	uint64_t dirty_bytes;			/* marked in todo */
	uint64_t bytes_sent;			/* payload bytes, all passes */
	uint64_t data_bytes;			/* of which disk data */
	disk_send_fn send;
	void *ctx;
	uint8_t *buf;				/* the frame being built */
	size_t len, cap;
	size_t last;				/* where its last record starts */
	unsigned disk;				/* of the frame being built */
	uint32_t nrec;
};

/* Once log[0..n-1] are set up: the bitmaps and the frame buffer. 0 or
 * -ENOMEM. */
int disk_out_init(struct disk_out *o, disk_send_fn send, void *ctx);
/* Free what disk_out_init took (not the logs: the caller stops them). */
void disk_out_free(struct disk_out *o);

/* The "disks" section of the BEGIN: the count and the sizes. */
int disk_out_describe(const struct disk_out *o, struct regset_list *l);

/* Pass 0: everything allocated, and the holes as zero records. */
int disk_out_first(struct disk_out *o, char *err, size_t len);
/* Take the logs' marks into todo; dirty_bytes is then what is to send. */
uint64_t disk_out_collect(struct disk_out *o);
/* Send the chunks marked in todo, clearing them. */
int disk_out_send(struct disk_out *o, char *err, size_t len);

/* ---- destination ---- */

struct disk_target {
	int fd;			/* -1: closed */
	uint64_t size;		/* the source's disk */
	int created;		/* this process made the file: removed on failure */
	char path[4096];
};

struct disk_in {
	unsigned n;
	struct disk_target t[DISK_COPY_MAX];
	uint64_t data_bytes, zero_bytes;	/* written and zeroed */
};

/* The "disks" section @s (@version) for the guest's @npaths disks, whose
 * paths on this host are @paths: open each, or create it when it does not
 * exist, and lock it (flock, as a disk in use is: so the
 * source's own disk on this host is refused). An existing regular file
 * must have the disk's size, a block device at least that size. On
 * failure, what was created is removed. */
int disk_in_open(struct disk_in *in, const struct regset *s, uint32_t version,
		 const char *const *paths, unsigned npaths, char *err, size_t len);
/* Write one WIRE_DISK payload into the targets. */
int disk_in_apply(struct disk_in *in, const uint8_t *p, size_t len, char *err, size_t errlen);
/* Every target to stable storage (fdatasync), then closed, so the disk
 * devices open them next. */
int disk_in_finish(struct disk_in *in, char *err, size_t len);
/* Test hook (ITSY_MIGRATE_DUMP_DISKS): copy target @i, still open, to a new
 * file at @path. 0 or -errno. */
int disk_in_copy(const struct disk_in *in, unsigned i, const char *path);
/* Failure: close the targets and remove the files this process created.
 * Safe to call twice, and on a zeroed disk_in. */
void disk_in_abort(struct disk_in *in);

#endif
