/* arm64 Image header parsing (arch/arm64/image.c) and gzip'ed Images
 * (vmm/loader.c: loader_gunzip). */
#include "arch/arm64/image.h"
#include "vmm/loader.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

#include "tests/unit/unit.h"

#define MiB(x)		((uint64_t)(x) << 20)
#define FILE_SIZE	MiB(16)

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A 64-byte header with the magic and the given fields. */
static void make_header(uint8_t *h, uint64_t text_offset, uint64_t image_size,
			uint64_t flags)
{
	static const uint8_t magic[4] = { 'A', 'R', 'M', 0x64 };

	memset(h, 0, IMAGE_HEADER_SIZE);
	h[0] = 0x4d;	/* "MZ", as real kernels have */
	h[1] = 0x5a;
	put_le64(h + 8, text_offset);
	put_le64(h + 16, image_size);
	put_le64(h + 24, flags);
	memcpy(h + 56, magic, sizeof(magic));
}

/* image_parse() of a full header; on failure *why must say something. */
static int parse(const uint8_t *h, size_t len, uint64_t file_size, struct arm64_image *img)
{
	const char *why = NULL;
	int rc = image_parse(h, len, file_size, img, &why);

	if (rc)
		ck_assert(why != NULL && why[0] != '\0');
	return rc;
}

START_TEST(valid_header)
{
	uint8_t h[IMAGE_HEADER_SIZE];
	struct arm64_image img;

	make_header(h, 0x1000, MiB(20), 0xa);
	ck_assert_int_eq(parse(h, sizeof(h), FILE_SIZE, &img), 0);
	ck_assert_uint_eq(img.text_offset, 0x1000);
	ck_assert_uint_eq(img.image_size, MiB(20));
	ck_assert_uint_eq(img.flags, 0xa);
}
END_TEST

START_TEST(truncated_header)
{
	uint8_t h[IMAGE_HEADER_SIZE];
	struct arm64_image img;

	make_header(h, 0, MiB(20), 0);
	ck_assert_int_eq(parse(h, IMAGE_HEADER_SIZE - 1, FILE_SIZE, &img), -ENOEXEC);
	ck_assert_int_eq(parse(h, 0, FILE_SIZE, &img), -ENOEXEC);
}
END_TEST

START_TEST(wrong_magic)
{
	static const uint8_t swapped[4] = { 0x64, 'M', 'R', 'A' };
	uint8_t h[IMAGE_HEADER_SIZE];
	struct arm64_image img;

	make_header(h, 0, MiB(20), 0);
	h[59] = 0x65;
	ck_assert_int_eq(parse(h, sizeof(h), FILE_SIZE, &img), -ENOEXEC);
	memcpy(h + 56, swapped, sizeof(swapped));	/* big-endian magic */
	ck_assert_int_eq(parse(h, sizeof(h), FILE_SIZE, &img), -ENOEXEC);
}
END_TEST

START_TEST(big_endian_rejected)
{
	uint8_t h[IMAGE_HEADER_SIZE];
	struct arm64_image img;
	const char *why = NULL;

	make_header(h, 0, MiB(20), 0xb);
	ck_assert_int_eq(image_parse(h, sizeof(h), FILE_SIZE, &img, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "big-endian"));
}
END_TEST

START_TEST(zero_image_size_is_old_kernel)
{
	uint8_t h[IMAGE_HEADER_SIZE];
	struct arm64_image img;

	make_header(h, 0x1000, 0, 0);	/* text_offset is not trusted then */
	ck_assert_int_eq(parse(h, sizeof(h), FILE_SIZE, &img), 0);
	ck_assert_uint_eq(img.text_offset, 0x80000);
	ck_assert_uint_eq(img.image_size, FILE_SIZE);
}
END_TEST

START_TEST(image_size_vs_file_size)
{
	uint8_t h[IMAGE_HEADER_SIZE];
	struct arm64_image img;

	make_header(h, 0, FILE_SIZE - 1, 0);
	ck_assert_int_eq(parse(h, sizeof(h), FILE_SIZE, &img), -EINVAL);
	make_header(h, 0, FILE_SIZE, 0);
	ck_assert_int_eq(parse(h, sizeof(h), FILE_SIZE, &img), 0);
}
END_TEST

START_TEST(text_offset_alignment)
{
	uint8_t h[IMAGE_HEADER_SIZE];
	struct arm64_image img;

	make_header(h, 0x80800, MiB(20), 0);
	ck_assert_int_eq(parse(h, sizeof(h), FILE_SIZE, &img), -EINVAL);
	make_header(h, MiB(2), MiB(20), 0);
	ck_assert_int_eq(parse(h, sizeof(h), FILE_SIZE, &img), -EINVAL);
	make_header(h, MiB(2) - 4096, MiB(20), 0);
	ck_assert_int_eq(parse(h, sizeof(h), FILE_SIZE, &img), 0);
}
END_TEST

/* gzip'ed Images: a 256 KiB Image (header + pattern) and its gzip stream. */
#define RAW_SIZE	(256u << 10)

static uint8_t *raw, *gz;
static size_t gz_len;

static void gz_setup(void)
{
	z_stream z = { 0 };

	raw = unit_alloc(RAW_SIZE);
	for (size_t i = 0; i < RAW_SIZE; i++)
		raw[i] = (uint8_t)(i * 7 + i / 251);
	make_header(raw, 0, MiB(2), 0xa);

	gz_len = compressBound(RAW_SIZE) + 64;
	gz = unit_alloc(gz_len);
	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = raw;
	z.avail_in = RAW_SIZE;
	z.next_out = gz;
	z.avail_out = (uInt)gz_len;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	gz_len = z.total_out;
	deflateEnd(&z);
}

static void gz_teardown(void)
{
	free(raw);
	free(gz);
}

START_TEST(gzip_magic)
{
	ck_assert(image_is_gzip(gz, gz_len));
	ck_assert(!image_is_gzip(gz, 1));
	ck_assert(!image_is_gzip(raw, RAW_SIZE));
}
END_TEST

START_TEST(gzip_header_prefix_parses)
{
	uint8_t h[IMAGE_HEADER_SIZE];
	struct arm64_image img;

	ck_assert_int_eq(loader_gunzip(gz, gz_len, h, sizeof(h), 1), IMAGE_HEADER_SIZE);
	ck_assert_mem_eq(h, raw, IMAGE_HEADER_SIZE);
	ck_assert_int_eq(parse(h, sizeof(h), RAW_SIZE, &img), 0);
	ck_assert_uint_eq(img.image_size, MiB(2));
}
END_TEST

START_TEST(gzip_full_inflate_exact_fit)
{
	uint8_t *out = unit_alloc(RAW_SIZE);

	ck_assert_int_eq(loader_gunzip(gz, gz_len, out, RAW_SIZE, 0), RAW_SIZE);
	ck_assert_mem_eq(out, raw, RAW_SIZE);
	free(out);
}
END_TEST

START_TEST(gzip_too_big_for_buffer)
{
	uint8_t *out = unit_alloc(RAW_SIZE);

	ck_assert_int_eq(loader_gunzip(gz, gz_len, out, RAW_SIZE - 1, 0), -EFBIG);
	free(out);
}
END_TEST

START_TEST(gzip_corrupt)
{
	uint8_t *out = unit_alloc(2 * RAW_SIZE);

	gz[gz_len - 8] ^= 0xff;		/* CRC-32 of the trailer */
	ck_assert_int_eq(loader_gunzip(gz, gz_len, out, 2 * RAW_SIZE, 0), -EINVAL);
	gz[gz_len - 8] ^= 0xff;
	gz[0] = 0x1e;			/* gzip magic */
	ck_assert_int_eq(loader_gunzip(gz, gz_len, out, 2 * RAW_SIZE, 0), -EINVAL);
	free(out);
}
END_TEST

START_TEST(gzip_truncated)
{
	uint8_t *out = unit_alloc(2 * RAW_SIZE);

	ck_assert_int_eq(loader_gunzip(gz, gz_len / 2, out, 2 * RAW_SIZE, 0), -EINVAL);
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("image");
	TCase *tc;

	UNIT_TCASE(s, "header", valid_header, truncated_header, wrong_magic,
		   big_endian_rejected, zero_image_size_is_old_kernel,
		   image_size_vs_file_size, text_offset_alignment);
	tc = UNIT_TCASE(s, "gzip", gzip_magic, gzip_header_prefix_parses,
			gzip_full_inflate_exact_fit, gzip_too_big_for_buffer,
			gzip_corrupt, gzip_truncated);
	tcase_add_checked_fixture(tc, gz_setup, gz_teardown);
	return unit_run(s);
}
