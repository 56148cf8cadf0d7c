/* Where the kernel, initrd and device tree go in guest RAM (booting.rst):
 * the kernel at a 2 MiB aligned RAM base plus its text_offset, the DTB in
 * the top 2 MiB of RAM (8-byte aligned, at most 2 MiB, alone in its 2 MiB
 * block), the initrd right below the DTB. Pure arithmetic, unit-tested. */
#ifndef ITSY_ARM64_BOOT_H
#define ITSY_ARM64_BOOT_H

#include <stdint.h>

#define BOOT_DTB_MAX	(2ull << 20)

struct boot_layout {
	uint64_t kernel;	/* load address and entry point */
	uint64_t kernel_size;	/* bytes reserved from there (image_size) */
	uint64_t initrd;	/* 0 when initrd_size is 0 */
	uint64_t initrd_size;
	uint64_t dtb;
};

/* Fill @l for RAM [@ram_base, +@ram_size) (both 2 MiB aligned). Returns 0,
 * or -ENOSPC with *why set when the pieces do not fit without overlap. */
int boot_plan(uint64_t ram_base, uint64_t ram_size, uint64_t kernel_offset,
	      uint64_t kernel_size, uint64_t initrd_size,
	      struct boot_layout *l, const char **why);

#endif
