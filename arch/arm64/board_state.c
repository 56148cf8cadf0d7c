/* Save, check and restore the arm64 part of a VM: ABI values, vGIC/ITS,
 * vCPUs. Used by snapshots (migration/) through board.h. */
#include "arch/arm64/board.h"
#include "arch/arm64/cpu.h"
#include "arch/arm64/gic_state.h"
#include "arch/arm64/its_table.h"
#include "vmm/kvm.h"
#include "vmm/regset.h"
#include "vmm/vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PVTIME_REVISION	0	/* the stolen-time structure revision (pvtime.rst) */
#define IIDR_REV(v)	((v) >> 12 & 0xf)

static struct arm64_vm *arm(struct vm *vm)
{
	return vm->arch;
}

static uint64_t read_dist(struct vm *vm, uint32_t off, int *ok)
{
	uint32_t v = 0;

	*ok = !kvm_device_get(arm(vm)->gic.gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off, &v);
	return v;
}

static uint64_t read_its(struct vm *vm, uint32_t off)
{
	uint64_t v = 0;

	kvm_device_get(arm(vm)->gic.its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, off, &v);
	return v;
}

static int save_abi(struct vm *vm, struct regset *s)
{
	struct utsname u;
	int ok;
	uint64_t v;

	regset_put_uint(s, ABI_PAGE_SIZE, (uint64_t)sysconf(_SC_PAGESIZE), 8);
	regset_put_uint(s, ABI_IPA_BITS, memmap_ipa_bits(), 4);
	regset_put_uint(s, ABI_GITS_IIDR, read_its(vm, GITS_IIDR), 8);
	regset_put_uint(s, ABI_GITS_TYPER, read_its(vm, GITS_TYPER), 8);
	v = read_dist(vm, GICD_IIDR, &ok);
	regset_put_uint(s, ABI_GICD_IIDR, v, 4);
	v = read_dist(vm, GICD_TYPER2, &ok);
	if (ok)		/* older kernels do not expose GICD_TYPER2 */
		regset_put_uint(s, ABI_GICD_TYPER2, v, 4);
	regset_put_uint(s, ABI_PVTIME_REV, PVTIME_REVISION, 4);
	regset_put_uint(s, ABI_CNTFRQ, cpu_counter_freq(), 8);
	regset_put_uint(s, ABI_NCPUS, vm->ncpus, 4);
	uname(&u);
	return regset_put(s, ABI_KERNEL, u.release, strlen(u.release));
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
	struct regset s;
	int rc;

	regset_init(&s);
	rc = save_abi(vm, &s);
	rc = rc ? rc : move_into(out, &s, "abi", 0);
	rc = rc ? rc : save_gic(vm, out, err, errlen);
	for (unsigned i = 0; !rc && i < vm->ncpus; i++) {
		rc = vcpu_state_save(&vm->vcpus[i], &s);
		if (rc)
			snprintf(err, errlen, "vCPU %u: reading its registers: %s", i, strerror(-rc));
		rc = rc ? rc : move_into(out, &s, "vcpu.%u", i);
	}
	regset_free(&s);
	if (rc && !err[0])
		snprintf(err, errlen, "saving the arm64 state: %s", strerror(-rc));
	return rc;
}

/* ---- checks ---- */

/* Equal-or-refuse checks: what must match exactly between the hosts. */
static int check_equal(const struct regset *abi, uint64_t key, uint64_t here,
		       const char *what, char *err, size_t len)
{
	uint64_t saved = regset_uint_or0(abi, key);

	if (saved == here)
		return 0;
	snprintf(err, len, "%s: the snapshot has %llu, this host has %llu; it must be the same",
		 what, (unsigned long long)saved, (unsigned long long)here);
	return -EINVAL;
}

static int check_revisions(struct vm *vm, const struct regset *abi, char *err, size_t len)
{
	uint64_t saved = IIDR_REV(regset_uint_or0(abi, ABI_GITS_IIDR)), here = IIDR_REV(read_its(vm, GITS_IIDR));
	int ok;
	uint64_t gicd = read_dist(vm, GICD_IIDR, &ok);

	/* An ITS table ABI revision above what KVM knows cannot be restored. */
	if (saved > here) {
		snprintf(err, len, "GITS_IIDR: the snapshot's ITS table ABI revision is %llu, this "
			 "host's KVM supports up to %llu (restore on a host at least as new as the source)",
			 (unsigned long long)saved, (unsigned long long)here);
		return -EINVAL;
	}
	saved = IIDR_REV(regset_uint_or0(abi, ABI_GICD_IIDR));
	if (saved > IIDR_REV(gicd)) {
		snprintf(err, len, "GICD_IIDR: the snapshot's implementation revision is %llu, this "
			 "host's KVM has %llu and cannot go back to it (restore on a host at least "
			 "as new as the source)", (unsigned long long)saved,
			 (unsigned long long)IIDR_REV(gicd));
		return -EINVAL;
	}
	return 0;
}

/* Every register the snapshot has must exist on this host's vCPUs. */
static int check_reg_list(struct vm *vm, const struct regset *v0, char *err, size_t len)
{
	struct regset here;
	size_t pos = 0;
	uint64_t key;
	const uint8_t *val;
	uint32_t n;
	int rc;

	regset_init(&here);
	rc = vcpu_state_save(&vm->vcpus[0], &here);
	char name[64];

	while (!rc && regset_next(v0, &pos, &key, &val, &n))
		if (key != VCPU_KEY_MP_STATE && !regset_get(&here, key, &n)) {
			snprintf(err, len, "vCPU register %s is in the snapshot but this host's KVM "
				 "does not have it (the source kernel is newer: restore on a host at "
				 "least as new)", vcpu_reg_name(key, name, sizeof(name)));
			rc = -EINVAL;
		}
	regset_free(&here);
	return rc;
}

int board_check_abi(struct vm *vm, const struct regset_list *in, char *err, size_t errlen)
{
	const struct regset *abi = regset_list_findf(in, "abi", 0), *v0 = regset_list_findf(in, "vcpu.%u", 0);
	int rc;

	if (!abi || !v0) {
		snprintf(err, errlen, "section '%s' is missing", abi ? "vcpu.0" : "abi");
		return -EINVAL;
	}
	rc = check_equal(abi, ABI_PAGE_SIZE, (uint64_t)sysconf(_SC_PAGESIZE), "host page size", err, errlen);
	rc = rc ? rc : check_equal(abi, ABI_IPA_BITS, memmap_ipa_bits(), "IPA size (bits)", err, errlen);
	rc = rc ? rc : check_equal(abi, ABI_CNTFRQ, cpu_counter_freq(), "counter frequency (CNTFRQ, Hz)", err, errlen);
	rc = rc ? rc : check_equal(abi, ABI_NCPUS, vm->ncpus, "vCPUs", err, errlen);
	rc = rc ? rc : check_equal(abi, ABI_PVTIME_REV, PVTIME_REVISION, "PV stolen-time revision", err, errlen);
	rc = rc ? rc : check_revisions(vm, abi, err, errlen);
	return rc ? rc : check_reg_list(vm, v0, err, errlen);
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

int board_restore(struct vm *vm, const struct regset_list *in, enum vcpu_time time,
		  uint64_t elapsed_ns, char *err, size_t errlen)
{
	static struct regset rd[MEMMAP_MAX_CPUS], cp[MEMMAP_MAX_CPUS];
	const struct regset *dist = regset_list_findf(in, "gic.dist", 0), *its = regset_list_findf(in, "its", 0);
	uint64_t ticks = (uint64_t)((unsigned __int128)elapsed_ns * cpu_counter_freq() / 1000000000u);
	struct gic_saved gs = { (struct regset *)dist, rd, cp, (struct regset *)its };
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
	/* Why GIC first: its redistributors and ITS come before the vCPUs run,
	 * and vCPU timer state refers to interrupts the GIC must know. */
	if (!rc)
		rc = gic_state_restore(&arm(vm)->gic, vm->ncpus, arm(vm)->mpidr, &gs, err, errlen);
	for (unsigned i = 0; !rc && i < vm->ncpus; i++) {
		const struct regset *v = regset_list_findf(in, "vcpu.%u", i);

		rc = v ? vcpu_state_restore(&vm->vcpus[i], v, time, ticks, err, errlen) : -EINVAL;
		if (!v)
			snprintf(err, errlen, "section 'vcpu.%u' is missing", i);
	}
	return rc;
}
