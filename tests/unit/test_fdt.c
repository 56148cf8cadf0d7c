/* The guest device tree (arch/arm64/fdt.c), read back with libfdt. */
#include "arch/arm64/fdt.h"
#include "arch/arm64/memmap.h"

#include <errno.h>
#include <libfdt.h>
#include <string.h>

#include "tests/unit/unit.h"

#define RAM_SIZE	(512ull << 20)
#define BOOTARGS	"console=ttyS0 root=/dev/vda rw init=\"/bin/sh -x\""
#define BIT31		0x80000000ull

static const uint64_t mpidr2[] = { BIT31 | 0, BIT31 | 1 };
/* Third vCPU: Aff3 = 1, Aff1 = 1, Aff0 = 2. */
static const uint64_t mpidr3[] = { BIT31 | 0, BIT31 | 1, 0x100000000ull | BIT31 | 0x102 };

static uint8_t fdt[64 << 10];

/* Two vCPUs, 512 MiB, no initrd, no PMU. */
static struct fdt_board board(void)
{
	return (struct fdt_board){ .ncpus = 2, .mpidr = mpidr2, .ram_size = RAM_SIZE,
				   .bootargs = BOOTARGS };
}

static void build(const struct fdt_board *b)
{
	ck_assert_int_eq(fdt_build(b, fdt, sizeof(fdt)), 0);
	ck_assert_int_eq(fdt_check_header(fdt), 0);
}

static void build_default(void)
{
	struct fdt_board b = board();

	build(&b);
}

static int node(const char *path)
{
	int off = fdt_path_offset(fdt, path);

	ck_assert_msg(off >= 0, "%s: %s", path, fdt_strerror(off));
	return off;
}

/* The one node compatible with @compat. */
static int compat_node(const char *compat)
{
	int off = fdt_node_offset_by_compatible(fdt, -1, compat);

	ck_assert_msg(off >= 0, "no %s node: %s", compat, fdt_strerror(off));
	ck_assert_int_eq(fdt_node_offset_by_compatible(fdt, off, compat), -FDT_ERR_NOTFOUND);
	return off;
}

static const void *prop(int off, const char *name, int *len)
{
	const void *p = fdt_getprop(fdt, off, name, len);

	ck_assert_msg(p != NULL, "no property %s", name);
	return p;
}

static int has_prop(int off, const char *name)
{
	return fdt_getprop(fdt, off, name, NULL) != NULL;
}

static void assert_str(int off, const char *name, const char *want)
{
	int len;
	const char *s = prop(off, name, &len);

	ck_assert_int_eq(len, (int)strlen(want) + 1);
	ck_assert_str_eq(s, want);
}

static void assert_cells(int off, const char *name, const uint32_t *want, int n)
{
	int len;
	const fdt32_t *p = prop(off, name, &len);

	ck_assert_int_eq(len, n * (int)sizeof(fdt32_t));
	for (int i = 0; i < n; i++)
		ck_assert_msg(fdt32_to_cpu(p[i]) == want[i], "%s %s[%d] = %#x, want %#x",
			      fdt_get_name(fdt, off, NULL), name, i, fdt32_to_cpu(p[i]), want[i]);
}

static uint32_t cell(int off, const char *name, int i)
{
	int len;
	const fdt32_t *p = prop(off, name, &len);

	ck_assert_int_gt(len, i * (int)sizeof(fdt32_t));
	return fdt32_to_cpu(p[i]);
}

/* <base size> with two cells each, from memory map region @id. */
static void assert_reg(int off, enum memmap_id id, uint64_t size)
{
	uint64_t base = memmap_get(id)->base;
	const uint32_t want[4] = { base >> 32, (uint32_t)base, size >> 32, (uint32_t)size };

	assert_cells(off, "reg", want, 4);
}

/* A 32- or 64-bit number property (linux,initrd-* may be either). */
static uint64_t prop_num(int off, const char *name)
{
	int len;
	const void *p = prop(off, name, &len);

	ck_assert(len == 4 || len == 8);
	return len == 8 ? fdt64_ld(p) : fdt32_ld(p);
}

START_TEST(header_and_root)
{
	build_default();
	ck_assert_uint_le(fdt_totalsize(fdt), sizeof(fdt));
	ck_assert_int_eq(fdt_node_check_compatible(fdt, 0, "linux,dummy-virt"), 0);
	ck_assert_uint_eq(cell(0, "#address-cells", 0), 2);
	ck_assert_uint_eq(cell(0, "#size-cells", 0), 2);
}
END_TEST

START_TEST(bootargs_verbatim)
{
	build_default();
	assert_str(node("/chosen"), "bootargs", BOOTARGS);
}
END_TEST

START_TEST(bootargs_null_is_empty)
{
	struct fdt_board b = board();

	b.bootargs = NULL;
	build(&b);
	assert_str(node("/chosen"), "bootargs", "");
}
END_TEST

START_TEST(stdout_path_is_the_uart)
{
	int len, off;
	const char *path;

	build_default();
	path = prop(node("/chosen"), "stdout-path", &len);
	off = fdt_path_offset_namelen(fdt, path, (int)strcspn(path, ":"));
	ck_assert_msg(off >= 0, "stdout-path %s: %s", path, fdt_strerror(off));
	ck_assert_int_eq(off, compat_node("ns16550a"));
}
END_TEST

START_TEST(initrd_properties)
{
	struct fdt_board b = board();
	int chosen;

	b.initrd = 0x5f000000;
	b.initrd_size = 0x123456;
	build(&b);
	chosen = node("/chosen");
	ck_assert_uint_eq(prop_num(chosen, "linux,initrd-start"), 0x5f000000);
	ck_assert_uint_eq(prop_num(chosen, "linux,initrd-end"), 0x5f123456);
}
END_TEST

START_TEST(no_initrd_properties)
{
	struct fdt_board b = board();
	int chosen;

	b.initrd = 0x5f000000;	/* ignored: the size says there is none */
	build(&b);
	chosen = node("/chosen");
	ck_assert(!has_prop(chosen, "linux,initrd-start"));
	ck_assert(!has_prop(chosen, "linux,initrd-end"));
}
END_TEST

START_TEST(memory_node)
{
	struct fdt_board b = board();
	int mem;

	build(&b);
	mem = node("/memory@40000000");
	assert_str(mem, "device_type", "memory");
	assert_reg(mem, MM_RAM, RAM_SIZE);

	b.ram_size = 8ull << 30;	/* size needs the high cell */
	build(&b);
	assert_reg(node("/memory@40000000"), MM_RAM, 8ull << 30);
}
END_TEST

/* One cpu node per vCPU under /cpus, reg = MPIDR affinity in two cells. */
static void assert_cpus(const uint64_t *mpidr, unsigned n)
{
	int cpus = node("/cpus"), off;
	unsigned i = 0;

	ck_assert_uint_eq(cell(cpus, "#address-cells", 0), 2);
	ck_assert_uint_eq(cell(cpus, "#size-cells", 0), 0);
	fdt_for_each_subnode(off, fdt, cpus) {
		uint64_t aff = mpidr[i] & 0xff00ffffffull;
		const uint32_t reg[2] = { aff >> 32, (uint32_t)aff };

		ck_assert_uint_lt(i, n);
		assert_str(off, "device_type", "cpu");
		assert_str(off, "enable-method", "psci");
		assert_cells(off, "reg", reg, 2);
		i++;
	}
	ck_assert_uint_eq(i, n);
}

START_TEST(cpus_two)
{
	build_default();
	assert_cpus(mpidr2, 2);
}
END_TEST

START_TEST(cpus_three_with_aff3)
{
	struct fdt_board b = board();
	int off;

	b.ncpus = 3;
	b.mpidr = mpidr3;
	build(&b);
	assert_cpus(mpidr3, 3);
	off = node("/cpus/cpu@2");
	ck_assert_uint_eq(cell(off, "reg", 0), 1);
	ck_assert_uint_eq(cell(off, "reg", 1), 0x102);
}
END_TEST

START_TEST(psci_and_timer)
{
	int psci, timer, len;

	build_default();
	psci = node("/psci");
	assert_str(psci, "method", "hvc");
	ck_assert_int_eq(fdt_node_check_compatible(fdt, psci, "arm,psci-0.2"), 0);
	timer = node("/timer");
	ck_assert_int_eq(fdt_node_check_compatible(fdt, timer, "arm,armv8-timer"), 0);
	prop(timer, "interrupts", &len);
	ck_assert_int_eq(len, 4 * 3 * 4);	/* four PPIs, three cells each */
	ck_assert_uint_eq(cell(timer, "interrupts", 0), 1);
}
END_TEST

START_TEST(pmu_only_when_asked)
{
	static const uint32_t ppi7[3] = { 1, 7, 4 };
	struct fdt_board b = board();
	int pmu;

	build(&b);
	ck_assert_int_eq(fdt_path_offset(fdt, "/pmu"), -FDT_ERR_NOTFOUND);
	b.pmu = 1;
	build(&b);
	pmu = node("/pmu");
	ck_assert_int_eq(fdt_node_check_compatible(fdt, pmu, "arm,armv8-pmuv3"), 0);
	assert_cells(pmu, "interrupts", ppi7, 3);
}
END_TEST

START_TEST(gic_and_its)
{
	int gic, its;

	build_default();
	gic = compat_node("arm,gic-v3");
	its = compat_node("arm,gic-v3-its");
	ck_assert_int_eq(fdt_parent_offset(fdt, its), gic);
	ck_assert(has_prop(gic, "interrupt-controller"));
	ck_assert_uint_eq(cell(gic, "#interrupt-cells", 0), 3);
	ck_assert(has_prop(its, "msi-controller"));
	ck_assert_uint_ne(fdt_get_phandle(fdt, gic), 0);
	ck_assert_uint_eq(cell(0, "interrupt-parent", 0), fdt_get_phandle(fdt, gic));
	assert_reg(its, MM_ITS, memmap_get(MM_ITS)->size);
}
END_TEST

/* GIC reg: distributor, then redistributors sized for @ncpus. */
static void assert_gic_reg(unsigned ncpus)
{
	const struct memmap_region *d = memmap_get(MM_GICD), *r = memmap_get(MM_GICR);
	uint64_t rsize = ncpus * 0x20000ull;
	const uint32_t want[8] = { d->base >> 32, (uint32_t)d->base, d->size >> 32, (uint32_t)d->size,
				   r->base >> 32, (uint32_t)r->base, rsize >> 32, (uint32_t)rsize };

	assert_cells(compat_node("arm,gic-v3"), "reg", want, 8);
}

START_TEST(gic_redistributors_per_cpu)
{
	struct fdt_board b = board();

	build(&b);
	assert_gic_reg(2);
	b.ncpus = 3;
	b.mpidr = mpidr3;
	build(&b);
	assert_gic_reg(3);
}
END_TEST

START_TEST(uart_node)
{
	static const uint32_t spi[3] = { 0, MEMMAP_SPI_UART, 4 };
	int uart;

	build_default();
	uart = compat_node("ns16550a");
	assert_reg(uart, MM_UART, memmap_get(MM_UART)->size);
	assert_cells(uart, "interrupts", spi, 3);
	ck_assert_uint_ne(cell(uart, "clock-frequency", 0), 0);
}
END_TEST

START_TEST(rtc_node_with_clock)
{
	int len, rtc, clk;
	const char *compat;

	build_default();
	rtc = compat_node("arm,pl031");
	compat = prop(rtc, "compatible", &len);
	ck_assert_int_ge(fdt_stringlist_search(fdt, rtc, "compatible", "arm,primecell"), 0);
	ck_assert_int_eq(len, (int)sizeof("arm,pl031\0arm,primecell"));
	ck_assert_str_eq(compat, "arm,pl031");
	assert_reg(rtc, MM_RTC, memmap_get(MM_RTC)->size);
	clk = fdt_node_offset_by_phandle(fdt, cell(rtc, "clocks", 0));
	ck_assert_int_ge(clk, 0);
	ck_assert_int_eq(fdt_node_check_compatible(fdt, clk, "fixed-clock"), 0);
	assert_str(rtc, "clock-names", "apb_pclk");
}
END_TEST

START_TEST(watchdog_control_frame_first)
{
	const struct memmap_region *c = memmap_get(MM_WDOG_CONTROL), *r = memmap_get(MM_WDOG_REFRESH);
	const uint32_t reg[8] = { 0, (uint32_t)c->base, 0, (uint32_t)c->size,
				  0, (uint32_t)r->base, 0, (uint32_t)r->size };
	const uint32_t irq[3] = { 0, MEMMAP_SPI_WDOG, 4 };
	int wd;

	build_default();
	wd = compat_node("arm,sbsa-gwdt");
	assert_cells(wd, "reg", reg, 8);
	assert_cells(wd, "interrupts", irq, 3);
	ck_assert_uint_eq(cell(wd, "timeout-sec", 0), FDT_WDOG_TIMEOUT);
}
END_TEST

START_TEST(pcie_msi_map_points_at_its)
{
	int pci, its;
	uint32_t msi_map[4] = { 0, 0, 0, 0x10000 };

	build_default();
	pci = compat_node("pci-host-ecam-generic");
	its = compat_node("arm,gic-v3-its");
	msi_map[1] = fdt_get_phandle(fdt, its);
	ck_assert_uint_ne(msi_map[1], 0);
	assert_cells(pci, "msi-map", msi_map, 4);
	assert_str(pci, "device_type", "pci");
	assert_reg(pci, MM_PCI_ECAM, memmap_get(MM_PCI_ECAM)->size);
}
END_TEST

START_TEST(buffer_too_small)
{
	struct fdt_board b = board();
	static uint8_t small[64 << 10];
	uint32_t need;

	build(&b);
	need = fdt_totalsize(fdt);
	ck_assert_int_eq(fdt_build(&b, small, 0), -ENOSPC);
	ck_assert_int_eq(fdt_build(&b, small, 256), -ENOSPC);
	ck_assert_int_eq(fdt_build(&b, small, need - 1), -ENOSPC);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fdt");

	UNIT_TCASE(s, "chosen", header_and_root, bootargs_verbatim, bootargs_null_is_empty,
		   stdout_path_is_the_uart, initrd_properties, no_initrd_properties);
	UNIT_TCASE(s, "cpus+memory", memory_node, cpus_two, cpus_three_with_aff3,
		   psci_and_timer, pmu_only_when_asked);
	UNIT_TCASE(s, "devices", gic_and_its, gic_redistributors_per_cpu, uart_node,
		   rtc_node_with_clock, watchdog_control_frame_first, pcie_msi_map_points_at_its);
	UNIT_TCASE(s, "errors", buffer_too_small);
	return unit_run(s);
}
