#include "arch/arm64/boot.h"

#include <errno.h>

int boot_plan(uint64_t ram_base, uint64_t ram_size, uint64_t kernel_offset,
	      uint64_t kernel_size, uint64_t initrd_size,
	      struct boot_layout *l, const char **why)
{
	uint64_t floor;

	*why = "kernel, initrd and device tree do not fit in guest RAM together; raise --mem";
	if (ram_size < BOOT_DTB_MAX || kernel_offset > ram_size)
		return -ENOSPC;
	l->kernel = ram_base + kernel_offset;
	l->kernel_size = kernel_size;
	l->dtb = ram_base + ram_size - BOOT_DTB_MAX;
	l->initrd_size = initrd_size;
	l->initrd = 0;
	if (initrd_size > l->dtb - ram_base)
		return -ENOSPC;
	if (initrd_size)
		l->initrd = (l->dtb - initrd_size) & ~4095ull;
	floor = initrd_size ? l->initrd : l->dtb;
	if (l->kernel > floor || kernel_size > floor - l->kernel)
		return -ENOSPC;
	return 0;
}
