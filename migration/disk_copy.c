#include "migration/disk_copy.h"
#include "migration/pages.h"
#include "vmm/file.h"
#include "vmm/le.h"
#include "vmm/regset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define K_COUNT		1
#define K_SIZE		0x100		/* + disk index */
#define SECTOR		512u
#define WORD_BITS	(8 * sizeof(unsigned long))

static int failf(char *err, size_t len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int failf(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- source: building frames ---- */

static uint64_t chunk_bytes(const struct disk_out *o, unsigned d)
{
	return 1ull << o->log[d].shift;
}

int disk_out_init(struct disk_out *o, disk_send_fn send, void *ctx)
{
	uint64_t most = 0;

	o->send = send;
	o->ctx = ctx;
	for (unsigned d = 0; d < o->n; d++) {
		o->todo[d] = calloc(1, disk_log_bitmap_bytes(&o->log[d]) + sizeof(long));
		if (!o->todo[d])
			return -ENOMEM;
		most = chunk_bytes(o, d) > most ? chunk_bytes(o, d) : most;
	}
	o->cap = DISK_FRAME_BYTES + most + DISK_HDR_LEN + DISK_REC_LEN;
	o->buf = malloc(o->cap);
	return o->buf ? 0 : -ENOMEM;
}

void disk_out_free(struct disk_out *o)
{
	for (unsigned d = 0; d < DISK_COPY_MAX; d++) {
		free(o->todo[d]);
		o->todo[d] = NULL;
	}
	free(o->buf);
	o->buf = NULL;
}

int disk_out_describe(const struct disk_out *o, struct regset_list *l)
{
	struct regset *s = regset_list_add(l, DISK_COPY_SECTION, DISK_COPY_VERSION);
	int rc = s ? regset_put_uint(s, K_COUNT, o->n, 4) : -ENOMEM;

	for (unsigned d = 0; !rc && d < o->n; d++)
		rc = regset_put_uint(s, K_SIZE + d, o->log[d].size, 8);
	return rc;
}

static int flush(struct disk_out *o)
{
	int rc;

	if (!o->nrec)
		return 0;
	le_put(o->buf + 4, o->nrec, 4);
	rc = o->send(o->ctx, o->buf, o->len);
	o->bytes_sent += o->len;
	o->len = 0;
	o->nrec = 0;
	return rc;
}

/* Room for a record and @data bytes of disk @d: a new frame when the one
 * being built is for another disk or full. */
static int room(struct disk_out *o, unsigned d, uint64_t data)
{
	int rc = 0;

	if (o->nrec && (o->disk != d || o->len + DISK_REC_LEN + data > o->cap))
		rc = flush(o);
	if (!rc && !o->nrec) {
		le_put(o->buf, d, 4);
		o->len = DISK_HDR_LEN;
		o->disk = d;
	}
	return rc;
}

static void put_rec(uint8_t *r, uint64_t off, uint64_t len, uint32_t kind)
{
	le_put(r, off, 8);
	le_put(r + 8, len, 8);
	le_put(r + 16, kind, 4);
	le_put(r + 20, 0, 4);
}

/* A zero record, or the last record grown when it is a zero range ending
 * at @off. */
static int add_zero(struct disk_out *o, unsigned d, uint64_t off, uint64_t len)
{
	uint8_t *last;
	int rc = room(o, d, 0);

	if (rc)
		return rc;
	last = o->buf + o->last;
	if (o->nrec && le_get(last + 16, 4) == DISK_KIND_ZERO &&
	    le_get(last, 8) + le_get(last + 8, 8) == off) {
		le_put(last + 8, le_get(last + 8, 8) + len, 8);
		return 0;
	}
	put_rec(o->buf + o->len, off, len, DISK_KIND_ZERO);
	o->last = o->len;
	o->len += DISK_REC_LEN;
	o->nrec++;
	return 0;
}

/* Bytes [@off, @off + @len) of disk @d, read now: as data, or as a zero
 * record when they read as zeros. */
static int add_piece(struct disk_out *o, unsigned d, uint64_t off, uint64_t len,
		     char *err, size_t errlen)
{
	uint8_t *data;
	int rc = room(o, d, len);

	if (rc)
		return rc;
	data = o->buf + o->len + DISK_REC_LEN;
	rc = file_pread_all(o->log[d].fd, data, len, off);
	if (rc)
		return failf(err, errlen, rc, "disk %u: reading %llu bytes at %llu: %s", d,
			     (unsigned long long)len, (unsigned long long)off, strerror(-rc));
	if (pages_is_zero(data, len))
		return add_zero(o, d, off, len);
	put_rec(o->buf + o->len, off, len, DISK_KIND_DATA);
	o->last = o->len;
	o->len += DISK_REC_LEN + len;
	o->nrec++;
	o->data_bytes += len;
	return 0;
}

/* [@a, @b) piece by piece, each inside one chunk. */
static int add_range(struct disk_out *o, unsigned d, uint64_t a, uint64_t b,
		     char *err, size_t errlen)
{
	uint64_t c = chunk_bytes(o, d);
	int rc = 0;

	while (!rc && a < b) {
		uint64_t n = c - a % c < b - a ? c - a % c : b - a;

		rc = add_piece(o, d, a, n, err, errlen);
		a += n;
	}
	return rc;
}

/* ---- source: the passes ---- */

/* The next allocated range of disk @d at or after @at, into [*a, *b):
 * 1, or 0 when none is left. A disk without SEEK_DATA is all data. */
static int next_data(const struct disk_log *l, uint64_t at, uint64_t *a, uint64_t *b)
{
	off_t s = lseek(l->fd, (off_t)at, SEEK_DATA), e;

	if (s < 0 && errno == ENXIO)
		return 0;
	if (s < 0) {
		*a = at, *b = l->size;
		return at < l->size;
	}
	e = lseek(l->fd, s, SEEK_HOLE);
	*a = (uint64_t)s / SECTOR * SECTOR;
	*b = e < 0 || (uint64_t)e > l->size ? l->size : ((uint64_t)e + SECTOR - 1) / SECTOR * SECTOR;
	if (*b > l->size)
		*b = l->size;
	return *a < l->size;
}

static int first_disk(struct disk_out *o, unsigned d, char *err, size_t errlen)
{
	const struct disk_log *l = &o->log[d];
	uint64_t at = 0, a, b;
	int rc = 0;

	while (!rc && at < l->size && next_data(l, at, &a, &b)) {
		if (a > at)
			rc = add_zero(o, d, at, a - at);
		rc = rc ? rc : add_range(o, d, a, b, err, errlen);
		at = b > at ? b : l->size;	/* always forward */
	}
	if (!rc && at < l->size)
		rc = add_zero(o, d, at, l->size - at);
	return rc;
}

int disk_out_first(struct disk_out *o, char *err, size_t len)
{
	int rc = 0;

	for (unsigned d = 0; !rc && d < o->n; d++)
		rc = first_disk(o, d, err, len);
	rc = rc ? rc : flush(o);
	if (rc && !err[0])
		failf(err, len, rc, "sending a disk: %s", strerror(-rc));
	return rc;
}

uint64_t disk_out_collect(struct disk_out *o)
{
	o->dirty_bytes = 0;
	for (unsigned d = 0; d < o->n; d++) {
		uint64_t words = disk_log_bitmap_bytes(&o->log[d]) / sizeof(long), chunks = 0;

		disk_log_take(&o->log[d], o->todo[d]);
		for (uint64_t i = 0; i < words; i++)
			chunks += __builtin_popcountl(o->todo[d][i]);
		o->dirty_bytes += chunks << o->log[d].shift;
	}
	return o->dirty_bytes;
}

static int send_chunk(struct disk_out *o, unsigned d, uint64_t c, char *err, size_t len)
{
	uint64_t a = c << o->log[d].shift, b = a + chunk_bytes(o, d);

	return add_range(o, d, a, b < o->log[d].size ? b : o->log[d].size, err, len);
}

int disk_out_send(struct disk_out *o, char *err, size_t len)
{
	int rc = 0;

	for (unsigned d = 0; !rc && d < o->n; d++) {
		uint64_t words = disk_log_bitmap_bytes(&o->log[d]) / sizeof(long);

		for (uint64_t i = 0; !rc && i < words; i++) {
			unsigned long w = o->todo[d][i];

			o->todo[d][i] = 0;
			for (; !rc && w; w &= w - 1)
				rc = send_chunk(o, d, i * WORD_BITS + __builtin_ctzl(w), err, len);
		}
	}
	rc = rc ? rc : flush(o);
	if (rc && !err[0])
		failf(err, len, rc, "sending a disk: %s", strerror(-rc));
	o->dirty_bytes = 0;
	return rc;
}

/* ---- destination ---- */

static int open_existing(struct disk_target *t, char *err, size_t len)
{
	struct stat st;
	off_t end;

	if (fstat(t->fd, &st))
		return failf(err, len, -errno, "disk '%s': %s", t->path, strerror(errno));
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size != t->size)
		return failf(err, len, -EINVAL, "disk '%s' has %llu bytes, the guest's disk %llu: "
			     "give a new path (it is created) or one of that size", t->path,
			     (unsigned long long)st.st_size, (unsigned long long)t->size);
	if (S_ISREG(st.st_mode))
		return 0;
	if (!S_ISBLK(st.st_mode))
		return failf(err, len, -EINVAL, "disk '%s': not a regular file or block device",
			     t->path);
	end = lseek(t->fd, 0, SEEK_END);
	if (end < 0 || (uint64_t)end < t->size)
		return failf(err, len, -ENOSPC, "disk '%s' has %lld bytes, the guest's disk %llu",
			     t->path, (long long)end, (unsigned long long)t->size);
	return 0;
}

/* Why the lock first: a path that is the source's own disk (on this same
 * host) must be refused before anything is truncated or written. */
static int open_target(struct disk_target *t, char *err, size_t len)
{
	t->fd = open(t->path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (t->fd < 0 && errno == ENOENT) {
		t->fd = open(t->path, O_RDWR | O_CLOEXEC | O_CREAT | O_EXCL, 0600);
		t->created = t->fd >= 0;
	}
	if (t->fd < 0)
		return failf(err, len, -errno, "disk '%s': %s", t->path, strerror(errno));
	if (flock(t->fd, LOCK_EX | LOCK_NB))
		return failf(err, len, -EBUSY, "disk '%s' is in use by another process (locked): "
			     "--with-disks needs a disk of this host's own, not the guest's", t->path);
	if (t->created && ftruncate(t->fd, (off_t)t->size))
		return failf(err, len, -errno, "disk '%s': cannot make it %llu bytes: %s", t->path,
			     (unsigned long long)t->size, strerror(errno));
	return t->created ? 0 : open_existing(t, err, len);
}

static int read_sizes(struct disk_in *in, const struct regset *s, uint32_t version,
		      const char *const *paths, unsigned npaths, char *err, size_t len)
{
	uint64_t n;

	if (version != DISK_COPY_VERSION)
		return failf(err, len, -EPROTO, "disks: version %u, this build reads %u", version,
			     DISK_COPY_VERSION);
	if (regset_get_uint(s, K_COUNT, &n) || n > DISK_COPY_MAX || n != npaths)
		return failf(err, len, -EINVAL, "disks: the count does not match the guest's %u disks",
			     npaths);
	in->n = (unsigned)n;
	for (unsigned i = 0; i < in->n; i++) {
		uint64_t sz;

		in->t[i].fd = -1;
		if (regset_get_uint(s, K_SIZE + i, &sz) || !sz || sz % SECTOR || sz >> 62)
			return failf(err, len, -EINVAL, "disks: disk %u has no valid size", i);
		in->t[i].size = sz;
		if (!paths[i] || !paths[i][0] || strlen(paths[i]) >= sizeof(in->t[i].path))
			return failf(err, len, -EINVAL, "disks: disk %u has no path", i);
		strcpy(in->t[i].path, paths[i]);
	}
	return 0;
}

int disk_in_open(struct disk_in *in, const struct regset *s, uint32_t version,
		 const char *const *paths, unsigned npaths, char *err, size_t len)
{
	int rc;

	memset(in, 0, sizeof(*in));
	for (unsigned i = 0; i < DISK_COPY_MAX; i++)
		in->t[i].fd = -1;
	rc = read_sizes(in, s, version, paths, npaths, err, len);
	for (unsigned i = 0; !rc && i < in->n; i++)
		rc = open_target(&in->t[i], err, len);
	if (rc)
		disk_in_abort(in);
	return rc;
}

/* The range reads as zeros after: a hole, else zeroed, else zeros written. */
static int zero_range(int fd, uint64_t off, uint64_t len)
{
	if (!fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) ||
	    !fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len))
		return 0;
	return file_write_zeros(fd, off, len);
}

/* One record at @p (@left bytes from it to the payload's end); the bytes
 * it took into *@used. */
static int apply_rec(struct disk_in *in, struct disk_target *t, const uint8_t *p, size_t left,
		     size_t *used, char *err, size_t errlen)
{
	uint64_t off, len;
	uint32_t kind;
	int rc;

	if (left < DISK_REC_LEN)	/* why first: the fields below are read from p */
		return failf(err, errlen, -EINVAL, "a disk record cut short (%zu bytes)", left);
	off = le_get(p, 8), len = le_get(p + 8, 8), kind = (uint32_t)le_get(p + 16, 4);
	if (le_get(p + 20, 4) || kind > DISK_KIND_ZERO)
		return failf(err, errlen, -EINVAL, "a bad disk record");
	if (!len || off % SECTOR || len % SECTOR || off > t->size || len > t->size - off)
		return failf(err, errlen, -EINVAL, "a disk record of %llu bytes at %llu is outside "
			     "the disk's %llu bytes", (unsigned long long)len,
			     (unsigned long long)off, (unsigned long long)t->size);
	if (kind == DISK_KIND_DATA && len > left - DISK_REC_LEN)
		return failf(err, errlen, -EINVAL, "a disk record of %llu bytes runs past the "
			     "frame's end", (unsigned long long)len);
	*used = DISK_REC_LEN + (kind == DISK_KIND_DATA ? len : 0);
	rc = kind == DISK_KIND_DATA ? file_pwrite_all(t->fd, p + DISK_REC_LEN, len, off) :
	     zero_range(t->fd, off, len);
	if (rc)
		return failf(err, errlen, rc, "disk '%s': writing %llu bytes at %llu: %s", t->path,
			     (unsigned long long)len, (unsigned long long)off, strerror(-rc));
	*(kind == DISK_KIND_DATA ? &in->data_bytes : &in->zero_bytes) += len;
	return 0;
}

int disk_in_apply(struct disk_in *in, const uint8_t *p, size_t len, char *err, size_t errlen)
{
	uint32_t d, n;
	size_t at = DISK_HDR_LEN;
	int rc = 0;

	if (len < DISK_HDR_LEN)
		return failf(err, errlen, -EINVAL, "a disk frame of %zu bytes", len);
	d = (uint32_t)le_get(p, 4);
	n = (uint32_t)le_get(p + 4, 4);
	if (d >= in->n || in->t[d].fd < 0)
		return failf(err, errlen, -EINVAL, "a disk frame for disk %u; the guest has %u",
			     d, in->n);
	for (uint32_t i = 0; !rc && i < n; i++) {
		size_t used = 0;

		rc = at >= len ? failf(err, errlen, -EINVAL, "a disk frame ends after %u of its "
				       "%u records", i, n) :
		     apply_rec(in, &in->t[d], p + at, len - at, &used, err, errlen);
		at += used;
	}
	if (!rc && at != len)
		rc = failf(err, errlen, -EINVAL, "a disk frame has %zu bytes after its records",
			   len - at);
	return rc;
}

int disk_in_finish(struct disk_in *in, char *err, size_t len)
{
	for (unsigned i = 0; i < in->n; i++) {
		struct disk_target *t = &in->t[i];

		if (t->fd >= 0 && fdatasync(t->fd))
			return failf(err, len, -errno, "disk '%s': fdatasync: %s", t->path,
				     strerror(errno));
		if (t->fd >= 0)
			close(t->fd);
		t->fd = -1;
	}
	return 0;
}

int disk_in_copy(const struct disk_in *in, unsigned i, const char *path)
{
	static uint8_t buf[1u << 16];
	const struct disk_target *t = &in->t[i];
	int fd = i < in->n && t->fd >= 0 ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	int rc = fd < 0 ? -errno : 0;

	for (uint64_t off = 0; !rc && off < t->size; off += sizeof(buf)) {
		uint64_t n = t->size - off < sizeof(buf) ? t->size - off : sizeof(buf);

		rc = file_pread_all(t->fd, buf, n, off);
		rc = rc ? rc : file_pwrite_all(fd, buf, n, off);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

void disk_in_abort(struct disk_in *in)
{
	for (unsigned i = 0; i < in->n && i < DISK_COPY_MAX; i++) {
		struct disk_target *t = &in->t[i];

		if (t->fd >= 0)
			close(t->fd);
		t->fd = -1;
		if (t->created && t->path[0])
			unlink(t->path);
		t->created = 0;
	}
}
