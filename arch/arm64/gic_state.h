/* Saving and restoring the in-kernel vGICv3 and ITS through KVM's device
 * attributes. Every register is keyed by its offset (distributor,
 * redistributor, ITS) or its system-register encoding (CPU interface),
 * never by position, and each vCPU's redistributor and CPU interface are
 * saved from that vCPU's own MPIDR. All vCPUs must be paused: KVM answers
 * EBUSY otherwise. */
#ifndef ITSY_ARM64_GIC_STATE_H
#define ITSY_ARM64_GIC_STATE_H

#include <stddef.h>
#include <stdint.h>

struct gic;
struct regset;

#define GICD_IIDR	0x0008
#define GICD_TYPER2	0x000c
#define GITS_IIDR	0x0004
#define GITS_TYPER	0x0008

struct gic_saved {
	struct regset *dist;		/* distributor registers + line levels */
	struct regset *redist;		/* one per vCPU: RD and SGI frames */
	struct regset *cpu;		/* one per vCPU: ICC_* system registers */
	struct regset *its;		/* ITS registers */
};

/* Flush LPI pending bits and the ITS tables into guest RAM (so the RAM
 * image carries them), then read every register. @mpidr: each vCPU's. */
int gic_state_save(struct gic *g, unsigned ncpus, const uint64_t *mpidr,
		   struct gic_saved *s, char *err, size_t errlen);

/* Write it all back in the documented order, on a freshly created GIC and
 * ITS whose vCPUs exist and have not run, after guest RAM is in place. */
int gic_state_restore(struct gic *g, unsigned ncpus, const uint64_t *mpidr,
		      const struct gic_saved *s, char *err, size_t errlen);

#endif
