#include "devices/virtio-blk/blk.h"
#include "devices/virtio-blk/uring.h"
#include "vmm/disk_log.h"
#include "vmm/file.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define F(bit)		(1ull << (bit))
#define HDR		sizeof(struct virtio_blk_outhdr)
/* Config space up to the write-zeroes fields: no secure erase, no zoned. */
#define CONFIG_SIZE	(offsetof(struct virtio_blk_config, unused1) + \
			 sizeof(((struct virtio_blk_config *)0)->unused1))

struct blk {
	int fd;
	int readonly;
	int bdev;			/* a block device, else a regular file */
	uint64_t sectors;		/* capacity */
	char id[VIRTIO_BLK_ID_BYTES];	/* NUL-padded */
	struct virtio_backend be;	/* blk_backend with this disk's features */
	struct uring *ring;		/* NULL: preadv/pwritev, one at a time */
	struct blk_slot *slot;		/* BLK_BATCH requests being served */
	/* While a migration moves the disk: what the guest changes is marked
	 * here (after the change is in the file, see vmm/disk_log.h). */
	pthread_mutex_t log_lock;
	struct disk_log *log;		/* under log_lock; NULL: none */
};

/* A request being served. "rd" is the chain's device-readable part (the
 * header, then data), "wr" its device-writable part (data, then status). */
struct req {
	struct blk *b;
	const struct virtq_chain *c;
	uint32_t type;
	uint64_t sector;
	uint64_t rd_len;	/* readable bytes after the header */
	uint64_t wr_len;	/* writable bytes before the status byte */
	uint32_t written;	/* data bytes given to the guest */
	struct iovec *iov;	/* scratch for mapping the chain's bytes */
	unsigned cnt;		/* entries of iov that hold an IN/OUT's data */
};

/* One request of a batch: its chain, its I/O, its outcome. About 32 KiB. */
struct blk_slot {
	struct virtq_chain chain;
	struct iovec iov[VIRTQ_MAX_SEGS];
	struct req r;
	uint8_t status;
	int queued;		/* its I/O is on the ring */
};

/* ---- Segments as byte streams ---- */

/* Map bytes [@skip, @skip + @len) of the @n segments at @seg, which hold at
 * least that many, into @iov. Returns the number of entries; empty ones are
 * left out. */
static unsigned iov_map(struct iovec *iov, const struct virtq_seg *seg, unsigned n,
			uint64_t skip, uint64_t len)
{
	unsigned cnt = 0;

	for (unsigned i = 0; i < n && len; i++) {
		uint64_t take = seg[i].len;

		if (skip >= take) {
			skip -= take;
			continue;
		}
		take = take - skip < len ? take - skip : len;
		iov[cnt++] = (struct iovec){ (uint8_t *)seg[i].ptr + skip, take };
		len -= take;
		skip = 0;
	}
	return cnt;
}

static unsigned map_rd(struct req *r, uint64_t skip, uint64_t len)
{
	return iov_map(r->iov, r->c->seg, r->c->nread, skip, len);
}

static unsigned map_wr(struct req *r, uint64_t skip, uint64_t len)
{
	return iov_map(r->iov, r->c->seg + r->c->nread, r->c->nwrite, skip, len);
}

/* Copy the @cnt entries of @iov to (@to_iov) or from @buf. */
static void iov_copy(const struct iovec *iov, unsigned cnt, void *buf, int to_iov)
{
	uint8_t *p = buf;

	for (unsigned i = 0; i < cnt; p += iov[i].iov_len, i++) {
		if (to_iov)
			memcpy(iov[i].iov_base, p, iov[i].iov_len);
		else
			memcpy(p, iov[i].iov_base, iov[i].iov_len);
	}
}

/* Copy out @len readable bytes at @off, wherever the segments split them. */
static void req_read(struct req *r, uint64_t off, void *buf, size_t len)
{
	iov_copy(r->iov, map_rd(r, off, len), buf, 0);
}

static void req_write(struct req *r, uint64_t off, const void *buf, size_t len)
{
	iov_copy(r->iov, map_wr(r, off, len), (void *)buf, 1);
}

/* ---- Host I/O ---- */

static void iov_advance(struct iovec **iov, unsigned *cnt, size_t n)
{
	while (*cnt && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

static int iov_zero(struct iovec *iov, unsigned cnt)
{
	for (unsigned i = 0; i < cnt; i++)
		memset(iov[i].iov_base, 0, iov[i].iov_len);
	return 0;
}

/* All of @iov from or to the disk at @off: short counts and EINTR are
 * retried; reads past the end of the file give zeros. 0 or -errno. */
static int io_all(int fd, struct iovec *iov, unsigned cnt, off_t off, int write)
{
	while (cnt) {
		int n = cnt < IOV_MAX ? (int)cnt : IOV_MAX;
		ssize_t r = write ? pwritev(fd, iov, n, off) : preadv(fd, iov, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return write ? -EIO : iov_zero(iov, cnt);
		off += r;
		iov_advance(&iov, &cnt, r);
	}
	return 0;
}

static int fallocate_retry(int fd, int mode, uint64_t off, uint64_t len)
{
	int rc;

	do
		rc = fallocate(fd, mode, off, len);
	while (rc && errno == EINTR);
	return rc ? -errno : 0;
}

/* BLKDISCARD or BLKZEROOUT on a block device. */
static int ioctl_range(int fd, unsigned long req, uint64_t off, uint64_t len)
{
	uint64_t range[2] = { off, len };
	int rc;

	do
		rc = ioctl(fd, req, range);
	while (rc && errno == EINTR);
	return rc ? -errno : 0;
}

/* The host cannot do it this way (file system or device): try another. */
static int cannot(int rc)
{
	return rc == -EOPNOTSUPP || rc == -EINVAL || rc == -ENOSYS;
}

/* Discard is a hint: where the host cannot, it is a no-op. */
static int disk_discard(struct blk *b, uint64_t off, uint64_t len)
{
	int rc = b->bdev ? ioctl_range(b->fd, BLKDISCARD, off, len) :
		 fallocate_retry(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);

	return cannot(rc) ? 0 : rc;
}

/* Punch a hole only if the guest allows unmapping; write zeroes as the
 * last resort. */
static int disk_zero(struct blk *b, uint64_t off, uint64_t len, int unmap)
{
	int mode = FALLOC_FL_KEEP_SIZE | (unmap ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE);
	int rc = b->bdev ? ioctl_range(b->fd, BLKZEROOUT, off, len) :
		 fallocate_retry(b->fd, mode, off, len);

	return cannot(rc) ? file_write_zeros(b->fd, off, len) : rc;
}

/* ---- Requests ---- */

static int range_ok(const struct blk *b, uint64_t sector, uint64_t nsec)
{
	return sector <= b->sectors && nsec <= b->sectors - sector;
}

/* IN/OUT data: whole sectors inside the disk, and a used length that fits. */
static int data_ok(const struct req *r, uint64_t len)
{
	return !(len % BLK_SECTOR) && len < UINT32_MAX &&
	       range_ok(r->b, r->sector, len / BLK_SECTOR);
}

static int is_data(const struct req *r)
{
	return r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT;
}

/* Check an IN or OUT and map its data into r->iov (r->cnt entries). */
static uint8_t data_map(struct req *r)
{
	if (r->type == VIRTIO_BLK_T_IN) {
		if (r->rd_len || !data_ok(r, r->wr_len))
			return VIRTIO_BLK_S_IOERR;
		r->cnt = map_wr(r, 0, r->wr_len);
	} else {
		if (r->b->readonly || r->wr_len || !data_ok(r, r->rd_len))
			return VIRTIO_BLK_S_IOERR;
		r->cnt = map_rd(r, HDR, r->rd_len);
	}
	return VIRTIO_BLK_S_OK;
}

/* The mapped IN or OUT from byte @done on, here and now: all of it, or
 * what the ring left (a short count, or an error to retry once). */
static uint8_t data_finish(struct req *r, uint64_t done)
{
	struct iovec *iov = r->iov;
	unsigned cnt = r->cnt;
	int write = r->type == VIRTIO_BLK_T_OUT;

	iov_advance(&iov, &cnt, done);
	if (io_all(r->b->fd, iov, cnt, (off_t)(r->sector * BLK_SECTOR + done), write))
		return VIRTIO_BLK_S_IOERR;
	r->written = write ? 0 : (uint32_t)r->wr_len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_data(struct req *r)
{
	uint8_t st = data_map(r);

	return st ? st : data_finish(r, 0);
}

static uint8_t blk_flush(struct req *r)
{
	int rc;

	do
		rc = fdatasync(r->b->fd);
	while (rc && errno == EINTR);
	return rc ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/* The id, truncated to the guest's buffer. */
static uint8_t blk_get_id(struct req *r)
{
	size_t n = r->wr_len < sizeof(r->b->id) ? r->wr_len : sizeof(r->b->id);

	if (r->rd_len)
		return VIRTIO_BLK_S_IOERR;
	req_write(r, 0, r->b->id, n);
	r->written = n;
	return VIRTIO_BLK_S_OK;
}

/* Bytes [@off, @off + @len) changed (or may have: a failed write). */
static void mark_written(struct blk *b, uint64_t off, uint64_t len)
{
	pthread_mutex_lock(&b->log_lock);
	if (b->log)
		disk_log_mark(b->log, off, len);
	pthread_mutex_unlock(&b->log_lock);
}

/* DISCARD and WRITE_ZEROES: one range (max_*_seg is 1). */
static uint8_t blk_range(struct req *r)
{
	struct virtio_blk_discard_write_zeroes s;
	int zero = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
	uint32_t ok_flags = zero ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;
	uint64_t sector, nsec;
	int rc;

	if (r->b->readonly || r->wr_len || r->rd_len != sizeof(s))
		return VIRTIO_BLK_S_IOERR;
	req_read(r, HDR, &s, sizeof(s));
	sector = le64toh(s.sector);
	nsec = le32toh(s.num_sectors);
	if (le32toh(s.flags) & ~ok_flags)
		return VIRTIO_BLK_S_UNSUPP;
	if (nsec > BLK_MAX_RANGE_SECTORS || !range_ok(r->b, sector, nsec))
		return VIRTIO_BLK_S_IOERR;
	if (!nsec)
		return VIRTIO_BLK_S_OK;
	rc = zero ? disk_zero(r->b, sector * BLK_SECTOR, nsec * BLK_SECTOR,
			      le32toh(s.flags) & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) :
		    disk_discard(r->b, sector * BLK_SECTOR, nsec * BLK_SECTOR);
	mark_written(r->b, sector * BLK_SECTOR, nsec * BLK_SECTOR);
	return rc ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

static uint8_t blk_do(struct req *r)
{
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return blk_data(r);
	case VIRTIO_BLK_T_FLUSH:
		return blk_flush(r);
	case VIRTIO_BLK_T_GET_ID:
		return blk_get_id(r);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_range(r);
	}
	return VIRTIO_BLK_S_UNSUPP;
}

/* One copy of the header, which may be split across segments. */
static void req_header(struct req *r)
{
	struct virtio_blk_outhdr h;

	req_read(r, 0, &h, sizeof(h));
	r->type = le32toh(h.type);
	r->sector = le64toh(h.sector);
	r->rd_len = r->c->read_len - HDR;
}

/* The ring's word on a slot: whatever it did not do is done here. */
static void slot_done(void *tag, int64_t res, void *ctx)
{
	struct blk_slot *s = tag;

	(void)ctx;
	s->queued = 0;
	s->status = data_finish(&s->r, res < 0 ? 0 : (uint64_t)res);
}

/* Run what is on the ring. A ring that fails is dropped: its requests
 * fail, and the disk goes on with preadv/pwritev. */
static void blk_drain(struct blk *b)
{
	if (!b->ring || !uring_queued(b->ring) || !uring_run(b->ring, slot_done, NULL))
		return;
	for (unsigned i = 0; i < BLK_BATCH; i++)
		if (b->slot[i].queued) {
			b->slot[i].queued = 0;
			b->slot[i].status = VIRTIO_BLK_S_IOERR;
		}
	uring_close(b->ring);
	b->ring = NULL;
}

/* Start slot @s's request (its chain has a status byte): reads and writes
 * go on the ring, the rest is served at once, after what is on the ring
 * (a FLUSH covers the writes taken before it). */
static void slot_start(struct blk *b, struct blk_slot *s)
{
	struct req *r = &s->r;

	*r = (struct req){ .b = b, .c = &s->chain, .iov = s->iov,
			   .wr_len = s->chain.write_len - 1 };
	s->queued = 0;
	s->status = VIRTIO_BLK_S_IOERR;
	if (s->chain.read_len < HDR)
		return;
	req_header(r);
	if (!is_data(r) || !b->ring) {
		blk_drain(b);
		s->status = blk_do(r);
		return;
	}
	s->status = data_map(r);
	if (!s->status)
		s->queued = !uring_queue(b->ring, b->fd, r->iov, r->cnt, r->sector * BLK_SECTOR,
					 r->type == VIRTIO_BLK_T_OUT, s);
	if (!s->status && !s->queued)
		s->status = data_finish(r, 0);
}

/* Give slot @s back on queue @q with its status. -EIO if the queue broke. */
static int slot_end(struct virtio_dev *d, unsigned q, struct blk_slot *s)
{
	const struct virtq_chain *c = &s->chain;

	/* Why here: the write is done (in the file) whatever its status.
	 * Only a range that passed data_ok() can have been written. */
	if (s->r.type == VIRTIO_BLK_T_OUT && !s->r.b->readonly && data_ok(&s->r, s->r.rd_len))
		mark_written(s->r.b, s->r.sector * BLK_SECTOR, s->r.rd_len);
	req_write(&s->r, s->r.wr_len, &s->status, 1);
	virtq_mark_written(&d->vq[q], c->seg, c->nread + c->nwrite, c->read_len + c->write_len);
	return virtq_push(&d->vq[q], c->head, s->r.written + 1) ? -EIO : 0;
}

/* Take up to BLK_BATCH requests, start them all, wait for the ring, and
 * give them back in the order taken. The number taken, or -EIO if a chain
 * had no status byte (it cannot be completed; those before it are) or the
 * queue broke. */
static int blk_batch(struct virtio_dev *d, struct blk *b, unsigned q, unsigned *budget,
		     uint64_t *bytes)
{
	unsigned n = 0;
	int rc = 0;

	while (n < BLK_BATCH && *budget && *bytes < BLK_KICK_BYTES &&
	       (rc = virtq_pop(&d->vq[q], &b->slot[n].chain)) > 0) {
		struct blk_slot *s = &b->slot[n];

		*bytes += s->chain.read_len + s->chain.write_len;
		(*budget)--;
		if (!s->chain.write_len) {
			rc = -EIO;
			break;
		}
		slot_start(b, s);
		n++;
	}
	blk_drain(b);
	for (unsigned i = 0; i < n; i++)
		if (slot_end(d, q, &b->slot[i]))
			return -EIO;
	return rc < 0 ? -EIO : (int)n;
}

/* At most VIRTIO_KICK_BUDGET requests, or the first requests that reach
 * BLK_KICK_BYTES of buffers, per kick, BLK_BATCH at a time: then come
 * back. */
static void blk_kick(struct virtio_dev *d, unsigned q)
{
	struct blk *b = d->priv;
	unsigned budget = VIRTIO_KICK_BUDGET;
	uint64_t bytes = 0;
	int n;

	do
		n = blk_batch(d, b, q, &budget, &bytes);
	while (n == BLK_BATCH && budget && bytes < BLK_KICK_BYTES);
	if (n < 0)
		virtio_dev_broken(d);
	else if (!budget || bytes >= BLK_KICK_BYTES)
		virtio_dev_rekick(d, q);
	virtio_dev_signal(d, q);
}

static void blk_config(struct virtio_dev *d, uint8_t *buf)
{
	const struct blk *b = d->priv;
	struct virtio_blk_config c = {
		.capacity = htole64(b->sectors),
		.seg_max = htole32(BLK_SEG_MAX),
		.blk_size = htole32(BLK_SECTOR),
	};

	if (!b->readonly) {
		c.max_discard_sectors = htole32(BLK_MAX_RANGE_SECTORS);
		c.max_discard_seg = htole32(1);
		c.discard_sector_alignment = htole32(1);
		c.max_write_zeroes_sectors = htole32(BLK_MAX_RANGE_SECTORS);
		c.max_write_zeroes_seg = htole32(1);
		c.write_zeroes_may_unmap = !b->bdev;
	}
	memcpy(buf, &c, CONFIG_SIZE);
}

/* Pausing hands the disk over (a snapshot, or another host after a live
 * migration): what the guest wrote is on the disk, not only in the host's
 * page cache. */
static int blk_pause(struct virtio_dev *d)
{
	struct blk *b = d->priv;

	return !b->readonly && fdatasync(b->fd) ? -errno : 0;
}

/* Another host may have written the disk meanwhile (a shared disk after a
 * migration): nothing cached here before may be believed. */
static int blk_resume(struct virtio_dev *d)
{
	struct blk *b = d->priv;

	posix_fadvise(b->fd, 0, 0, POSIX_FADV_DONTNEED);
	return 0;
}

/* The disk lock goes with the guest (flock: per open file description). */
static int blk_release(struct virtio_dev *d)
{
	struct blk *b = d->priv;

	return flock(b->fd, LOCK_UN) ? -errno : 0;
}

static int blk_acquire(struct virtio_dev *d)
{
	struct blk *b = d->priv;

	if (!flock(b->fd, (b->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB))
		return 0;
	return errno == EWOULDBLOCK ? -EBUSY : -errno;
}

/* A migration moves the disk (migration/disks.h). */
static int blk_log_disk(struct virtio_dev *d, struct disk_log *log)
{
	struct blk *b = d->priv;
	int rc = log ? disk_log_init(log, b->fd, b->sectors * BLK_SECTOR, DISK_LOG_SHIFT) : 0;

	if (rc)
		return rc;
	pthread_mutex_lock(&b->log_lock);
	b->log = log;
	pthread_mutex_unlock(&b->log_lock);
	return 0;
}

const struct virtio_backend blk_backend = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.nqueues = 1,
	.queue_max = BLK_QUEUE_MAX,
	.features = F(VIRTIO_BLK_F_SEG_MAX) | F(VIRTIO_BLK_F_BLK_SIZE) |
		    F(VIRTIO_BLK_F_FLUSH) | F(VIRTIO_RING_F_EVENT_IDX) |
		    F(VIRTIO_RING_F_INDIRECT_DESC),
	.config_size = CONFIG_SIZE,
	.config = blk_config,
	.kick = blk_kick,
	.pause = blk_pause,
	.resume = blk_resume,
	.release = blk_release,
	.acquire = blk_acquire,
	.log_disk = blk_log_disk,
};

const struct virtio_backend *blk_backend_of(const struct blk *b)
{
	return &b->be;
}

uint64_t blk_capacity(const struct blk *b)
{
	return b->sectors;
}

int blk_uses_uring(const struct blk *b)
{
	return b->ring != NULL;
}

void blk_no_uring(struct blk *b)
{
	uring_close(b->ring);
	b->ring = NULL;
}

/* ---- Opening ---- */

static int fail(char *err, size_t errlen, const char *path, int rc, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "disk '%s': ", path);

	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int fail_errno(char *err, size_t errlen, const char *path)
{
	int e = errno;

	return fail(err, errlen, path, -e, "%s", strerror(e));
}

/* Open without waiting (a FIFO would block), then only accept a regular
 * file or a block device. */
static int disk_open(struct blk *b, const char *path, struct stat *st,
		     char *err, size_t errlen)
{
	int flags = b->readonly ? O_RDONLY : O_RDWR;

	b->fd = open(path, flags | O_CLOEXEC | O_NONBLOCK);
	if (b->fd < 0 || fstat(b->fd, st))
		return fail_errno(err, errlen, path);
	if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode))
		return fail(err, errlen, path, -EINVAL, "not a regular file or block device");
	b->bdev = S_ISBLK(st->st_mode);
	return fcntl(b->fd, F_SETFL, 0) ? fail_errno(err, errlen, path) : 0;
}

/* flock() locks belong to the open file description: they hold against
 * other processes and against a second open in this one. */
static int disk_lock(struct blk *b, const char *path, char *err, size_t errlen)
{
	if (!flock(b->fd, (b->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB))
		return 0;
	if (errno == EWOULDBLOCK)
		return fail(err, errlen, path, -EBUSY, "in use by another process (locked)");
	return fail_errno(err, errlen, path);
}

static int disk_size(struct blk *b, const char *path, const struct stat *st,
		     char *err, size_t errlen)
{
	uint64_t size = st->st_size;

	if (b->bdev && ioctl(b->fd, BLKGETSIZE64, &size))
		return fail_errno(err, errlen, path);
	if (size % BLK_SECTOR)
		return fail(err, errlen, path, -EINVAL, "size %llu is not a multiple of %u bytes",
			    (unsigned long long)size, BLK_SECTOR);
	b->sectors = size / BLK_SECTOR;
	return 0;
}

/* "itsy-" and a FNV-1a hash of the path. */
static void make_id(struct blk *b, const char *path)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		h = (h ^ *p) * 16777619u;
	memset(b->id, 0, sizeof(b->id));
	snprintf(b->id, sizeof(b->id), "itsy-%08x", h);
}

static void make_backend(struct blk *b)
{
	b->be = blk_backend;
	if (b->readonly)
		b->be.features |= F(VIRTIO_BLK_F_RO);
	else
		b->be.features |= F(VIRTIO_BLK_F_DISCARD) | F(VIRTIO_BLK_F_WRITE_ZEROES);
}

int blk_open(const char *path, int readonly, struct blk **out, char *err, size_t errlen)
{
	struct blk *b = calloc(1, sizeof(*b));
	struct stat st;
	int rc;

	if (!b)
		return fail(err, errlen, path, -ENOMEM, "%s", strerror(ENOMEM));
	b->readonly = !!readonly;
	b->fd = -1;
	pthread_mutex_init(&b->log_lock, NULL);
	rc = disk_open(b, path, &st, err, errlen);
	if (!rc)
		rc = disk_lock(b, path, err, errlen);
	if (!rc)
		rc = disk_size(b, path, &st, err, errlen);
	if (rc) {
		blk_close(b);
		return rc;
	}
	b->slot = calloc(BLK_BATCH, sizeof(*b->slot));
	if (!b->slot) {
		blk_close(b);
		return fail(err, errlen, path, -ENOMEM, "%s", strerror(ENOMEM));
	}
	/* Without io_uring (an old or locked-down kernel) requests are served
	 * one at a time with preadv/pwritev: slower, the same results. */
	if (uring_open(&b->ring, BLK_BATCH))
		b->ring = NULL;
	make_id(b, path);
	make_backend(b);
	*out = b;
	return 0;
}

void blk_close(struct blk *b)
{
	if (!b)
		return;
	uring_close(b->ring);
	if (b->fd >= 0)
		close(b->fd);
	pthread_mutex_destroy(&b->log_lock);
	free(b->slot);
	free(b);
}

/* ---- the device kind (devices/kind.h): --disk PATH[,ro] ---- */

/* @arg as a path and whether ",ro" ended it. -EINVAL for an empty path. */
static int disk_arg(const char *arg, char *path, size_t len, int *ro)
{
	const char *comma = strrchr(arg, ',');
	size_t n = strlen(arg);

	*ro = comma && !strcmp(comma, ",ro");
	if (*ro)
		n = comma - arg;
	if (!n || n >= len)
		return -EINVAL;
	memcpy(path, arg, n);
	path[n] = 0;
	return 0;
}

int blk_arg_path(const char *arg, char *path, size_t len, int *ro)
{
	return disk_arg(arg, path, len, ro);
}

static int kind_check(const char *arg, char *err, size_t len)
{
	char path[PATH_MAX];
	struct stat st;
	int ro;

	if (disk_arg(arg, path, sizeof(path), &ro)) {
		snprintf(err, len, "--disk '%s': expected PATH or PATH,ro", arg);
		return -EINVAL;
	}
	if (stat(path, &st)) {
		snprintf(err, len, "disk '%s': %s", path, strerror(errno));
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(err, len, "disk '%s': not a regular file", path);
		return -EINVAL;
	}
	return 0;
}

static int kind_create(const struct device_env *env, const char *arg, char *err, size_t len)
{
	char path[PATH_MAX];
	struct blk *b;
	int ro, rc = disk_arg(arg, path, sizeof(path), &ro);

	if (rc) {
		snprintf(err, len, "--disk '%s': expected PATH or PATH,ro", arg);
		return rc;
	}
	rc = blk_open(path, ro, &b, err, len);
	rc = rc ? rc : env->plug_virtio(env, blk_kind.name, blk_backend_of(b), b);
	return rc;
}

static void kind_describe(const char *arg, char *out, size_t len)
{
	char path[PATH_MAX];
	int ro;

	if (disk_arg(arg, path, sizeof(path), &ro))
		snprintf(out, len, "'%s'", arg);
	else
		snprintf(out, len, "%s%s", path, ro ? " (read-only)" : "");
}

const struct device_kind blk_kind = {
	.name = "virtio-blk", .option = "disk", .syntax = "PATH[,ro]",
	.help = "a virtio-blk disk: raw image or block device, locked against a second itsy",
	.max = BLK_MAX_DISKS, .check = kind_check, .create = kind_create,
	.describe = kind_describe,
};
