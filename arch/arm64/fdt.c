#include "arch/arm64/fdt.h"
#include "arch/arm64/memmap.h"

#include <errno.h>
#include <libfdt.h>
#include <stdio.h>

/* GIC interrupt specifier: <type number flags>. */
#define GIC_SPI		0
#define GIC_PPI		1
#define IRQ_LEVEL_HIGH	4

#define PHANDLE_GIC	1
#define PHANDLE_ITS	2
#define PHANDLE_CLK	3

#define MPIDR_AFF_MASK	0xff00ffffffull	/* Aff3..Aff0; bit 31 (RES1) must not reach reg */

/* Every helper returns libfdt's error code; try() stops at the first one. */
#define try(x) do { int err_ = (x); if (err_ < 0) return err_; } while (0)

static int prop_cells(void *fdt, const char *name, const uint32_t *v, int n)
{
	fdt32_t be[16];

	for (int i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(v[i]);
	return fdt_property(fdt, name, be, n * sizeof(be[0]));
}

/* reg = <base size> with two cells each, from the memory map. */
static int prop_reg(void *fdt, enum memmap_id id, uint64_t size)
{
	uint64_t base = memmap_get(id)->base;
	uint32_t v[4] = { base >> 32, (uint32_t)base, size >> 32, (uint32_t)size };

	return prop_cells(fdt, "reg", v, 4);
}

static int prop_irq(void *fdt, uint32_t type, uint32_t num)
{
	uint32_t v[3] = { type, num, IRQ_LEVEL_HIGH };

	return prop_cells(fdt, "interrupts", v, 3);
}

static int begin_node(void *fdt, const char *name, enum memmap_id id)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s@%llx", name,
		 (unsigned long long)memmap_get(id)->base);
	return fdt_begin_node(fdt, buf);
}

static int add_chosen(void *fdt, const struct fdt_board *b)
{
	char path[64];

	try(fdt_begin_node(fdt, "chosen"));
	try(fdt_property_string(fdt, "bootargs", b->bootargs ? b->bootargs : ""));
	/* Console settings belong here, never in the user's bootargs. */
	snprintf(path, sizeof(path), "/uart@%llx:115200n8",
		 (unsigned long long)memmap_get(MM_UART)->base);
	try(fdt_property_string(fdt, "stdout-path", path));
	if (b->initrd_size) {
		try(fdt_property_u64(fdt, "linux,initrd-start", b->initrd));
		try(fdt_property_u64(fdt, "linux,initrd-end", b->initrd + b->initrd_size));
	}
	return fdt_end_node(fdt);
}

static int add_memory(void *fdt, const struct fdt_board *b)
{
	try(begin_node(fdt, "memory", MM_RAM));
	try(fdt_property_string(fdt, "device_type", "memory"));
	try(prop_reg(fdt, MM_RAM, b->ram_size));
	return fdt_end_node(fdt);
}

static int add_cpu(void *fdt, unsigned i, uint64_t mpidr)
{
	uint64_t reg = mpidr & MPIDR_AFF_MASK;
	uint32_t v[2] = { reg >> 32, (uint32_t)reg };
	char name[32];

	snprintf(name, sizeof(name), "cpu@%u", i);
	try(fdt_begin_node(fdt, name));
	try(fdt_property_string(fdt, "device_type", "cpu"));
	try(fdt_property_string(fdt, "compatible", "arm,arm-v8"));
	try(fdt_property_string(fdt, "enable-method", "psci"));
	try(prop_cells(fdt, "reg", v, 2));
	return fdt_end_node(fdt);
}

static int add_cpus(void *fdt, const struct fdt_board *b)
{
	try(fdt_begin_node(fdt, "cpus"));
	try(fdt_property_u32(fdt, "#address-cells", 2));
	try(fdt_property_u32(fdt, "#size-cells", 0));
	for (unsigned i = 0; i < b->ncpus; i++)
		try(add_cpu(fdt, i, b->mpidr[i]));
	return fdt_end_node(fdt);
}

static int add_psci(void *fdt)
{
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";

	try(fdt_begin_node(fdt, "psci"));
	try(fdt_property(fdt, "compatible", compat, sizeof(compat)));
	try(fdt_property_string(fdt, "method", "hvc"));
	return fdt_end_node(fdt);
}

static int add_timer(void *fdt)
{
	/* Secure, non-secure physical, virtual and hypervisor timer PPIs. */
	uint32_t v[12] = { GIC_PPI, 13, IRQ_LEVEL_HIGH, GIC_PPI, 14, IRQ_LEVEL_HIGH,
			   GIC_PPI, 11, IRQ_LEVEL_HIGH, GIC_PPI, 10, IRQ_LEVEL_HIGH };

	try(fdt_begin_node(fdt, "timer"));
	try(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
	try(prop_cells(fdt, "interrupts", v, 12));
	try(fdt_property(fdt, "always-on", NULL, 0));
	return fdt_end_node(fdt);
}

static int add_pmu(void *fdt)
{
	try(fdt_begin_node(fdt, "pmu"));
	try(fdt_property_string(fdt, "compatible", "arm,armv8-pmuv3"));
	try(prop_irq(fdt, GIC_PPI, FDT_PMU_PPI - 16));
	return fdt_end_node(fdt);
}

static int add_its(void *fdt)
{
	try(begin_node(fdt, "its", MM_ITS));
	try(fdt_property_string(fdt, "compatible", "arm,gic-v3-its"));
	try(fdt_property(fdt, "msi-controller", NULL, 0));
	try(fdt_property_u32(fdt, "#msi-cells", 1));
	try(prop_reg(fdt, MM_ITS, memmap_get(MM_ITS)->size));
	try(fdt_property_u32(fdt, "phandle", PHANDLE_ITS));
	return fdt_end_node(fdt);
}

static int add_gic(void *fdt, const struct fdt_board *b)
{
	const struct memmap_region *d = memmap_get(MM_GICD), *r = memmap_get(MM_GICR);
	uint64_t rsize = b->ncpus * MEMMAP_GICR_STRIDE;
	uint32_t reg[8] = { d->base >> 32, (uint32_t)d->base, 0, (uint32_t)d->size,
			    r->base >> 32, (uint32_t)r->base, rsize >> 32, (uint32_t)rsize };

	try(begin_node(fdt, "intc", MM_GICD));
	try(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	try(fdt_property_u32(fdt, "#interrupt-cells", 3));
	try(fdt_property_u32(fdt, "#address-cells", 2));
	try(fdt_property_u32(fdt, "#size-cells", 2));
	try(fdt_property(fdt, "ranges", NULL, 0));
	try(fdt_property(fdt, "interrupt-controller", NULL, 0));
	try(prop_cells(fdt, "reg", reg, 8));
	try(prop_irq(fdt, GIC_PPI, 9));	/* maintenance interrupt */
	try(fdt_property_u32(fdt, "phandle", PHANDLE_GIC));
	try(add_its(fdt));
	return fdt_end_node(fdt);
}

static int add_clock(void *fdt)
{
	try(fdt_begin_node(fdt, "apb-pclk"));
	try(fdt_property_string(fdt, "compatible", "fixed-clock"));
	try(fdt_property_u32(fdt, "#clock-cells", 0));
	try(fdt_property_u32(fdt, "clock-frequency", 24000000));
	try(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
	try(fdt_property_u32(fdt, "phandle", PHANDLE_CLK));
	return fdt_end_node(fdt);
}

static int add_uart(void *fdt)
{
	try(begin_node(fdt, "uart", MM_UART));
	try(fdt_property_string(fdt, "compatible", "ns16550a"));
	try(prop_reg(fdt, MM_UART, memmap_get(MM_UART)->size));
	try(prop_irq(fdt, GIC_SPI, MEMMAP_SPI_UART));
	try(fdt_property_u32(fdt, "clock-frequency", 1843200));
	return fdt_end_node(fdt);
}

static int add_rtc(void *fdt)
{
	static const char compat[] = "arm,pl031\0arm,primecell";

	try(begin_node(fdt, "rtc", MM_RTC));
	try(fdt_property(fdt, "compatible", compat, sizeof(compat)));
	try(prop_reg(fdt, MM_RTC, memmap_get(MM_RTC)->size));
	try(prop_irq(fdt, GIC_SPI, MEMMAP_SPI_RTC));
	try(fdt_property_u32(fdt, "clocks", PHANDLE_CLK));
	try(fdt_property_string(fdt, "clock-names", "apb_pclk"));
	return fdt_end_node(fdt);
}

static int add_watchdog(void *fdt)
{
	const struct memmap_region *c = memmap_get(MM_WDOG_CONTROL), *r = memmap_get(MM_WDOG_REFRESH);
	/* Control frame first, then refresh frame: the driver's resource order. */
	uint32_t reg[8] = { c->base >> 32, (uint32_t)c->base, 0, (uint32_t)c->size,
			    r->base >> 32, (uint32_t)r->base, 0, (uint32_t)r->size };

	try(begin_node(fdt, "watchdog", MM_WDOG_CONTROL));
	try(fdt_property_string(fdt, "compatible", "arm,sbsa-gwdt"));
	try(prop_cells(fdt, "reg", reg, 8));
	try(prop_irq(fdt, GIC_SPI, MEMMAP_SPI_WDOG));
	try(fdt_property_u32(fdt, "timeout-sec", FDT_WDOG_TIMEOUT));
	return fdt_end_node(fdt);
}

/* One ranges entry: <pci-flags pci-addr(2) cpu-addr(2) size(2)>. */
static void pci_range(uint32_t *v, uint32_t flags, enum memmap_id id)
{
	const struct memmap_region *r = memmap_get(id);

	v[0] = flags;
	v[1] = v[3] = r->base >> 32;
	v[2] = v[4] = (uint32_t)r->base;
	v[5] = r->size >> 32;
	v[6] = (uint32_t)r->size;
}

static int add_pci(void *fdt)
{
	uint32_t ranges[14], bus[2] = { 0, MEMMAP_PCI_BUSES - 1 };
	/* Every requester id 0..0xffff maps 1:1 to an ITS DeviceID. */
	uint32_t msi_map[4] = { 0, PHANDLE_ITS, 0, 0x10000 };

	pci_range(ranges, 0x02000000, MM_PCI_MMIO32);	/* 32-bit memory */
	pci_range(ranges + 7, 0x43000000, MM_PCI_MMIO64);	/* 64-bit prefetchable */
	try(begin_node(fdt, "pcie", MM_PCI_ECAM));
	try(fdt_property_string(fdt, "compatible", "pci-host-ecam-generic"));
	try(fdt_property_string(fdt, "device_type", "pci"));
	try(fdt_property_u32(fdt, "#address-cells", 3));
	try(fdt_property_u32(fdt, "#size-cells", 2));
	try(prop_cells(fdt, "bus-range", bus, 2));
	try(prop_reg(fdt, MM_PCI_ECAM, memmap_get(MM_PCI_ECAM)->size));
	try(prop_cells(fdt, "ranges", ranges, 14));
	try(prop_cells(fdt, "msi-map", msi_map, 4));
	try(fdt_property(fdt, "dma-coherent", NULL, 0));
	return fdt_end_node(fdt);
}

static int add_root(void *fdt, const struct fdt_board *b)
{
	try(fdt_begin_node(fdt, ""));
	try(fdt_property_string(fdt, "compatible", "linux,dummy-virt"));
	try(fdt_property_u32(fdt, "#address-cells", 2));
	try(fdt_property_u32(fdt, "#size-cells", 2));
	try(fdt_property_u32(fdt, "interrupt-parent", PHANDLE_GIC));
	try(add_chosen(fdt, b));
	try(add_memory(fdt, b));
	try(add_cpus(fdt, b));
	try(add_psci(fdt));
	try(add_timer(fdt));
	if (b->pmu)
		try(add_pmu(fdt));
	try(add_gic(fdt, b));
	try(add_clock(fdt));
	try(add_uart(fdt));
	try(add_rtc(fdt));
	try(add_watchdog(fdt));
	try(add_pci(fdt));
	return fdt_end_node(fdt);
}

int fdt_build(const struct fdt_board *b, void *buf, size_t size)
{
	int err = fdt_create(buf, size);

	if (!err)
		err = fdt_finish_reservemap(buf);
	if (!err)
		err = add_root(buf, b);
	if (!err)
		err = fdt_finish(buf);
	if (!err)
		err = fdt_pack(buf);
	return err == -FDT_ERR_NOSPACE ? -ENOSPC : err ? -EINVAL : 0;
}
