/* virtio-blk device backend (virtio 1.x, one request queue): a raw disk
 * image or a host block device, read and written straight from and into
 * the guest's buffers. Portable: no KVM, no PCI; the backend only
 * sees its struct virtio_dev (devices/virtio/virtio.h), whose priv is the
 * struct blk from blk_open().
 *
 * Contract:
 *  - blk_open() takes a lock on the disk (exclusive, shared when read-only)
 *    for as long as it is open: a second itsy on the same disk fails.
 *  - Create the device with virtio_dev_init(d, blk_backend_of(b), b, mem).
 *    blk_backend holds what every disk offers; blk_backend_of() is the same
 *    backend with this disk's features added (VIRTIO_BLK_F_RO when
 *    read-only, DISCARD and WRITE_ZEROES when writable). The transport adds
 *    VIRTIO_F_VERSION_1.
 *  - Requests are taken BLK_BATCH at a time: the reads and writes among
 *    them go to the disk together through io_uring (devices/virtio-blk/
 *    uring.h; preadv/pwritev one by one where the kernel has no io_uring),
 *    the others (FLUSH, DISCARD, ...) are served once those before them
 *    are done, and the batch is given back, in the order taken, before
 *    the next is taken. One kick serves at most VIRTIO_KICK_BUDGET
 *    requests (or BLK_KICK_BYTES). So once virtio_dev_stop() has returned
 *    nothing is in flight (the queue's last_avail equals its used_idx) and
 *    every completed write is in the file (durably so after the guest's
 *    FLUSH). Snapshots rely on this. The exceptions are a chain without a
 *    status byte (it cannot be completed) and a queue that breaks while a
 *    batch is taken (the chains taken before cannot be given back on a
 *    broken queue, though their I/O was done): the device asks for a
 *    reset (virtio_dev_broken()), which drops them, and stops serving
 *    the queue until the next kick.
 *  - config() only reads what blk_open() set: any thread may call it.
 *  - No guest input crashes or hangs the VMM: bad requests get
 *    VIRTIO_BLK_S_IOERR (VIRTIO_BLK_S_UNSUPP for unknown types), bad chains
 *    a reset request. */
#ifndef ITSY_VIRTIO_BLK_H
#define ITSY_VIRTIO_BLK_H

#include <stddef.h>
#include <stdint.h>

#include "devices/kind.h"
#include "devices/virtio/virtio.h"

#define BLK_QUEUE_MAX		256
#define BLK_SECTOR		512
/* Data segments of one request: the queue size less header and status. */
#define BLK_SEG_MAX		(BLK_QUEUE_MAX - 2)
/* Requests in flight at once (taken from the queue, then submitted). */
#define BLK_BATCH		32
/* Buffer bytes after which one kick stops taking requests (virtio.h). */
#define BLK_KICK_BYTES		(16u << 20)
/* Largest discard or write-zeroes range, in sectors (1 GiB). */
#define BLK_MAX_RANGE_SECTORS	(1u << 21)

struct blk;

/* Open the raw image or block device at @path, read-write or @readonly,
 * and lock it. Its size must be a multiple of BLK_SECTOR. On error returns
 * -errno and writes a one-line message naming @path into @err, e.g.
 * "disk 'x.img': in use by another process (locked)". */
int blk_open(const char *path, int readonly, struct blk **out, char *err, size_t errlen);
/* Close and unlock. NULL is a no-op. The device must be stopped. */
void blk_close(struct blk *b);

/* Disk size in BLK_SECTOR sectors. */
uint64_t blk_capacity(const struct blk *b);

/* Whether reads and writes go through io_uring; blk_no_uring() makes them
 * use preadv/pwritev (both paths must give the same results: tests). */
int blk_uses_uring(const struct blk *b);
void blk_no_uring(struct blk *b);

#define BLK_MAX_DISKS		8	/* per VM */

/* The path of a --disk value @arg ("PATH[,ro]") into @path, and whether it
 * is read-only. -EINVAL for an empty or too long path. */
int blk_arg_path(const char *arg, char *path, size_t len, int *ro);

extern const struct virtio_backend blk_backend;
/* --disk PATH[,ro] (devices/kind.h). */
extern const struct device_kind blk_kind;
/* blk_backend with @b's features; lives as long as @b. */
const struct virtio_backend *blk_backend_of(const struct blk *b);

#endif
