/* RAM pages in a WIRE_PAGES payload (migration/pages.c). Bad payloads are
 * built byte by byte from the layout in migration/pages.h. */
#include "migration/pages.h"
#include "vmm/le.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "migration/wire.h"
#include "tests/unit/unit.h"

#define PS		4096u
#define RAM_PAGES	16u
#define RAM_SIZE	((uint64_t)RAM_PAGES * PS)

static uint8_t src[RAM_SIZE], dst[RAM_SIZE];
static char err[256];
static uint64_t ndata, nzero;

/* Page @i of @ram filled with a pattern of its own, or zero. */
static void page_fill(uint8_t *ram, unsigned i, int zero)
{
	for (unsigned k = 0; k < PS; k++)
		ram[i * PS + k] = zero ? 0 : (uint8_t)(i * 31 + k * 7 + 1);
}

static int apply(const uint8_t *p, size_t len)
{
	err[0] = '\0';
	return pages_apply(p, len, dst, RAM_SIZE, PS, &ndata, &nzero, err, sizeof(err));
}

/* apply() fails with -EINVAL and a message holding @what. */
static void apply_bad(const uint8_t *p, size_t len, const char *what)
{
	ck_assert_int_eq(apply(p, len), -EINVAL);
	ck_assert_msg(strstr(err, what), "message '%s' lacks '%s'", err, what);
	ck_assert_msg(strstr(err, "pages record") || strstr(err, "page size"),
		      "message '%s' names no record", err);
}

START_TEST(roundtrip_mixed)
{
	struct pages_batch b;
	/* data, zero, zero, data, zero x3, data..., last two zero */
	static const int zero[RAM_PAGES] = { 0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1 };
	unsigned nz = 0;

	for (unsigned i = 0; i < RAM_PAGES; i++) {
		page_fill(src, i, zero[i]);
		nz += (unsigned)zero[i];
	}
	memset(dst, 0xee, sizeof(dst));
	ck_assert_int_eq(pages_init(&b, PS, 1u << 20), 0);
	for (unsigned i = 0; i < RAM_PAGES; i++)
		ck_assert_int_eq(pages_add(&b, (uint64_t)i * PS, src + i * PS), 0);
	ck_assert_uint_eq(b.npages, RAM_PAGES);
	ck_assert_uint_eq(b.nzero, nz);
	/* 8 data pages and 4 zero runs */
	ck_assert_uint_eq(b.len, 8 * (8 + PS) + 4 * 12);
	ck_assert_int_eq(apply(b.buf, b.len), 0);
	ck_assert_uint_eq(ndata, RAM_PAGES - nz);
	ck_assert_uint_eq(nzero, nz);
	ck_assert_mem_eq(src, dst, RAM_SIZE);
	pages_free(&b);
}
END_TEST

START_TEST(zero_runs_merge)
{
	struct pages_batch b;
	uint8_t *rec;

	memset(src, 0, sizeof(src));
	ck_assert_int_eq(pages_init(&b, PS, 8 + PS), 0);
	for (unsigned i = 2; i < 12; i++)
		ck_assert_int_eq(pages_add(&b, (uint64_t)i * PS, src), 0);
	ck_assert_uint_eq(b.len, 12);
	ck_assert_uint_eq(b.npages, 10);
	ck_assert_uint_eq(b.nzero, 10);
	rec = b.buf;
	ck_assert_uint_eq(le_get(rec, 8), 2 * PS + 1);
	ck_assert_uint_eq(le_get(rec + 8, 4), 10);
	/* not contiguous: a new run; going backwards: a new run */
	ck_assert_int_eq(pages_add(&b, 14 * PS, src), 0);
	ck_assert_int_eq(pages_add(&b, 0, src), 0);
	ck_assert_uint_eq(b.len, 36);
	ck_assert_uint_eq(le_get(b.buf + 12, 8), 14 * PS + 1);
	ck_assert_uint_eq(le_get(b.buf + 20, 4), 1);
	ck_assert_uint_eq(le_get(b.buf + 24, 8), 1);
	/* all of it lands as zero in a dirty RAM */
	memset(dst, 0x55, sizeof(dst));
	ck_assert_int_eq(apply(b.buf, b.len), 0);
	ck_assert_uint_eq(nzero, 12);
	ck_assert_uint_eq(ndata, 0);
	for (unsigned i = 0; i < RAM_PAGES; i++)
		ck_assert_int_eq(pages_is_zero(dst + i * PS, PS), i != 1 && i != 12 && i != 13 && i != 15);
	pages_free(&b);
}
END_TEST

START_TEST(data_breaks_run)
{
	struct pages_batch b;

	page_fill(src, 0, 1);
	page_fill(src, 1, 0);
	ck_assert_int_eq(pages_init(&b, PS, 64 * 1024), 0);
	ck_assert_int_eq(pages_add(&b, 0, src), 0);
	ck_assert_int_eq(pages_add(&b, PS, src + PS), 0);
	ck_assert_int_eq(pages_add(&b, 2 * PS, src), 0);	/* zero, after data */
	ck_assert_uint_eq(b.len, 12 + 8 + PS + 12);
	ck_assert_uint_eq(le_get(b.buf + 12, 8), PS);		/* kind 0 */
	ck_assert_uint_eq(le_get(b.buf + 12 + 8 + PS, 8), 2 * PS + 1);
	pages_free(&b);
}
END_TEST

START_TEST(nospc_and_reset)
{
	struct pages_batch b;
	size_t cap = 2 * (8 + PS) + 12;

	page_fill(src, 0, 0);
	memset(src + PS, 0, PS);
	ck_assert_int_eq(pages_init(&b, PS, cap), 0);
	ck_assert_int_eq(pages_add(&b, 0, src), 0);
	ck_assert_int_eq(pages_add(&b, PS, src), 0);
	ck_assert_int_eq(pages_add(&b, 2 * PS, src + PS), 0);		/* run */
	ck_assert_int_eq(pages_add(&b, 3 * PS, src + PS), 0);		/* merged: no room needed */
	ck_assert_uint_eq(b.len, cap);
	ck_assert_int_eq(pages_add(&b, 4 * PS, src), -ENOSPC);
	ck_assert_int_eq(pages_add(&b, 9 * PS, src + PS), -ENOSPC);	/* a new run */
	ck_assert_uint_eq(b.npages, 4);
	ck_assert_uint_eq(b.nzero, 2);
	ck_assert_uint_eq(b.len, cap);
	pages_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.npages, 0);
	ck_assert_uint_eq(b.nzero, 0);
	ck_assert_int_eq(pages_add(&b, 5 * PS, src + PS), 0);
	ck_assert_int_eq(pages_add(&b, 4 * PS, src), 0);
	ck_assert_int_eq(pages_add(&b, 6 * PS, src + PS), 0);	/* data came between: no merge */
	ck_assert_uint_eq(b.len, 12 + 8 + PS + 12);
	pages_free(&b);
}
END_TEST

START_TEST(bad_args)
{
	struct pages_batch b;

	ck_assert_int_eq(pages_init(&b, 2048, 1u << 20), -EINVAL);
	ck_assert_int_eq(pages_init(&b, 12288, 1u << 20), -EINVAL);
	ck_assert_int_eq(pages_init(&b, PS, PS), -EINVAL);
	ck_assert_int_eq(pages_init(&b, PS, WIRE_MAX_PAYLOAD + 1), -EINVAL);
	pages_free(&b);
	ck_assert_int_eq(pages_init(&b, 16384, 8 + 16384), 0);
	ck_assert_int_eq(pages_add(&b, 4096, src), -EINVAL);	/* not 16K aligned */
	ck_assert_int_eq(pages_add(&b, 0, NULL), -EINVAL);
	ck_assert_uint_eq(b.len, 0);
	pages_free(&b);
	pages_free(&b);
}
END_TEST

START_TEST(apply_empty)
{
	ck_assert_int_eq(apply(NULL, 0), 0);
	ck_assert_uint_eq(ndata, 0);
	ck_assert_uint_eq(nzero, 0);
	ck_assert_int_eq(pages_apply(NULL, 0, dst, RAM_SIZE, 1000, NULL, NULL, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "page size"));
}
END_TEST

static uint8_t rec[2 * (8 + PS)];

/* A data page record for offset word @word at @p. */
static size_t rec_data(uint8_t *p, uint64_t word)
{
	le_put(p, word, 8);
	memset(p + 8, 0xab, PS);
	return 8 + PS;
}

static size_t rec_zero(uint8_t *p, uint64_t word, uint32_t count)
{
	le_put(p, word, 8);
	le_put(p + 8, count, 4);
	return 12;
}

START_TEST(apply_out_of_range)
{
	size_t n = rec_data(rec, RAM_SIZE);

	apply_bad(rec, n, "outside RAM");
	n = rec_data(rec, RAM_SIZE - PS);
	ck_assert_int_eq(apply(rec, n), 0);
	ck_assert_uint_eq(ndata, 1);
	n = rec_data(rec, 0xfffffffffffff000ull);
	apply_bad(rec, n, "outside RAM");
	ck_assert_int_eq(pages_apply(rec, n, dst, PS / 2, PS, NULL, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "outside RAM"));
}
END_TEST

START_TEST(apply_unaligned)
{
	size_t n = rec_data(rec, 0x1800);	/* low bits = kind 0x800 */

	apply_bad(rec, n, "unknown kind");
	n = rec_data(rec, PS);			/* 4K aligned, not 16K */
	ck_assert_int_eq(pages_apply(rec, n, dst, RAM_SIZE, 16384, NULL, NULL, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a multiple of the page size"));
	ck_assert_ptr_nonnull(strstr(err, "pages record 0 at byte 0"));
}
END_TEST

START_TEST(apply_truncated)
{
	size_t n = rec_data(rec, 0);

	n += rec_data(rec + n, PS);
	for (size_t cut = 1; cut < n; cut++) {
		int rc = apply(rec, cut);

		if (cut == 8 + PS) {
			ck_assert_int_eq(rc, 0);
			continue;
		}
		ck_assert_int_eq(rc, -EINVAL);
		ck_assert_msg(strstr(err, "truncated"), "cut %zu: %s", cut, err);
		ck_assert_msg(strstr(err, cut < 8 + PS ? "pages record 0" : "pages record 1"),
			      "cut %zu: %s", cut, err);
	}
	n = rec_zero(rec, PS + 1, 3);
	for (size_t cut = 1; cut < n; cut++)
		apply_bad(rec, cut, "truncated");
}
END_TEST

START_TEST(apply_bad_kind)
{
	for (unsigned kind = 2; kind <= 0xfff; kind += 0x101) {
		size_t n = rec_zero(rec, PS | kind, 1);

		apply_bad(rec, n, "unknown kind");
	}
}
END_TEST

START_TEST(apply_bad_runs)
{
	size_t n = rec_zero(rec, PS + 1, 0);

	apply_bad(rec, n, "empty zero run");
	n = rec_zero(rec, PS + 1, RAM_PAGES);
	apply_bad(rec, n, "overflows RAM");
	n = rec_zero(rec, RAM_SIZE + 1, 1);
	apply_bad(rec, n, "overflows RAM");
	n = rec_zero(rec, 0xfffffffffffff001ull, UINT32_MAX);
	apply_bad(rec, n, "overflows RAM");
	n = rec_zero(rec, 1, RAM_PAGES);
	memset(dst, 1, sizeof(dst));
	ck_assert_int_eq(apply(rec, n), 0);
	ck_assert_uint_eq(nzero, RAM_PAGES);
	ck_assert_int_eq(pages_is_zero(dst, RAM_SIZE), 1);
}
END_TEST

START_TEST(apply_error_counts)
{
	/* the first record is applied, the second is bad */
	size_t n = rec_zero(rec, 1, 2);

	n += rec_data(rec + n, RAM_SIZE);
	memset(dst, 1, sizeof(dst));
	apply_bad(rec, n, "pages record 1 at byte 12");
	ck_assert_uint_eq(nzero, 2);
	ck_assert_uint_eq(ndata, 0);
}
END_TEST

START_TEST(is_zero)
{
	uint8_t b[300] = { 0 };

	ck_assert_int_eq(pages_is_zero(b, 0), 1);
	ck_assert_int_eq(pages_is_zero(b, sizeof(b)), 1);
	for (size_t i = 0; i < sizeof(b); i += 7) {
		b[i] = 0x80;
		ck_assert_int_eq(pages_is_zero(b, sizeof(b)), 0);
		ck_assert_int_eq(pages_is_zero(b + 1, i), i == 0);
		b[i] = 0;
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pages");

	UNIT_TCASE(s, "batch", roundtrip_mixed, zero_runs_merge, data_breaks_run,
		   nospc_and_reset, bad_args);
	UNIT_TCASE(s, "apply", apply_empty, apply_out_of_range, apply_unaligned,
		   apply_truncated, apply_bad_kind, apply_bad_runs, apply_error_counts, is_zero);
	return unit_run(s);
}
