#include "arch/arm64/gic_state.h"
#include "arch/arm64/gic.h"
#include "vmm/kvm.h"
#include "vmm/regset.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

/* Distributor per-interrupt register blocks: offset, bits per interrupt. */
static const struct irq_block { uint32_t off; unsigned bits; const char *name; } dist_blocks[] = {
	{ 0x0080, 1, "IGROUPR" },	/* first: grouping decides how the rest reads */
	{ 0x0d00, 1, "IGRPMODR" },
	{ 0x0400, 8, "IPRIORITYR" },
	{ 0x0c00, 2, "ICFGR" },		/* before line levels: edge or level */
	{ 0x6000, 64, "IROUTER" },	/* before pending state (pitfalls) */
	{ 0x0100, 1, "ISENABLER" },
	{ 0x0200, 1, "ISPENDR" },	/* the latched pending state */
	{ 0x0300, 1, "ISACTIVER" },
};

#define GICD_CTLR	0x0000
#define GICD_STATUSR	0x0010
#define GICR_SGI	0x10000
#define LEVEL_KEY	(1ull << 40)	/* line-level words in the dist set */

/* Redistributor registers; CTLR is restored last, in a pass of its own. */
static const uint32_t redist_regs[] = {
	0x0010,			/* GICR_STATUSR */
	0x0014,			/* GICR_WAKER */
	0x0070, 0x0074,		/* GICR_PROPBASER: before any GICR_CTLR enables LPIs */
	0x0078, 0x007c,		/* GICR_PENDBASER: likewise */
	GICR_SGI + 0x0080,	/* IGROUPR0 */
	GICR_SGI + 0x0d00,	/* IGRPMODR0 */
	GICR_SGI + 0x0400, GICR_SGI + 0x0404, GICR_SGI + 0x0408, GICR_SGI + 0x040c,
	GICR_SGI + 0x0410, GICR_SGI + 0x0414, GICR_SGI + 0x0418, GICR_SGI + 0x041c,
	GICR_SGI + 0x0c00, GICR_SGI + 0x0c04,	/* ICFGR0/1 */
	GICR_SGI + 0x0100,	/* ISENABLER0 */
	GICR_SGI + 0x0200,	/* ISPENDR0 */
	GICR_SGI + 0x0300,	/* ISACTIVER0 */
};
#define GICR_CTLR	0x0000

#define SYSREG(op0, op1, crn, crm, op2) ((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2))
/* CPU interface: SRE and CTLR first, the enables last. */
static const uint32_t cpu_regs[] = {
	SYSREG(3, 0, 12, 12, 5),	/* ICC_SRE_EL1 */
	SYSREG(3, 0, 12, 12, 4),	/* ICC_CTLR_EL1 */
	SYSREG(3, 0, 4, 6, 0),		/* ICC_PMR_EL1 */
	SYSREG(3, 0, 12, 8, 3),		/* ICC_BPR0_EL1 */
	SYSREG(3, 0, 12, 12, 3),	/* ICC_BPR1_EL1 */
	SYSREG(3, 0, 12, 8, 4), SYSREG(3, 0, 12, 8, 5),		/* ICC_AP0R0/1_EL1 */
	SYSREG(3, 0, 12, 8, 6), SYSREG(3, 0, 12, 8, 7),		/* ICC_AP0R2/3_EL1 */
	SYSREG(3, 0, 12, 9, 0), SYSREG(3, 0, 12, 9, 1),		/* ICC_AP1R0/1_EL1 */
	SYSREG(3, 0, 12, 9, 2), SYSREG(3, 0, 12, 9, 3),		/* ICC_AP1R2/3_EL1 */
	SYSREG(3, 0, 12, 12, 6),	/* ICC_IGRPEN0_EL1 */
	SYSREG(3, 0, 12, 12, 7),	/* ICC_IGRPEN1_EL1 */
};

/* ITS registers other than CBASER (first) and CTLR (last). */
static const uint32_t its_regs[] = {
	GITS_IIDR,			/* its Revision selects the table ABI */
	0x0088,				/* GITS_CWRITER */
	0x0090,				/* GITS_CREADR: after CBASER, which resets it */
	0x0100, 0x0108, 0x0110, 0x0118, 0x0120, 0x0128, 0x0130, 0x0138,	/* BASER0-7 */
};
#define GITS_CTLR	0x0000
#define GITS_CBASER	0x0080

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* KVM's attr encoding of an MPIDR: Aff3..Aff0 in bits 63..32. */
static uint64_t mpidr_attr(uint64_t mpidr)
{
	return ((mpidr >> 32 & 0xff) << 56 | (mpidr >> 16 & 0xff) << 48 |
		(mpidr >> 8 & 0xff) << 40 | (mpidr & 0xff) << 32);
}

static int fail(char *err, size_t len, int rc, const char *what, uint64_t off)
{
	snprintf(err, len, "%s 0x%llx: %s", what, (unsigned long long)off, strerror(-rc));
	return rc;
}

/* ---- save ---- */

static int save32(int fd, uint32_t grp, uint64_t attr, uint64_t key, struct regset *s)
{
	uint32_t v;
	int rc = kvm_device_get(fd, grp, attr, &v);

	return rc ? rc : regset_put_uint(s, key, v, 4);
}

static unsigned block_words(const struct irq_block *b)
{
	return GIC_NR_IRQS * b->bits / 32;
}

static int save_dist(int fd, struct regset *s, char *err, size_t len)
{
	static const uint32_t singles[] = { GICD_CTLR, GICD_IIDR, GICD_STATUSR };
	int rc = 0;

	for (unsigned i = 0; !rc && i < N(singles); i++)
		rc = save32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, singles[i], singles[i], s);
	save32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_TYPER2, GICD_TYPER2, s);	/* 6.1 may lack it */
	for (unsigned b = 0; !rc && b < N(dist_blocks); b++)
		/* Word 0 covers SGIs/PPIs, which live in the redistributors. */
		for (unsigned w = dist_blocks[b].bits == 64 ? 64 : 1; !rc && w < block_words(&dist_blocks[b]); w++) {
			uint32_t off = dist_blocks[b].off + 4 * w;

			if (dist_blocks[b].bits == 8 && w < 8)
				continue;	/* IPRIORITYR0-7: SGIs and PPIs */
			if (dist_blocks[b].bits == 2 && w < 2)
				continue;	/* ICFGR0-1: likewise */
			rc = save32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off, off, s);
		}
	for (unsigned irq = 32; !rc && irq < GIC_NR_IRQS; irq += 32)
		rc = save32(fd, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
			    (uint64_t)VGIC_LEVEL_INFO_LINE_LEVEL <<
			    KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT | irq, LEVEL_KEY | irq, s);
	return rc ? fail(err, len, rc, "saving distributor state at", 0) : 0;
}

static int save_cpu(int fd, uint64_t mpidr, struct regset *rd, struct regset *cpu,
		    char *err, size_t len)
{
	uint64_t a = mpidr_attr(mpidr), v;
	int rc = save32(fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, a | GICR_CTLR, GICR_CTLR, rd);

	for (unsigned i = 0; !rc && i < N(redist_regs); i++)
		rc = save32(fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, a | redist_regs[i], redist_regs[i], rd);
	if (rc)
		return fail(err, len, rc, "saving a redistributor register", 0);
	for (unsigned i = 0; i < N(cpu_regs); i++)
		/* AP0R1-3/AP1R1-3 exist only with more priority bits: skip those KVM lacks. */
		if (!kvm_device_get(fd, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, a | cpu_regs[i], &v))
			regset_put_uint(cpu, cpu_regs[i], v, 8);
	return 0;
}

static int save_its(int fd, struct regset *s, char *err, size_t len)
{
	static const uint32_t all[] = { GITS_CTLR, GITS_TYPER, GITS_CBASER };
	uint64_t v;
	int rc = 0;

	for (unsigned i = 0; !rc && i < N(all) + N(its_regs); i++) {
		uint32_t off = i < N(all) ? all[i] : its_regs[i - N(all)];

		rc = kvm_device_get(fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, off, &v);
		if (!rc)
			rc = regset_put_uint(s, off, v, 8);
		if (rc)
			return fail(err, len, rc, "saving ITS register", off);
	}
	return 0;
}

/*
 * The save order:
 *  1. SAVE_PENDING_TABLES, then ITS SAVE_TABLES: both write into guest RAM,
 *     so they run before RAM is written out, and vCPUs are already paused
 *     (KVM refuses with EBUSY otherwise).
 *  2. Distributor registers and line levels, each vCPU's redistributor and
 *     CPU interface (from that vCPU's MPIDR), then the ITS registers.
 */
int gic_state_save(struct gic *g, unsigned ncpus, const uint64_t *mpidr,
		   struct gic_saved *s, char *err, size_t errlen)
{
	int rc = kvm_device_set(g->gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
				KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, NULL);

	if (rc)
		return fail(err, errlen, rc, "SAVE_PENDING_TABLES", 0);
	rc = kvm_device_set(g->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES, NULL);
	if (rc)
		return fail(err, errlen, rc, "ITS SAVE_TABLES", 0);
	rc = save_dist(g->gic_fd, s->dist, err, errlen);
	for (unsigned i = 0; !rc && i < ncpus; i++)
		rc = save_cpu(g->gic_fd, mpidr[i], &s->redist[i], &s->cpu[i], err, errlen);
	return rc ? rc : save_its(g->its_fd, s->its, err, errlen);
}

/* ---- restore ---- */

static int put32(int fd, uint32_t grp, uint64_t attr, const struct regset *s, uint64_t key,
		 char *err, size_t len)
{
	uint64_t v;
	uint32_t v32;
	int rc;

	if (regset_get_uint(s, key, &v))
		return 0;	/* not saved (an optional register): leave KVM's */
	v32 = (uint32_t)v;
	rc = kvm_device_set(fd, grp, attr, &v32);
	return rc ? fail(err, len, rc, "restoring GIC register", key & 0xffffffff) : 0;
}

/* GICD_IIDR and GICD_TYPER2 first (the kernel doc): KVM refuses values it
 * cannot honour, and reading back catches one it quietly changed. */
static int restore_abi_reg(int fd, const struct regset *s, uint32_t off, const char *name,
			   char *err, size_t len)
{
	uint64_t want;
	uint32_t here = 0, w;
	int rc;

	if (regset_get_uint(s, off, &want))
		return 0;
	kvm_device_get(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off, &here);
	w = (uint32_t)want;
	rc = kvm_device_set(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off, &w);
	if (!rc)
		rc = kvm_device_get(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off, &here);
	if (!rc && here == w)
		return 0;
	snprintf(err, len, "%s: the snapshot has 0x%08x, this host's KVM has 0x%08x and %s",
		 name, w, here, rc ? "refuses the saved value (restore on a host at least as new "
		 "as the source)" : "changed the saved value when written");
	return rc ? rc : -EINVAL;
}

static int restore_dist(int fd, const struct regset *s, char *err, size_t len)
{
	int rc = restore_abi_reg(fd, s, GICD_IIDR, "GICD_IIDR", err, len);

	if (!rc)
		rc = restore_abi_reg(fd, s, GICD_TYPER2, "GICD_TYPER2", err, len);
	if (!rc)
		rc = put32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_CTLR, s, GICD_CTLR, err, len);
	for (unsigned b = 0; !rc && b < N(dist_blocks); b++)
		for (unsigned w = 0; !rc && w < block_words(&dist_blocks[b]); w++) {
			uint32_t off = dist_blocks[b].off + 4 * w;

			rc = put32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off, s, off, err, len);
			if (!rc && dist_blocks[b].off == 0x0c00 && w == block_words(&dist_blocks[b]) - 1)
				for (unsigned irq = 32; !rc && irq < GIC_NR_IRQS; irq += 32)
					rc = put32(fd, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
						   (uint64_t)VGIC_LEVEL_INFO_LINE_LEVEL <<
						   KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT | irq, s,
						   LEVEL_KEY | irq, err, len);
		}
	return rc ? rc : put32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_STATUSR, s, GICD_STATUSR, err, len);
}

static int restore_redist(int fd, uint64_t mpidr, const struct regset *rd, char *err, size_t len)
{
	uint64_t a = mpidr_attr(mpidr);
	int rc = 0;

	for (unsigned i = 0; !rc && i < N(redist_regs); i++)
		rc = put32(fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, a | redist_regs[i], rd,
			   redist_regs[i], err, len);
	return rc;
}

static int restore_cpu(int fd, uint64_t mpidr, const struct regset *cpu, char *err, size_t len)
{
	uint64_t a = mpidr_attr(mpidr), v;
	int rc = 0;

	for (unsigned i = 0; !rc && i < N(cpu_regs); i++) {
		if (regset_get_uint(cpu, cpu_regs[i], &v))
			continue;
		rc = kvm_device_set(fd, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, a | cpu_regs[i], &v);
		if (rc)
			fail(err, len, rc, "restoring CPU interface register", cpu_regs[i]);
	}
	return rc;
}

static int put_its(int fd, const struct regset *s, uint32_t off, char *err, size_t len)
{
	uint64_t v;
	int rc;

	if (regset_get_uint(s, off, &v))
		return 0;
	rc = kvm_device_set(fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, off, &v);
	if (rc == -EINVAL && off == GITS_IIDR)
		snprintf(err, len, "GITS_IIDR: the snapshot's ITS table ABI revision %llu is not "
			 "known to this host's KVM (restore on a host at least as new as the source)",
			 (unsigned long long)(v >> 12 & 0xf));
	else if (rc)
		fail(err, len, rc, "restoring ITS register", off);
	return rc;
}

/*
 * The restore order (arm-vgic-v3.rst, arm-vgic-its.rst "ITS Restore
 * Sequence"), on a VM whose RAM is mapped and whose vCPUs exist:
 *  1. Distributor: GICD_IIDR, then GICD_TYPER2 (checked by read-back),
 *     then the rest, IROUTER before the pending state.
 *  2. Redistributors: every PROPBASER/PENDBASER before any GICR_CTLR, so
 *     LPIs are never enabled against a stale table base.
 *  3. CPU interfaces.
 *  4. ITS (its base address was set when it was created): GITS_CBASER,
 *     then the other registers (IIDR before the tables: its Revision is the
 *     table ABI; CREADR after CBASER, which resets it), then
 *     RESTORE_TABLES, and GITS_CTLR last, which lets the ITS run.
 */
int gic_state_restore(struct gic *g, unsigned ncpus, const uint64_t *mpidr,
		      const struct gic_saved *s, char *err, size_t errlen)
{
	int rc = restore_dist(g->gic_fd, s->dist, err, errlen);

	for (unsigned i = 0; !rc && i < ncpus; i++)
		rc = restore_redist(g->gic_fd, mpidr[i], &s->redist[i], err, errlen);
	for (unsigned i = 0; !rc && i < ncpus; i++)
		rc = put32(g->gic_fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, mpidr_attr(mpidr[i]) | GICR_CTLR,
			   &s->redist[i], GICR_CTLR, err, errlen);
	for (unsigned i = 0; !rc && i < ncpus; i++)
		rc = restore_cpu(g->gic_fd, mpidr[i], &s->cpu[i], err, errlen);
	if (!rc)
		rc = put_its(g->its_fd, s->its, GITS_CBASER, err, errlen);
	for (unsigned i = 0; !rc && i < N(its_regs); i++)
		rc = put_its(g->its_fd, s->its, its_regs[i], err, errlen);
	if (!rc)
		rc = kvm_device_set(g->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
				    KVM_DEV_ARM_ITS_RESTORE_TABLES, NULL);
	if (rc && !err[0])
		fail(err, errlen, rc, "ITS RESTORE_TABLES (the saved tables are not valid)", 0);
	return rc ? rc : put_its(g->its_fd, s->its, GITS_CTLR, err, errlen);
}
