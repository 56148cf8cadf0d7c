/* The arm64 Linux boot image header (Documentation/arch/arm64/booting.rst).
 * Parsing only: no I/O, no KVM, so it is unit-tested natively. */
#ifndef ITSY_ARM64_IMAGE_H
#define ITSY_ARM64_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_HEADER_SIZE	64
#define IMAGE_DEFAULT_TEXT	0x80000ull	/* text_offset of pre-3.17 kernels, and of raw payloads */

struct arm64_image {
	uint64_t text_offset;	/* load address = 2 MiB aligned base + text_offset */
	uint64_t image_size;	/* bytes the kernel occupies from there, bss included */
	uint64_t flags;
};

/* Parse the first @len bytes of a kernel file. Returns 0, or -EINVAL /
 * -ENOEXEC with *why set to a sentence naming what is wrong. @file_size is
 * the size of the uncompressed image, used when the header gives none. */
int image_parse(const uint8_t *buf, size_t len, uint64_t file_size,
		struct arm64_image *img, const char **why);

/* True if @buf starts with the gzip magic. */
int image_is_gzip(const uint8_t *buf, size_t len);

#endif
