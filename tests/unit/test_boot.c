/* Guest RAM layout of kernel, initrd and DTB (arch/arm64/boot.c). */
#include "arch/arm64/boot.h"

#include <errno.h>
#include <string.h>

#include "tests/unit/unit.h"

#define MiB(x)		((uint64_t)(x) << 20)
#define RAM_BASE	0x40000000ull
#define RAM_SIZE	MiB(512)
#define TEXT		0x80000ull

static struct boot_layout l;

/* boot_plan() for RAM at RAM_BASE; a refusal must come with a reason. */
static int plan(uint64_t ram_size, uint64_t offset, uint64_t kernel_size,
		uint64_t initrd_size)
{
	const char *why = NULL;
	int rc;

	memset(&l, 0xa5, sizeof(l));
	rc = boot_plan(RAM_BASE, ram_size, offset, kernel_size, initrd_size, &l, &why);
	if (rc)
		ck_assert(why != NULL && strstr(why, "--mem") != NULL);
	return rc;
}

/* Everything inside RAM, in order kernel < initrd < dtb, no overlap. */
static void assert_sane(uint64_t ram_size)
{
	uint64_t floor = l.initrd_size ? l.initrd : l.dtb;

	ck_assert_uint_eq(l.dtb, RAM_BASE + ram_size - BOOT_DTB_MAX);
	ck_assert_uint_ge(l.kernel, RAM_BASE);
	ck_assert_uint_le(l.kernel + l.kernel_size, floor);
	if (l.initrd_size) {
		ck_assert_uint_eq(l.initrd % 4096, 0);
		ck_assert_uint_le(l.initrd + l.initrd_size, l.dtb);
		ck_assert_uint_lt(l.dtb - (l.initrd + l.initrd_size), 4096);
	}
}

START_TEST(normal_layout)
{
	ck_assert_int_eq(plan(RAM_SIZE, TEXT, MiB(40), MiB(10) + 123), 0);
	ck_assert_uint_eq(l.kernel, RAM_BASE + TEXT);
	ck_assert_uint_eq(l.kernel_size, MiB(40));
	ck_assert_uint_eq(l.dtb, RAM_BASE + RAM_SIZE - MiB(2));
	ck_assert_uint_eq(l.initrd_size, MiB(10) + 123);
	ck_assert_uint_eq(l.initrd, (l.dtb - MiB(10) - 123) & ~4095ull);
	assert_sane(RAM_SIZE);
}
END_TEST

START_TEST(no_initrd)
{
	ck_assert_int_eq(plan(RAM_SIZE, 0, MiB(40), 0), 0);
	ck_assert_uint_eq(l.kernel, RAM_BASE);
	ck_assert_uint_eq(l.initrd, 0);
	ck_assert_uint_eq(l.initrd_size, 0);
	assert_sane(RAM_SIZE);
}
END_TEST

START_TEST(exact_fit)
{
	uint64_t room = RAM_SIZE - BOOT_DTB_MAX - TEXT;

	ck_assert_int_eq(plan(RAM_SIZE, TEXT, room, 0), 0);
	assert_sane(RAM_SIZE);
	ck_assert_int_eq(plan(RAM_SIZE, TEXT, room - MiB(4), MiB(4)), 0);
	assert_sane(RAM_SIZE);
	ck_assert_uint_eq(l.initrd, l.kernel + l.kernel_size);
}
END_TEST

START_TEST(kernel_too_large)
{
	ck_assert_int_eq(plan(RAM_SIZE, TEXT, RAM_SIZE, 0), -ENOSPC);
	ck_assert_int_eq(plan(RAM_SIZE, TEXT, RAM_SIZE - BOOT_DTB_MAX - TEXT + 1, 0), -ENOSPC);
}
END_TEST

START_TEST(kernel_and_initrd_too_large)
{
	uint64_t room = RAM_SIZE - BOOT_DTB_MAX - TEXT;

	/* Each fits alone, not both. */
	ck_assert_int_eq(plan(RAM_SIZE, TEXT, MiB(300), 0), 0);
	ck_assert_int_eq(plan(RAM_SIZE, 0, 0, MiB(300)), 0);
	ck_assert_int_eq(plan(RAM_SIZE, TEXT, MiB(300), MiB(300)), -ENOSPC);
	ck_assert_int_eq(plan(RAM_SIZE, TEXT, room - MiB(4) + 1, MiB(4)), -ENOSPC);
}
END_TEST

START_TEST(initrd_larger_than_ram)
{
	ck_assert_int_eq(plan(RAM_SIZE, TEXT, MiB(1), RAM_SIZE + 1), -ENOSPC);
	ck_assert_int_eq(plan(RAM_SIZE, TEXT, MiB(1), RAM_SIZE - BOOT_DTB_MAX + 1), -ENOSPC);
}
END_TEST

START_TEST(ram_too_small)
{
	ck_assert_int_eq(plan(0, 0, 0, 0), -ENOSPC);
	ck_assert_int_eq(plan(BOOT_DTB_MAX - 4096, 0, 0, 0), -ENOSPC);
}
END_TEST

/* Sizes and offsets near 2^64 must not wrap into "fits". */
START_TEST(wrap_around)
{
	ck_assert_int_eq(plan(RAM_SIZE, TEXT, UINT64_MAX, 0), -ENOSPC);
	ck_assert_int_eq(plan(RAM_SIZE, TEXT, UINT64_MAX - TEXT - RAM_BASE + 1, 0), -ENOSPC);
	ck_assert_int_eq(plan(RAM_SIZE, TEXT, MiB(1), UINT64_MAX), -ENOSPC);
	ck_assert_int_eq(plan(RAM_SIZE, TEXT, MiB(1), UINT64_MAX - RAM_SIZE + 1), -ENOSPC);
	ck_assert_int_eq(plan(RAM_SIZE, TEXT, UINT64_MAX - MiB(1), MiB(4)), -ENOSPC);
	ck_assert_int_eq(plan(RAM_SIZE, UINT64_MAX, MiB(1), 0), -ENOSPC);
	ck_assert_int_eq(plan(RAM_SIZE, UINT64_MAX - RAM_BASE + 1, MiB(1), 0), -ENOSPC);
	ck_assert_int_eq(plan(RAM_SIZE, RAM_SIZE, 0, 0), -ENOSPC);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("boot");

	UNIT_TCASE(s, "fits", normal_layout, no_initrd, exact_fit);
	UNIT_TCASE(s, "refused", kernel_too_large, kernel_and_initrd_too_large,
		   initrd_larger_than_ram, ram_too_small, wrap_around);
	return unit_run(s);
}
