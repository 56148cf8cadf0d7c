#include "migration/stream.h"
#include "vmm/le.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAGIC_LEN	8
#define VERSION_OFF	8
#define ARCH_OFF	12
#define ARCH_LEN	8
#define FLAGS_OFF	20
#define HDR_CRC_OFF	24
#define HDR_LEN		28
#define SECT_HEAD	(4 + 8)		/* section version, payload length */
#define CRC_LEN		4
#define END_LEN		5		/* 0, then the section count */
#define KV_HEAD		(1 + 8 + 4)	/* type byte, key, value length */

/* zlib's crc32() takes a uInt length: feed it in chunks. */
static uint32_t crc(const uint8_t *p, size_t n)
{
	uLong c = crc32(0, Z_NULL, 0);

	while (n) {
		uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;

		c = crc32(c, p, chunk);
		p += chunk;
		n -= chunk;
	}
	return (uint32_t)c;
}

/* Printable ASCII without space: section names and the architecture tag. */
static bool graphic(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

/* ---- Writer ---- */

static __attribute__((format(printf, 3, 4)))
int wfail(struct stream_writer *w, int rc, const char *fmt, ...)
{
	va_list ap;

	if (w->error)
		return w->error;
	w->error = rc;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	return rc;
}

static int wgrow(struct stream_writer *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 256;
	uint8_t *buf;

	if (n <= w->cap - w->len)
		return 0;
	if (n > SIZE_MAX / 2 - w->len)
		return wfail(w, -ENOMEM, "state file too large");
	while (cap - w->len < n)
		cap *= 2;
	buf = realloc(w->buf, cap);
	if (!buf)
		return wfail(w, -ENOMEM, "out of memory for %zu bytes of state", cap);
	w->buf = buf;
	w->cap = cap;
	return 0;
}

static int wraw(struct stream_writer *w, const void *p, size_t n)
{
	int rc = w->error ? w->error : wgrow(w, n);

	if (rc || !n)
		return rc;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

static int wle(struct stream_writer *w, uint64_t v, unsigned n)
{
	uint8_t b[8];

	le_put(b, v, n);
	return wraw(w, b, n);
}

static void header_make(uint8_t *h)
{
	memset(h, 0, HDR_LEN);
	memcpy(h, STREAM_MAGIC, MAGIC_LEN);
	le_put(h + VERSION_OFF, STREAM_FORMAT_VERSION, 4);
	memcpy(h + ARCH_OFF, STREAM_ARCH, strlen(STREAM_ARCH));
	le_put(h + HDR_CRC_OFF, crc(h, HDR_CRC_OFF), 4);
}

int stream_writer_init(struct stream_writer *w)
{
	uint8_t h[HDR_LEN];

	memset(w, 0, sizeof(*w));
	header_make(h);
	return wraw(w, h, sizeof(h));
}

void stream_writer_free(struct stream_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

/* The writer is between sections and not finished. */
static int wbetween(struct stream_writer *w, const char *what)
{
	if (w->error)
		return w->error;
	if (w->done)
		return wfail(w, -EINVAL, "%s: the file is already finished", what);
	if (w->open)
		return wfail(w, -EINVAL, "%s: section '%.*s' is still open", what,
			     (int)w->buf[w->sect], (const char *)w->buf + w->sect + 1);
	return 0;
}

int stream_section_begin(struct stream_writer *w, const char *name, uint32_t version)
{
	size_t n = name ? strnlen(name, STREAM_NAME_MAX + 1) : 0;
	int rc = wbetween(w, "section begin");

	if (rc)
		return rc;
	if (!n || n > STREAM_NAME_MAX || !graphic((const uint8_t *)name, n))
		return wfail(w, -EINVAL, "invalid section name '%.*s': want 1..%d printable ASCII characters",
			     STREAM_NAME_MAX, name ? name : "", STREAM_NAME_MAX);
	w->sect = w->len;
	wle(w, n, 1);
	wraw(w, name, n);
	wle(w, version, 4);
	wle(w, 0, 8);		/* payload length, filled in at the end */
	w->payload = w->len;
	w->open = !w->error;
	return w->error;
}

int stream_section_end(struct stream_writer *w)
{
	if (w->error)
		return w->error;
	if (!w->open)
		return wfail(w, -EINVAL, "section end: no section is open");
	le_put(w->buf + w->payload - 8, w->len - w->payload, 8);
	wle(w, crc(w->buf + w->sect, w->len - w->sect), CRC_LEN);
	w->open = 0;
	w->nsect++;		/* counts only if there was no error, which is sticky */
	return w->error;
}

int stream_writer_finish(struct stream_writer *w)
{
	int rc = wbetween(w, "finish");

	if (rc)
		return rc;
	wle(w, 0, 1);
	wle(w, w->nsect, 4);
	w->done = !w->error;
	return w->error;
}

const void *stream_writer_data(const struct stream_writer *w)
{
	return w->buf;
}

size_t stream_writer_len(const struct stream_writer *w)
{
	return w->len;
}

int stream_put_kv(struct stream_writer *w, uint64_t key, const void *val, uint32_t len)
{
	if (w->error)
		return w->error;
	if (!w->open)
		return wfail(w, -EINVAL, "keyed entry %#" PRIx64 " written outside a section", key);
	if (len && !val)
		return wfail(w, -EINVAL, "keyed entry %#" PRIx64 ": %" PRIu32 " bytes at NULL",
			     key, len);
	wle(w, STREAM_KV, 1);
	wle(w, key, 8);
	wle(w, len, 4);
	return wraw(w, val, len);
}

/* ---- Reader: the file ---- */

static __attribute__((format(printf, 3, 4)))
int rfail(struct stream_reader *r, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* Magic, then the format version: the part every version keeps. */
static int header_ident(struct stream_reader *r)
{
	uint32_t v;

	if (memcmp(r->buf, STREAM_MAGIC, r->len < MAGIC_LEN ? r->len : MAGIC_LEN))
		return rfail(r, -EBADMSG, "not an itsy snapshot state file (bad magic)");
	if (r->len < VERSION_OFF + 4)
		return rfail(r, -EBADMSG, "truncated header (needs %d bytes, %zu left)",
			     HDR_LEN, r->len);
	v = (uint32_t)le_get(r->buf + VERSION_OFF, 4);
	if (v > STREAM_FORMAT_VERSION)
		return rfail(r, -ENOTSUP, "snapshot format version %" PRIu32
			     " is newer than this itsy supports (version %u)",
			     v, STREAM_FORMAT_VERSION);
	if (!v)
		return rfail(r, -EBADMSG, "invalid snapshot format version 0");
	return 0;
}

static int header_arch(struct stream_reader *r)
{
	const uint8_t *a = r->buf + ARCH_OFF;
	size_t n = strnlen((const char *)a, ARCH_LEN);
	char arch[ARCH_LEN + 1] = "";

	if (!n || !graphic(a, n) || memcmp(a + n, "\0\0\0\0\0\0\0\0", ARCH_LEN - n))
		return rfail(r, -EBADMSG, "bad header: invalid architecture tag");
	memcpy(arch, a, n);
	if (strcmp(arch, STREAM_ARCH))
		return rfail(r, -ENOEXEC, "wrong architecture: file is %s, this itsy is %s",
			     arch, STREAM_ARCH);
	return 0;
}

static int header_check(struct stream_reader *r)
{
	uint32_t flags;
	int rc = header_ident(r);

	if (rc)
		return rc;
	if (r->len < HDR_LEN)
		return rfail(r, -EBADMSG, "truncated header (needs %d bytes, %zu left)",
			     HDR_LEN, r->len);
	if (crc(r->buf, HDR_CRC_OFF) != le_get(r->buf + HDR_CRC_OFF, 4))
		return rfail(r, -EBADMSG, "bad header: CRC mismatch");
	rc = header_arch(r);
	if (rc)
		return rc;
	flags = (uint32_t)le_get(r->buf + FLAGS_OFF, 4);
	if (flags)
		return rfail(r, -EBADMSG, "bad header: unknown flags %#" PRIx32, flags);
	return 0;
}

static void payload_init(struct stream_payload *p, const char *section,
			 const uint8_t *buf, size_t len)
{
	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->len = len;
	snprintf(p->section, sizeof(p->section), "%s", section);
}

/* The name of section @idx at @pos into @s->name; its length on success. */
static int section_name(struct stream_reader *r, size_t pos, uint32_t idx,
			struct stream_section *s)
{
	size_t left = r->len - pos - 1;
	unsigned n = r->buf[pos];

	if (n > STREAM_NAME_MAX)
		return rfail(r, -EBADMSG, "section #%" PRIu32 ": name length %u exceeds %d",
			     idx, n, STREAM_NAME_MAX);
	if (left < n)
		return rfail(r, -EBADMSG, "section #%" PRIu32
			     ": truncated name (needs %u bytes, %zu left)", idx, n, left);
	if (!graphic(r->buf + pos + 1, n))
		return rfail(r, -EBADMSG, "section #%" PRIu32 ": name is not printable ASCII", idx);
	memcpy(s->name, r->buf + pos + 1, n);
	s->name[n] = '\0';
	return (int)n;
}

/* Version, length, payload and CRC of section @s whose name ends at @pos. */
static int section_body(struct stream_reader *r, size_t start, size_t pos,
			struct stream_section *s)
{
	size_t left = r->len - pos;
	uint64_t plen;

	if (left < SECT_HEAD)
		return rfail(r, -EBADMSG, "section '%s': truncated (needs %d bytes, %zu left)",
			     s->name, SECT_HEAD, left);
	s->version = (uint32_t)le_get(r->buf + pos, 4);
	plen = le_get(r->buf + pos + 4, 8);
	left -= SECT_HEAD;
	pos += SECT_HEAD;
	if (left < CRC_LEN || plen > left - CRC_LEN)
		return rfail(r, -EBADMSG, "section '%s': truncated (needs %" PRIu64
			     " bytes, %zu left)", s->name,
			     plen > UINT64_MAX - CRC_LEN ? UINT64_MAX : plen + CRC_LEN, left);
	if (crc(r->buf + start, pos + plen - start) != le_get(r->buf + pos + plen, CRC_LEN))
		return rfail(r, -EBADMSG, "section '%s': CRC mismatch", s->name);
	payload_init(&s->payload, s->name, r->buf + pos, plen);
	return 0;
}

/* Section @idx at *@pos into @s, moving *@pos past it: 1, or 0 at the end
 * marker (*@pos stays on it), or -errno. */
static int section_parse(struct stream_reader *r, size_t *pos, uint32_t idx,
			 struct stream_section *s)
{
	int n, rc;

	memset(s, 0, sizeof(*s));
	if (*pos >= r->len)
		return rfail(r, -EBADMSG, "truncated file: no end marker after %" PRIu32
			     " sections", idx);
	if (!r->buf[*pos])
		return 0;
	n = section_name(r, *pos, idx, s);
	if (n < 0)
		return n;
	rc = section_body(r, *pos, *pos + 1 + n, s);
	if (rc)
		return rc;
	*pos += 1 + n + SECT_HEAD + s->payload.len + CRC_LEN;
	return 1;
}

static int end_check(struct stream_reader *r, size_t pos, uint32_t nsect)
{
	size_t left = r->len - pos;
	uint32_t n;

	if (left < END_LEN)
		return rfail(r, -EBADMSG, "truncated file: end marker cut short "
			     "(needs %d bytes, %zu left)", END_LEN, left);
	n = (uint32_t)le_get(r->buf + pos + 1, 4);
	if (n != nsect)
		return rfail(r, -EBADMSG, "bad end marker: it counts %" PRIu32
			     " sections, the file has %" PRIu32, n, nsect);
	if (left > END_LEN)
		return rfail(r, -EBADMSG, "%zu bytes of trailing data after the end marker",
			     left - END_LEN);
	return 0;
}

/* Walk every section once so that a damaged file is refused up front. */
static int sections_check(struct stream_reader *r)
{
	struct stream_section s;
	size_t pos = HDR_LEN;
	uint32_t n = 0;
	int rc;

	while ((rc = section_parse(r, &pos, n, &s)) > 0)
		if (++n == UINT32_MAX)
			return rfail(r, -EBADMSG, "too many sections");
	return rc ? rc : end_check(r, pos, n);
}

int stream_reader_open(struct stream_reader *r, const void *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf ? buf : (const void *)"";
	r->len = buf ? len : 0;
	r->error = header_check(r);
	if (!r->error)
		r->error = sections_check(r);
	r->pos = HDR_LEN;
	return r->error;
}

int stream_next_section(struct stream_reader *r, struct stream_section *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	if (r->error)
		return r->error;
	rc = section_parse(r, &r->pos, r->index, s);
	if (rc > 0)
		r->index++;
	return rc;
}

const char *stream_reader_err(const struct stream_reader *r)
{
	return r->err;
}

/* ---- Reader: a payload ---- */

/* Record @p's first error: "section 'S': field N", then @fmt. */
static __attribute__((format(printf, 3, 4)))
int pfail(struct stream_payload *p, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->error)
		return p->error;
	p->error = rc;
	n = snprintf(p->err, sizeof(p->err), "section '%s': field %zu", p->section, p->field);
	if (n < 0 || (size_t)n >= sizeof(p->err))
		return rc;
	va_start(ap, fmt);
	vsnprintf(p->err + n, sizeof(p->err) - n, fmt, ap);
	va_end(ap);
	return rc;
}

/* The value length of the keyed entry at @p's position, checked to fit:
 * 1, or 0 at the end of the payload, or -EBADMSG. */
static int kv_check(struct stream_payload *p, uint32_t *len)
{
	size_t left = p->len - p->pos;
	const uint8_t *q;

	if (p->error)
		return p->error;
	if (!left)
		return 0;
	q = p->buf + p->pos;
	if (q[0] != STREAM_KV)
		return pfail(p, -EBADMSG, " is of type 0x%02x; only keyed entries are expected", q[0]);
	if (left < KV_HEAD)
		return pfail(p, -EBADMSG, " (offset %zu): keyed entry truncated (needs %d bytes, %zu left)",
			     p->pos, KV_HEAD, left);
	*len = (uint32_t)le_get(q + 9, 4);
	if (left - KV_HEAD < *len)
		return pfail(p, -EBADMSG, " (offset %zu): keyed entry truncated (needs %" PRIu64
			     " bytes, %zu left)", p->pos, (uint64_t)KV_HEAD + *len, left);
	return 1;
}

int stream_get_kv(struct stream_payload *p, uint64_t *key, const void **val, uint32_t *len)
{
	uint32_t n = 0;
	int rc = kv_check(p, &n);
	const uint8_t *q;

	*key = 0;
	*val = NULL;
	*len = 0;
	if (rc <= 0)
		return rc;
	q = p->buf + p->pos;
	*key = le_get(q + 1, 8);
	*val = q + KV_HEAD;
	*len = n;
	p->pos += KV_HEAD + n;
	p->field++;
	return 1;
}

int stream_get_end(struct stream_payload *p)
{
	if (p->error)
		return p->error;
	if (p->pos < p->len)
		return pfail(p, -EBADMSG, " (offset %zu): %zu unread bytes at the end of the payload",
			     p->pos, p->len - p->pos);
	return 0;
}

const char *stream_payload_err(const struct stream_payload *p)
{
	return p->err;
}
