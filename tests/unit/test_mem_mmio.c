/* Guest RAM bounds (vmm/mem.c) and the MMIO bus (vmm/mmio.c). */
#include "vmm/mem.h"
#include "vmm/mmio.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "tests/unit/unit.h"

/* ---- guest RAM ---- */

#define RAM_GPA		0x40000000ull
#define RAM_SIZE	(2ull << 20)

static struct guest_mem ram;

static void mem_setup(void)
{
	ck_assert_int_eq(mem_alloc(&ram, RAM_GPA, RAM_SIZE), 0);
	ck_assert_ptr_nonnull(ram.hva);
}

static void mem_teardown(void)
{
	mem_free(&ram);
	ck_assert_ptr_null(ram.hva);
}

/* mem_ptr() must give hva + @off, or NULL when @off is -1. */
static void assert_ptr(uint64_t gpa, uint64_t len, int64_t off)
{
	void *p = mem_ptr(&ram, gpa, len);

	if (off < 0)
		ck_assert_msg(p == NULL, "gpa %#llx len %#llx accepted",
			      (unsigned long long)gpa, (unsigned long long)len);
	else
		ck_assert_msg(p == ram.hva + off, "gpa %#llx len %#llx: %p, want hva + %#llx",
			      (unsigned long long)gpa, (unsigned long long)len, p,
			      (unsigned long long)off);
}

START_TEST(ram_is_zeroed_and_writable)
{
	uint8_t *p = mem_ptr(&ram, RAM_GPA + 0x1000, 4);

	ck_assert_ptr_nonnull(p);
	ck_assert_mem_eq(p, "\0\0\0\0", 4);
	memcpy(p, "itsy", 4);
	ck_assert_mem_eq(mem_ptr(&ram, RAM_GPA + 0x1002, 2), "sy", 2);
}
END_TEST

/* Huge pages (and KVM's stage-2 blocks) need the host address aligned like
 * the guest's: every size, not only whole 2 MiB ones, must start aligned. */
START_TEST(ram_is_2mib_aligned)
{
	static const uint64_t sizes[] = { 4096, 3ull << 20, (64ull << 20) + 4096 };

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct guest_mem m = { 0 };

		ck_assert_int_eq(mem_alloc(&m, RAM_GPA, sizes[i]), 0);
		ck_assert_msg((uintptr_t)m.hva % (2u << 20) == 0, "size %#llx at %p",
			      (unsigned long long)sizes[i], (void *)m.hva);
		m.hva[sizes[i] - 1] = 1;	/* the last byte is mapped */
		mem_free(&m);
	}
}
END_TEST

/* Only pieces with a page the guest touched are marked, and asking does
 * not touch the others; RAM mapped from a file cannot be told apart. */
START_TEST(touched_map_marks_written_pieces)
{
	const uint64_t piece = 64 << 10, size = 4ull << 20;
	struct guest_mem m = { 0 };
	uint8_t map[64];

	ck_assert_int_eq(mem_alloc(&m, RAM_GPA, size), 0);
	madvise(m.hva, size, MADV_NOHUGEPAGE);	/* a huge page would fill 32 pieces */
	m.hva[3 * piece + 5] = 1;
	m.hva[size - 1] = 1;
	ck_assert_int_eq(mem_touched_map(&m, piece, map), 0);
	for (unsigned i = 0; i < size / piece; i++)
		ck_assert_msg(map[i] == (i == 3 || i == size / piece - 1), "piece %u: %u", i, map[i]);
	ck_assert_int_eq(mem_touched_map(&m, piece, map), 0);
	ck_assert_uint_eq(map[4], 0);
	ck_assert_int_eq(mem_touched_map(&m, 1000, map), -EINVAL);
	m.from_file = 1;
	ck_assert_int_eq(mem_touched_map(&m, piece, map), -ENOTSUP);
	mem_free(&m);
}
END_TEST

START_TEST(ptr_inside)
{
	assert_ptr(RAM_GPA, 1, 0);
	assert_ptr(RAM_GPA + RAM_SIZE - 1, 1, RAM_SIZE - 1);
	assert_ptr(RAM_GPA, RAM_SIZE, 0);
	assert_ptr(RAM_GPA + 0x123, 0x100, 0x123);
}
END_TEST

START_TEST(ptr_past_the_end)
{
	assert_ptr(RAM_GPA + RAM_SIZE, 1, -1);
	assert_ptr(RAM_GPA + RAM_SIZE - 2, 4, -1);
	assert_ptr(RAM_GPA, RAM_SIZE + 1, -1);
	assert_ptr(RAM_GPA + 1, RAM_SIZE, -1);
}
END_TEST

START_TEST(ptr_below_base)
{
	assert_ptr(RAM_GPA - 1, 1, -1);
	assert_ptr(RAM_GPA - 1, 2, -1);	/* straddles the start */
	assert_ptr(0, 0, -1);
}
END_TEST

START_TEST(ptr_zero_length)
{
	assert_ptr(RAM_GPA, 0, 0);
	assert_ptr(RAM_GPA + RAM_SIZE, 0, RAM_SIZE);	/* the end itself */
	assert_ptr(RAM_GPA + RAM_SIZE + 1, 0, -1);
}
END_TEST

START_TEST(ptr_overflow)
{
	assert_ptr(RAM_GPA, UINT64_MAX, -1);
	assert_ptr(RAM_GPA + 1, UINT64_MAX, -1);
	assert_ptr(RAM_GPA + RAM_SIZE - 1, UINT64_MAX - RAM_GPA - RAM_SIZE + 2, -1);
	assert_ptr(UINT64_MAX, 2, -1);
	assert_ptr(UINT64_MAX, 0, -1);
}
END_TEST

/* ---- MMIO bus ---- */

#define A_BASE	0x09000000ull
#define B_BASE	0x09010000ull
#define SIZE	0x1000ull

static struct mmio_bus bus;
static int dev_a, dev_b;	/* their addresses tell the devices apart */
static struct {
	unsigned n;
	void *opaque;
	uint64_t off;
	unsigned len;
	int is_write;
	uint8_t data[8];
} last;

static void handler(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write)
{
	last.n++;
	last.opaque = opaque;
	last.off = off;
	last.len = len;
	last.is_write = is_write;
	if (is_write) {
		memcpy(last.data, data, len);
	} else {
		for (unsigned i = 0; i < len; i++)
			data[i] = (uint8_t)(0xa0 + i);
	}
}

static void mmio_setup(void)
{
	mmio_init(&bus);
	memset(&last, 0, sizeof(last));
	ck_assert_int_eq(mmio_register(&bus, A_BASE, SIZE, handler, &dev_a), 0);
	ck_assert_int_eq(mmio_register(&bus, B_BASE, SIZE, handler, &dev_b), 0);
}

static int reg(uint64_t base, uint64_t size)
{
	return mmio_register(&bus, base, size, handler, NULL);
}

/* A @len-byte read at @addr; 0 or mmio_dispatch()'s error. */
static int read_at(uint64_t addr, unsigned len)
{
	uint8_t data[8] = { 0 };

	return mmio_dispatch(&bus, addr, data, len, 0);
}

START_TEST(register_rejects_overlap)
{
	ck_assert_int_eq(reg(A_BASE, SIZE), -EEXIST);
	ck_assert_int_eq(reg(A_BASE + SIZE - 1, 0x10), -EEXIST);
	ck_assert_int_eq(reg(A_BASE - 0x10, 0x11), -EEXIST);
	ck_assert_int_eq(reg(A_BASE + 0x10, 0x10), -EEXIST);
	ck_assert_int_eq(reg(A_BASE - 0x1000, 0x10000), -EEXIST);
	ck_assert_uint_eq(bus.n, 2);
	ck_assert_int_eq(reg(A_BASE + SIZE, 0x10), 0);	/* adjacent is fine */
	ck_assert_int_eq(reg(A_BASE - 0x10, 0x10), 0);
}
END_TEST

START_TEST(register_fills_up)
{
	unsigned i;

	for (i = bus.n; i < MMIO_MAX_REGIONS; i++)
		ck_assert_int_eq(reg(0x10000000 + i * SIZE, SIZE), 0);
	ck_assert_int_eq(reg(0x10000000 + i * SIZE, SIZE), -ENOSPC);
	ck_assert_uint_eq(bus.n, MMIO_MAX_REGIONS);
}
END_TEST

START_TEST(dispatch_write_reaches_handler)
{
	uint8_t data[4] = { 1, 2, 3, 4 };

	ck_assert_int_eq(mmio_dispatch(&bus, B_BASE + 0x14, data, 4, 1), 0);
	ck_assert_uint_eq(last.n, 1);
	ck_assert_ptr_eq(last.opaque, &dev_b);
	ck_assert_uint_eq(last.off, 0x14);
	ck_assert_uint_eq(last.len, 4);
	ck_assert_int_eq(last.is_write, 1);
	ck_assert_mem_eq(last.data, data, 4);
}
END_TEST

START_TEST(dispatch_read_fills_data)
{
	uint8_t data[2] = { 0 };

	ck_assert_int_eq(mmio_dispatch(&bus, A_BASE + 6, data, 2, 0), 0);
	ck_assert_ptr_eq(last.opaque, &dev_a);
	ck_assert_uint_eq(last.off, 6);
	ck_assert_int_eq(last.is_write, 0);
	ck_assert_uint_eq(data[0], 0xa0);
	ck_assert_uint_eq(data[1], 0xa1);
}
END_TEST

START_TEST(dispatch_region_edges)
{
	ck_assert_int_eq(read_at(A_BASE, 8), 0);
	ck_assert_uint_eq(last.off, 0);
	ck_assert_int_eq(read_at(A_BASE + SIZE - 4, 4), 0);
	ck_assert_uint_eq(last.off, SIZE - 4);
	ck_assert_uint_eq(last.n, 2);
}
END_TEST

START_TEST(dispatch_straddling_is_refused)
{
	ck_assert_int_eq(read_at(A_BASE + SIZE - 2, 4), -ENOENT);
	ck_assert_int_eq(read_at(A_BASE - 2, 4), -ENOENT);
	ck_assert_int_eq(read_at(B_BASE + SIZE - 1, 8), -ENOENT);
	ck_assert_uint_eq(last.n, 0);
}
END_TEST

START_TEST(dispatch_nowhere)
{
	ck_assert_int_eq(read_at(0, 4), -ENOENT);
	ck_assert_int_eq(read_at(A_BASE + SIZE, 1), -ENOENT);
	ck_assert_int_eq(read_at(B_BASE - 4, 4), -ENOENT);
	ck_assert_int_eq(read_at(UINT64_MAX - 3, 4), -ENOENT);
	ck_assert_uint_eq(last.n, 0);
}
END_TEST

/* A BAR moving: the old range stops answering, the new one answers. */
START_TEST(unregister_then_move)
{
	ck_assert_int_eq(mmio_unregister(&bus, A_BASE + 1, &dev_a), -ENOENT);
	ck_assert_int_eq(mmio_unregister(&bus, A_BASE, &dev_b), -ENOENT);	/* not b's */
	ck_assert_int_eq(read_at(A_BASE, 4), 0);
	ck_assert_int_eq(mmio_unregister(&bus, A_BASE, &dev_a), 0);
	ck_assert_int_eq(read_at(A_BASE, 4), -ENOENT);
	ck_assert_int_eq(mmio_register(&bus, 0x9000, SIZE, handler, &dev_a), 0);
	ck_assert_int_eq(read_at(0x9000 + 4, 4), 0);
	ck_assert_ptr_eq(last.opaque, &dev_a);
	ck_assert_int_eq(read_at(B_BASE, 4), 0);
	ck_assert_ptr_eq(last.opaque, &dev_b);
}
END_TEST

/* A handler may (un)register regions: dispatch holds no lock meanwhile. */
static void moving_handler(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write)
{
	(void)off; (void)data; (void)len; (void)is_write;
	ck_assert_int_eq(mmio_unregister(&bus, A_BASE, &dev_a), 0);
	ck_assert_int_eq(mmio_register(&bus, 0x9000, SIZE, handler, opaque), 0);
}

START_TEST(handler_may_move_regions)
{
	ck_assert_int_eq(mmio_unregister(&bus, B_BASE, &dev_b), 0);
	ck_assert_int_eq(mmio_register(&bus, B_BASE, SIZE, moving_handler, &dev_a), 0);
	ck_assert_int_eq(read_at(B_BASE, 4), 0);
	ck_assert_int_eq(read_at(A_BASE, 4), -ENOENT);
	ck_assert_int_eq(read_at(0x9000, 4), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mem+mmio");
	TCase *mem, *mmio;

	mem = UNIT_TCASE(s, "mem", ram_is_zeroed_and_writable, ram_is_2mib_aligned,
			 touched_map_marks_written_pieces,
			 ptr_inside, ptr_past_the_end, ptr_below_base, ptr_zero_length,
			 ptr_overflow);
	tcase_add_checked_fixture(mem, mem_setup, mem_teardown);
	mmio = UNIT_TCASE(s, "mmio", register_rejects_overlap, register_fills_up,
			  dispatch_write_reaches_handler, dispatch_read_fills_data,
			  dispatch_region_edges, dispatch_straddling_is_refused, dispatch_nowhere,
			  unregister_then_move, handler_may_move_regions);
	tcase_add_checked_fixture(mmio, mmio_setup, NULL);
	return unit_run(s);
}
