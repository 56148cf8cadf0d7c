/* The guest device tree, built with libfdt from the memory map and a few
 * facts about this VM. No KVM calls: the caller reads MPIDRs from KVM. */
#ifndef ITSY_ARM64_FDT_H
#define ITSY_ARM64_FDT_H

#include <stddef.h>
#include <stdint.h>

#define FDT_PMU_PPI	23	/* GIC INTID of the PMU overflow interrupt (PPI 7) */
#define FDT_WDOG_TIMEOUT 30	/* seconds the guest's watchdog driver starts with */

struct fdt_board {
	unsigned ncpus;
	const uint64_t *mpidr;	/* MPIDR_EL1 of each vCPU, as KVM reports it */
	uint64_t ram_size;	/* RAM starts at the memory map's MM_RAM base */
	const char *bootargs;	/* /chosen/bootargs, verbatim; NULL means "" */
	uint64_t initrd;	/* initrd_size 0: no initrd properties at all */
	uint64_t initrd_size;
	int pmu;		/* describe the vCPUs' PMUv3 */
};

/* Write the tree into @buf (@size bytes, packed). 0 or -errno. */
int fdt_build(const struct fdt_board *b, void *buf, size_t size);

#endif
