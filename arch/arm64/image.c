#include "arch/arm64/image.h"

#include <errno.h>
#include <string.h>

#define IMAGE_MAGIC		0x644d5241u	/* "ARM\x64", little-endian at offset 56 */
#define FLAG_BE			(1ull << 0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le64((const uint8_t[8]){ p[0], p[1], p[2], p[3] });
}

int image_is_gzip(const uint8_t *buf, size_t len)
{
	return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

int image_parse(const uint8_t *buf, size_t len, uint64_t file_size,
		struct arm64_image *img, const char **why)
{
	if (len < IMAGE_HEADER_SIZE) {
		*why = "file is smaller than the 64-byte arm64 Image header";
		return -ENOEXEC;
	}
	if (le32(buf + 56) != IMAGE_MAGIC) {
		*why = "no arm64 Image magic (\"ARM\\x64\" at offset 56): not an arm64 Linux Image"
		       " (use --kernel-format raw for a headerless payload)";
		return -ENOEXEC;
	}
	img->text_offset = le64(buf + 8);
	img->image_size = le64(buf + 16);
	img->flags = le64(buf + 24);
	if (img->flags & FLAG_BE) {
		*why = "big-endian kernel: only little-endian guests are supported";
		return -EINVAL;
	}
	if (img->image_size == 0) {
		/* Pre-3.17 kernels: booting.rst says assume text_offset 0x80000. */
		img->text_offset = IMAGE_DEFAULT_TEXT;
		img->image_size = file_size;
	}
	if (img->text_offset >= (2ull << 20) || img->text_offset % 4096) {
		*why = "text_offset in the Image header is not a 4 KiB aligned offset below 2 MiB";
		return -EINVAL;
	}
	if (img->image_size < file_size) {
		*why = "image_size in the Image header is smaller than the kernel file";
		return -EINVAL;
	}
	return 0;
}
