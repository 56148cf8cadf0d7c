#include "migration/pages.h"
#include "vmm/le.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/wire.h"

static bool page_size_ok(uint32_t page_size)
{
	return page_size >= 4096 && !(page_size & (page_size - 1));
}

int pages_is_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i = 0;

	/* 64 bytes a step, in words the compiler can vectorise. */
	for (; len - i >= 64; i += 64) {
		uint64_t w[8], acc = 0;

		memcpy(w, b + i, sizeof(w));
		for (unsigned k = 0; k < 8; k++)
			acc |= w[k];
		if (acc)
			return 0;
	}
	for (; i < len; i++)
		if (b[i])
			return 0;
	return 1;
}

/* ---- Building a batch ---- */

int pages_init(struct pages_batch *b, uint32_t page_size, size_t cap)
{
	memset(b, 0, sizeof(*b));
	if (!page_size_ok(page_size) || cap < PAGES_REC_LEN + (size_t)page_size ||
	    cap > WIRE_MAX_PAYLOAD)
		return -EINVAL;
	b->buf = malloc(cap);
	if (!b->buf)
		return -ENOMEM;
	b->cap = cap;
	b->page_size = page_size;
	return 0;
}

void pages_free(struct pages_batch *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

void pages_reset(struct pages_batch *b)
{
	b->len = 0;
	b->npages = b->nzero = 0;
	b->run = 0;
}

/* Extend the trailing zero run by the page at @off if it ends there. */
static bool run_extend(struct pages_batch *b, uint64_t off)
{
	uint8_t *rec;
	uint64_t start;
	uint32_t count;

	if (!b->run)
		return false;
	rec = b->buf + b->run - 1;
	start = le_get(rec, 8) & ~PAGES_KIND_MASK;
	count = (uint32_t)le_get(rec + PAGES_REC_LEN, 4);
	if (count == UINT32_MAX || off < start || (off - start) / b->page_size != count)
		return false;
	le_put(rec + PAGES_REC_LEN, count + 1, 4);
	return true;
}

static int add_zero(struct pages_batch *b, uint64_t off)
{
	if (run_extend(b, off))
		return 0;
	if (b->cap - b->len < PAGES_REC_LEN + PAGES_RUN_LEN)
		return -ENOSPC;
	le_put(b->buf + b->len, off | PAGES_KIND_ZERO, 8);
	le_put(b->buf + b->len + PAGES_REC_LEN, 1, 4);
	b->run = b->len + 1;
	b->len += PAGES_REC_LEN + PAGES_RUN_LEN;
	return 0;
}

static int add_data(struct pages_batch *b, uint64_t off, const void *data)
{
	if (b->cap - b->len < PAGES_REC_LEN + (size_t)b->page_size)
		return -ENOSPC;
	le_put(b->buf + b->len, off | PAGES_KIND_DATA, 8);
	memcpy(b->buf + b->len + PAGES_REC_LEN, data, b->page_size);
	b->run = 0;
	b->len += PAGES_REC_LEN + b->page_size;
	return 0;
}

int pages_add(struct pages_batch *b, uint64_t off, const void *data)
{
	bool zero;
	int rc;

	if (!b->buf || !data || off & (b->page_size - 1))
		return -EINVAL;
	zero = pages_is_zero(data, b->page_size);
	rc = zero ? add_zero(b, off) : add_data(b, off, data);
	if (rc)
		return rc;
	b->npages++;
	b->nzero += zero;
	return 0;
}

/* ---- Applying a payload ---- */

static __attribute__((format(printf, 3, 4)))
int apply_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

struct apply {
	const uint8_t *p;
	size_t len, pos;
	uint8_t *ram;
	uint64_t ram_size;
	uint32_t page_size;
	uint32_t rec;		/* index of the record being applied */
	uint64_t data, zero;	/* pages applied */
	pages_put_fn put;	/* NULL: into ram */
	void *ctx;
	char *err;
	size_t errlen;
};

#define REC_FMT		"pages record %u at byte %zu: "

static int apply_data(struct apply *a, uint64_t off, size_t at)
{
	if (a->len - a->pos < a->page_size)
		return apply_fail(a->err, a->errlen, REC_FMT "data page at 0x%llx truncated (%zu of %u bytes)",
				  a->rec, at, (unsigned long long)off, a->len - a->pos, a->page_size);
	if (a->ram_size < a->page_size || off > a->ram_size - a->page_size)
		return apply_fail(a->err, a->errlen, REC_FMT "data page at 0x%llx is outside RAM (0x%llx bytes)",
				  a->rec, at, (unsigned long long)off, (unsigned long long)a->ram_size);
	if (a->put) {
		int rc = a->put(a->ctx, off, a->p + a->pos, 1);

		if (rc) {
			apply_fail(a->err, a->errlen, REC_FMT "page at 0x%llx: %s", a->rec, at,
				   (unsigned long long)off, strerror(-rc));
			return rc;
		}
	} else {
		memcpy(a->ram + off, a->p + a->pos, a->page_size);
	}
	a->pos += a->page_size;
	a->data++;
	return 0;
}

static int apply_zero(struct apply *a, uint64_t off, size_t at)
{
	uint32_t count;

	if (a->len - a->pos < PAGES_RUN_LEN)
		return apply_fail(a->err, a->errlen, REC_FMT "zero run at 0x%llx truncated",
				  a->rec, at, (unsigned long long)off);
	count = (uint32_t)le_get(a->p + a->pos, 4);
	a->pos += PAGES_RUN_LEN;
	if (!count)
		return apply_fail(a->err, a->errlen, REC_FMT "empty zero run at 0x%llx",
				  a->rec, at, (unsigned long long)off);
	if (off > a->ram_size || count > (a->ram_size - off) / a->page_size)
		return apply_fail(a->err, a->errlen,
				  REC_FMT "zero run of %u pages at 0x%llx overflows RAM (0x%llx bytes)",
				  a->rec, at, count, (unsigned long long)off,
				  (unsigned long long)a->ram_size);
	if (a->put) {
		int rc = a->put(a->ctx, off, NULL, count);

		if (rc) {
			apply_fail(a->err, a->errlen, REC_FMT "zero run at 0x%llx: %s", a->rec, at,
				   (unsigned long long)off, strerror(-rc));
			return rc;
		}
		a->zero += count;
		return 0;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint8_t *page = a->ram + off + (uint64_t)i * a->page_size;

		if (!pages_is_zero(page, a->page_size))
			memset(page, 0, a->page_size);
	}
	a->zero += count;
	return 0;
}

static int apply_record(struct apply *a)
{
	size_t at = a->pos;
	uint64_t word, off;
	unsigned kind;

	if (a->len - a->pos < PAGES_REC_LEN)
		return apply_fail(a->err, a->errlen, REC_FMT "truncated (%zu bytes left)",
				  a->rec, at, a->len - a->pos);
	word = le_get(a->p + a->pos, 8);
	a->pos += PAGES_REC_LEN;
	kind = (unsigned)(word & PAGES_KIND_MASK);
	off = word & ~PAGES_KIND_MASK;
	if (off & (a->page_size - 1))
		return apply_fail(a->err, a->errlen, REC_FMT "offset 0x%llx is not a multiple of the page size %u",
				  a->rec, at, (unsigned long long)off, a->page_size);
	if (kind == PAGES_KIND_DATA)
		return apply_data(a, off, at);
	if (kind == PAGES_KIND_ZERO)
		return apply_zero(a, off, at);
	return apply_fail(a->err, a->errlen, REC_FMT "unknown kind %u", a->rec, at, kind);
}

static int apply_all(struct apply a, uint64_t *data_pages, uint64_t *zero_pages)
{
	uint32_t page_size = a.page_size;
	char *err = a.err;
	size_t errlen = a.errlen, len = a.len;
	const uint8_t *p = a.p;
	int rc = 0;

	if (!page_size_ok(page_size))
		rc = apply_fail(err, errlen, "invalid page size %u", page_size);
	else if (len && !p)
		rc = apply_fail(err, errlen, "no pages payload");
	for (; !rc && a.pos < len; a.rec++)
		rc = apply_record(&a);
	if (data_pages)
		*data_pages = a.data;
	if (zero_pages)
		*zero_pages = a.zero;
	return rc;
}

int pages_apply(const uint8_t *p, size_t len, uint8_t *ram, uint64_t ram_size,
		uint32_t page_size, uint64_t *data_pages, uint64_t *zero_pages,
		char *err, size_t errlen)
{
	return apply_all((struct apply){ .p = p, .len = len, .ram = ram, .ram_size = ram_size,
					 .page_size = page_size, .err = err, .errlen = errlen },
			 data_pages, zero_pages);
}

int pages_apply_with(const uint8_t *p, size_t len, uint64_t ram_size, uint32_t page_size,
		     pages_put_fn put, void *ctx, uint64_t *data_pages, uint64_t *zero_pages,
		     char *err, size_t errlen)
{
	return apply_all((struct apply){ .p = p, .len = len, .ram_size = ram_size,
					 .page_size = page_size, .put = put, .ctx = ctx,
					 .err = err, .errlen = errlen },
			 data_pages, zero_pages);
}
