/* Save, check and restore the arm64 part of a VM: ABI values, vGIC/ITS,
 * vCPUs. Used by snapshots (migration/) through board.h. */
#include "arch/arm64/board.h"
#include "arch/arm64/cpu.h"
#include "arch/arm64/gic_state.h"
#include "arch/arm64/hypercall.h"
#include "arch/arm64/its_table.h"
#include "arch/arm64/compat.h"
#include "arch/arm64/profile.h"
#include "arch/arm64/pvtime.h"
#include "arch/arm64/pvtime_state.h"
#include "vmm/clock.h"
#include "vmm/kvm.h"
#include "vmm/log.h"
#include "vmm/regset.h"
#include "vmm/vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct arm64_vm *arm(struct vm *vm)
{
	return vm->arch;
}

/* Hand @s over to the list under a formatted name (the list owns it then). */
static int move_into(struct regset_list *l, struct regset *s, const char *fmt, unsigned i)
{
	char name[REGSET_NAME_MAX + 1];
	struct regset *dst;

	snprintf(name, sizeof(name), fmt, i);
	dst = regset_list_add(l, name, 1);
	if (!dst) {
		regset_free(s);
		return -ENOMEM;
	}
	*dst = *s;
	regset_init(s);
	return 0;
}

static int save_gic(struct vm *vm, struct regset_list *out, char *err, size_t errlen)
{
	static struct regset rd[MEMMAP_MAX_CPUS], cp[MEMMAP_MAX_CPUS];	/* main thread only */
	struct regset dist, its;
	struct gic_saved gs = { &dist, rd, cp, &its };
	int rc;

	regset_init(&dist);
	regset_init(&its);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		regset_init(&rd[i]);
		regset_init(&cp[i]);
	}
	rc = gic_state_save(&arm(vm)->gic, vm->ncpus, arm(vm)->mpidr, &gs, err, errlen);
	rc = rc ? rc : move_into(out, &dist, "gic.dist", 0);
	rc = rc ? rc : move_into(out, &its, "its", 0);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		rc = rc ? rc : move_into(out, &rd[i], "gic.redist.%u", i);
		rc = rc ? rc : move_into(out, &cp[i], "gic.cpu.%u", i);
		regset_free(&rd[i]);
		regset_free(&cp[i]);
	}
	regset_free(&dist);
	regset_free(&its);
	return rc;
}

int board_save(struct vm *vm, struct regset_list *out, char *err, size_t errlen)
{
	struct regset s, *ids;
	int rc;

	regset_init(&s);
	rc = profile_read_abi(vm, &s, 0);	/* the guest's record of arch/arm64/abi.h */
	rc = rc ? rc : move_into(out, &s, "abi", 0);
	rc = rc ? rc : save_gic(vm, out, err, errlen);
	/* What the guest saw at boot travels with it, so that each host
	 * is checked against that and not against the last host's extras. */
	ids = rc ? NULL : regset_list_add(out, COMPAT_IDREGS, 1);
	if (!rc)
		rc = ids ? regset_copy(ids, regset_list_findf(&arm(vm)->needs, COMPAT_IDREGS, 0)) : -ENOMEM;
	rc = rc ? rc : hypercall_save(vm, out);
	for (unsigned i = 0; !rc && i < vm->ncpus; i++) {
		rc = vcpu_state_save(&vm->vcpus[i], &s);
		if (rc)
			snprintf(err, errlen, "vCPU %u: reading its registers: %s", i, strerror(-rc));
		rc = rc ? rc : move_into(out, &s, "vcpu.%u", i);
	}
	rc = rc ? rc : pvtime_save(vm, &arm(vm)->pvtime, out);
	regset_free(&s);
	if (rc && !err[0])
		snprintf(err, errlen, "saving the arm64 state: %s", strerror(-rc));
	return rc;
}

/* ---- checks ---- */

int board_check_abi(struct vm *vm, const struct regset_list *in, const struct regset_list *host,
		    char *err, size_t errlen)
{
	struct regset_list here = { 0 };
	int rc = host ? 0 : profile_probe(vm, &here, 0);

	if (rc)
		snprintf(err, errlen, "probing this host's KVM: %s", strerror(-rc));
	else
		rc = compat_check(in, host ? host : &here, err, errlen);
	regset_list_free(&here);
	return rc;
}

/* What the guest needs of a host, for the next move: read now, while
 * its vCPUs are stopped. @idregs: what it saw at boot (NULL: now). */
int board_record_needs(struct vm *vm, const struct regset *idregs, const struct regset *vcpu0)
{
	struct regset_list *l = &arm(vm)->needs;
	struct regset *abi, *v0, *ids;

	regset_list_free(l);
	abi = regset_list_add(l, "abi", 1);
	v0 = abi ? regset_list_add(l, "vcpu.0", 1) : NULL;
	ids = v0 ? regset_list_add(l, COMPAT_IDREGS, 1) : NULL;
	if (!ids)
		return -ENOMEM;
	/* Why the restored copy when there is one: reading vCPU 0 back costs
	 * one ioctl per register, inside a migration's downtime. */
	if (profile_read_abi(vm, abi, 0) ||
	    (vcpu0 ? regset_copy(v0, vcpu0) : vcpu_state_save(&vm->vcpus[0], v0)))
		return -EIO;
	return idregs ? regset_copy(ids, idregs) : vcpu_state_idregs(v0, ids);
}

const struct regset_list *board_needs(struct vm *vm)
{
	return &arm(vm)->needs;
}

/* ---- restore ---- */

/* The saved ITS registers and limits, for the table model. */
static void its_view(struct vm *vm, const struct regset *its, const struct regset *rd0,
		     struct its_regs *r, struct its_limits *lim)
{
	memset(r, 0, sizeof(*r));
	r->typer = regset_uint_or0(its, GITS_TYPER);
	r->cbaser = regset_uint_or0(its, 0x80);
	r->ctlr = (uint32_t)regset_uint_or0(its, 0);
	r->iidr = (uint32_t)regset_uint_or0(its, GITS_IIDR);
	for (unsigned i = 0; i < 8; i++)
		r->baser[i] = regset_uint_or0(its, 0x100 + 8 * i);
	lim->ncpus = vm->ncpus;
	lim->lpi_id_bits = (regset_uint_or0(rd0, 0x70) & 0x1f) + 1;	/* GICR_PROPBASER.IDbits + 1 */
}

/* KVM answers bad tables with a bare EINVAL: find the bad entry first. */
static int check_its_tables(struct vm *vm, const struct regset *its, const struct regset *rd0,
			    char *err, size_t len)
{
	struct its_regs r;
	struct its_limits lim;
	char why[200];
	int rc;

	its_view(vm, its, rd0, &r, &lim);
	rc = its_table_check(&vm->ram, &r, &lim, why, sizeof(why));
	if (rc)
		snprintf(err, len, "the ITS tables in the snapshot's memory are not valid: %s", why);
	return rc;
}

/* What each vCPU's restore needs, and where it says what went wrong. */
struct vcpu_job {
	const struct regset_list *in;
	const struct regset *ids;
	enum vcpu_time time;
	uint64_t ticks;
	char (*err)[256];	/* one per vCPU */
};

static int restore_one(struct vcpu *v, void *ctx)
{
	struct vcpu_job *j = ctx;
	const struct regset *s = regset_list_findf(j->in, "vcpu.%u", v->id);

	if (!s) {
		snprintf(j->err[v->id], sizeof(j->err[v->id]), "section 'vcpu.%u' is missing", v->id);
		return -EINVAL;
	}
	return vcpu_state_restore(v, s, j->ids, j->time, j->ticks, j->err[v->id],
				  sizeof(j->err[v->id]));
}

/* Every vCPU's registers, the vCPUs side by side: some hundred ONE_REG
 * writes each, and the destination's restore is migration downtime. */
static int restore_vcpus(struct vm *vm, const struct regset_list *in, const struct regset *ids,
			 enum vcpu_time time, uint64_t ticks, char *err, size_t errlen)
{
	static char msgs[MEMMAP_MAX_CPUS][256];	/* one restore at a time */
	struct vcpu_job j = { in, ids, time, ticks, msgs };
	int rc;

	memset(msgs, 0, sizeof(msgs));
	rc = vcpus_each(vm, restore_one, &j);
	for (unsigned i = 0; rc && i < vm->ncpus; i++)
		if (msgs[i][0]) {
			snprintf(err, errlen, "%s", msgs[i]);
			break;
		}
	return rc;
}

int board_restore(struct vm *vm, const struct regset_list *in, enum vcpu_time time,
		  uint64_t elapsed_ns, char *err, size_t errlen)
{
	static struct regset rd[MEMMAP_MAX_CPUS], cp[MEMMAP_MAX_CPUS];
	const struct regset *dist = regset_list_findf(in, "gic.dist", 0), *its = regset_list_findf(in, "its", 0);
	const struct regset *ids = regset_list_findf(in, COMPAT_IDREGS, 0), *pv;
	uint64_t ticks = (uint64_t)((unsigned __int128)elapsed_ns * cpu_counter_freq() / 1000000000u);
	struct gic_saved gs = { (struct regset *)dist, rd, cp, (struct regset *)its };
	uint64_t t[3];
	int rc = dist && its ? 0 : -EINVAL;

	for (unsigned i = 0; !rc && i < vm->ncpus; i++) {
		const struct regset *r = regset_list_findf(in, "gic.redist.%u", i), *c = regset_list_findf(in, "gic.cpu.%u", i);

		if (!r || !c)
			rc = -EINVAL;
		else
			rd[i] = *r, cp[i] = *c;	/* borrowed, not owned */
	}
	if (rc) {
		snprintf(err, errlen, "a GIC section is missing from the snapshot");
		return rc;
	}
	rc = check_its_tables(vm, its, &rd[0], err, errlen);
	t[0] = clock_ns();
	/* Why GIC first: its redistributors and ITS come before the vCPUs run,
	 * and vCPU timer state refers to interrupts the GIC must know. */
	if (!rc)
		rc = gic_state_restore(&arm(vm)->gic, vm->ncpus, arm(vm)->mpidr, &gs, err, errlen);
	t[1] = clock_ns();
	rc = rc ? rc : restore_vcpus(vm, in, ids, time, ticks, err, errlen);
	t[2] = clock_ns();
	/* Before the vCPUs run, and before the needs below (its revision is
	 * one): a guest that had stolen time has it here too. */
	if (!rc && (pv = regset_list_findf(in, PVTIME_SECTION, 0)))
		rc = pvtime_restore(vm, &arm(vm)->pvtime, pv, err, errlen);
	/* Why after the vCPUs: their firmware bitmap says whether the guest
	 * was offered the calls; and before they run (KVM's filter). */
	if (!rc && (rc = hypercall_serve(vm, regset_list_findf(in, COMPAT_IMPL, 0))))
		snprintf(err, errlen, rc == -EINVAL ? "section '%s' is not a list of CPU implementations"
			 : "answering the guest's target-implementation calls (section '%s'): %s",
			 COMPAT_IMPL, strerror(-rc));
	/* Older snapshots have no record of the boot-time ID registers: the
	 * saved ones are the best knowledge then. */
	if (!rc && (rc = board_record_needs(vm, ids, regset_list_findf(in, "vcpu.0", 0))))
		snprintf(err, errlen, "reading back the restored state: %s", strerror(-rc));
	if (getenv("ITSY_STATS"))
		log_msg("itsy-stats restore: GIC and ITS %llu us, vCPUs %llu us, the rest %llu us",
			(unsigned long long)(t[1] - t[0]) / 1000, (unsigned long long)(t[2] - t[1]) / 1000,
			(unsigned long long)(clock_ns() - t[2]) / 1000);
	return rc;
}
