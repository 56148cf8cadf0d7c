#include "arch/arm64/profile.h"
#include "arch/arm64/compat.h"
#include "arch/arm64/board.h"
#include "arch/arm64/cpu.h"
#include "arch/arm64/gic_state.h"
#include "vmm/kvm.h"
#include "vmm/log.h"
#include "vmm/regset.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#include <errno.h>
#include <stdarg.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP
#define KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP 225	/* uapi of 6.2 and later */
#endif

#define PVTIME_REVISION	0	/* the stolen-time structure revision (pvtime.rst) */
#define TYPER2_NASSGICAP	(1u << 8)

/* ---- probing ---- */

static int dist_get(struct vm *vm, uint32_t off, uint32_t *v)
{
	struct arm64_vm *a = vm->arch;

	return kvm_device_get(a->gic.gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off, v);
}

static int dist_set(struct vm *vm, uint32_t off, uint32_t v)
{
	struct arm64_vm *a = vm->arch;

	return kvm_device_set(a->gic.gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off, &v);
}

static uint64_t its_get(struct vm *vm, uint32_t off)
{
	struct arm64_vm *a = vm->arch;
	uint64_t v = 0;

	kvm_device_get(a->gic.its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, off, &v);
	return v;
}

/* Which GICD_IIDR revisions KVM lets userspace pick (a bit per revision). */
static uint32_t probe_iidr_revs(struct vm *vm, uint32_t iidr)
{
	uint32_t mask = 0, back;

	for (uint32_t r = 0; r < 16; r++) {
		uint32_t v = (iidr & ~0xf000u) | r << 12;

		if (!dist_set(vm, GICD_IIDR, v) && !dist_get(vm, GICD_IIDR, &back) && back == v)
			mask |= 1u << r;
	}
	dist_set(vm, GICD_IIDR, iidr);	/* the host's own, as if never probed */
	return mask;
}

/* Which GICD_TYPER2 bits userspace may change (only nASSGIcap is ever). */
static uint32_t probe_typer2_writable(struct vm *vm, uint32_t typer2)
{
	uint32_t back = 0, w = 0;

	if (!dist_set(vm, GICD_TYPER2, typer2 ^ TYPER2_NASSGICAP) &&
	    !dist_get(vm, GICD_TYPER2, &back) && back == (typer2 ^ TYPER2_NASSGICAP))
		w = TYPER2_NASSGICAP;
	dist_set(vm, GICD_TYPER2, typer2);
	return w;
}

static uint32_t probe_dirty_caps(struct vm *vm)
{
	uint32_t caps = 0;

	if (kvm_check(&vm->kvm, 1, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0)
		caps |= PROFILE_DIRTY_MANUAL_PROTECT;
	if (kvm_check(&vm->kvm, 1, KVM_CAP_DIRTY_LOG_RING_ACQ_REL) > 0)
		caps |= PROFILE_DIRTY_RING_ACQ_REL;
	if (kvm_check(&vm->kvm, 1, KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP) > 0)
		caps |= PROFILE_DIRTY_RING_BITMAP;
	return caps;
}

static int probe_gic(struct vm *vm, struct regset *s)
{
	uint32_t iidr = 0, typer2 = 0;

	regset_put_uint(s, ABI_GITS_IIDR, its_get(vm, GITS_IIDR), 8);
	regset_put_uint(s, ABI_GITS_TYPER, its_get(vm, GITS_TYPER), 8);
	if (dist_get(vm, GICD_IIDR, &iidr))
		return -EIO;
	regset_put_uint(s, ABI_GICD_IIDR, iidr, 4);
	regset_put_uint(s, ABI_GICD_IIDR_REVS, probe_iidr_revs(vm, iidr), 4);
	if (!dist_get(vm, GICD_TYPER2, &typer2)) {	/* older kernels lack it */
		regset_put_uint(s, ABI_GICD_TYPER2, typer2, 4);
		regset_put_uint(s, ABI_TYPER2_WRITABLE, probe_typer2_writable(vm, typer2), 4);
	}
	return 0;
}

/* Does KVM take @val for @id, and read it back? The old value goes back. */
static int takes(struct vcpu *v, uint64_t id, uint64_t old, uint64_t val)
{
	uint64_t back = 0;
	int ok = !vcpu_state_one_reg(v, KVM_SET_ONE_REG, id, &val) &&
		 !vcpu_state_one_reg(v, KVM_GET_ONE_REG, id, &back) &&
		 back == val;

	vcpu_state_one_reg(v, KVM_SET_ONE_REG, id, &old);
	return ok;
}

/* ID registers: the 4-bit fields KVM lets userspace lower by one (a mask
 * of whole fields). Feature bitmaps: the bits it lets userspace clear. */
static uint64_t writable_mask(struct vcpu *v, uint64_t id, uint64_t val)
{
	uint64_t mask = 0;

	if (vcpu_reg_is_id(id)) {
		for (unsigned s = 0; s < 64; s += 4)
			if ((val >> s & 0xf) && takes(v, id, val, val - (1ull << s)))
				mask |= 0xfull << s;
	} else {
		for (unsigned b = 0; b < 64; b++)
			if ((val >> b & 1) && takes(v, id, val, val & ~(1ull << b)))
				mask |= 1ull << b;
	}
	return mask;
}

static int is_bitmap_reg(uint64_t id)
{
	return (id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM_FW_FEAT_BMAP;
}

/* Only before the VM first ran: KVM refuses ID register writes after. */
static int probe_writable(struct vm *vm, const struct regset *v0, struct regset *out)
{
	size_t pos = 0;
	uint64_t key, val;
	const uint8_t *p;
	uint32_t n;
	int rc = 0;

	while (!rc && regset_next(v0, &pos, &key, &p, &n)) {
		uint64_t mask;

		if (n != 8 || !(vcpu_reg_is_id(key) || is_bitmap_reg(key)))
			continue;
		val = regset_uint_or0(v0, key);
		mask = writable_mask(&vm->vcpus[0], key, val);
		if (mask)
			rc = regset_put_uint(out, key, mask, 8);
	}
	return rc;
}

int profile_probe(struct vm *vm, struct regset_list *out, int writable)
{
	struct regset *abi = regset_list_add(out, "abi", 1), *v0;
	struct utsname u;
	int rc;

	if (!abi)
		return -ENOMEM;
	uname(&u);
	regset_put_uint(abi, ABI_PAGE_SIZE, (uint64_t)sysconf(_SC_PAGESIZE), 8);
	regset_put_uint(abi, ABI_IPA_BITS, memmap_ipa_bits(), 4);
	regset_put_uint(abi, ABI_PVTIME_REV, PVTIME_REVISION, 4);
	regset_put_uint(abi, ABI_CNTFRQ, cpu_counter_freq(), 8);
	regset_put_uint(abi, ABI_NCPUS, vm->ncpus, 4);
	regset_put_uint(abi, ABI_DIRTY_CAPS, probe_dirty_caps(vm), 4);
	regset_put(abi, ABI_KERNEL, u.release, strlen(u.release));
	rc = probe_gic(vm, abi);
	v0 = rc ? NULL : regset_list_add(out, "vcpu.0", 1);
	if (!rc && !v0)
		rc = -ENOMEM;
	rc = rc ? rc : vcpu_state_save(&vm->vcpus[0], v0);
	if (!rc && writable) {
		struct regset *w = regset_list_add(out, PROFILE_WRITABLE, 1);

		/* v0 may have moved: the list grew. Look it up again. */
		rc = w ? probe_writable(vm, regset_list_findf(out, "vcpu.%u", 0), w) : -ENOMEM;
	}
	return rc;
}

/* ---- starting a guest at a pool's baseline ---- */

static int is_fw_value(uint64_t id)
{
	return id == KVM_REG_ARM_PSCI_VERSION || is_bitmap_reg(id);
}

/* Every vCPU gets @val for @id, and shows it back. */
static int set_everywhere(struct vm *vm, uint64_t id, uint64_t val, char *err, size_t len)
{
	char name[64];

	for (unsigned i = 0; i < vm->ncpus; i++) {
		uint64_t back = 0, want = val;

		if (vcpu_state_one_reg(&vm->vcpus[i], KVM_SET_ONE_REG, id, &want) ||
		    vcpu_state_one_reg(&vm->vcpus[i], KVM_GET_ONE_REG, id, &back) || back != val) {
			snprintf(err, len, "%s: the profile wants 0x%llx, this host's KVM keeps 0x%llx",
				 vcpu_reg_name(id, name, sizeof(name)), (unsigned long long)val,
				 (unsigned long long)back);
			return -EINVAL;
		}
	}
	return 0;
}

static int apply_regs(struct vm *vm, const struct regset *want, const struct regset *here,
		      char *err, size_t len)
{
	size_t pos = 0;
	uint64_t key;
	const uint8_t *p;
	uint32_t n;
	int rc = 0;

	while (!rc && regset_next(want, &pos, &key, &p, &n)) {
		uint64_t v = regset_uint_or0(want, key);

		if (n == 8 && (vcpu_reg_is_id(key) || is_fw_value(key)) &&
		    v != regset_uint_or0(here, key))
			rc = set_everywhere(vm, key, v, err, len);
	}
	return rc;
}

static int apply_dist(struct vm *vm, uint32_t off, const char *what, uint32_t want,
		      char *err, size_t len)
{
	uint32_t back = 0;

	if (!dist_set(vm, off, want) && !dist_get(vm, off, &back) && back == want)
		return 0;
	snprintf(err, len, "%s: the profile wants 0x%x, this host's KVM keeps 0x%x", what, want, back);
	return -EINVAL;
}

static int apply_gic(struct vm *vm, const struct regset *want, char *err, size_t len)
{
	uint32_t iidr = 0, typer2 = 0;
	int rc = dist_get(vm, GICD_IIDR, &iidr) ? -EIO : 0;
	uint32_t rev = (uint32_t)regset_uint_or0(want, ABI_GICD_IIDR) & 0xf000u;

	if (!rc && regset_has(want, ABI_GICD_IIDR) && rev != (iidr & 0xf000u))
		rc = apply_dist(vm, GICD_IIDR, "GICD_IIDR", (iidr & ~0xf000u) | rev, err, len);
	if (!rc && regset_has(want, ABI_GICD_TYPER2) && !dist_get(vm, GICD_TYPER2, &typer2) &&
	    typer2 != (uint32_t)regset_uint_or0(want, ABI_GICD_TYPER2))
		rc = apply_dist(vm, GICD_TYPER2, "GICD_TYPER2",
				(uint32_t)regset_uint_or0(want, ABI_GICD_TYPER2), err, len);
	return rc;
}

int profile_apply(struct vm *vm, const struct regset_list *p, char *err, size_t len)
{
	struct regset_list here = { 0 };
	const struct regset *pa = regset_list_findf(p, "abi", 0), *pv = regset_list_findf(p, "vcpu.%u", 0);
	int rc = pa && pv ? profile_probe(vm, &here, 1) : -EINVAL;

	if (!pa || !pv)
		snprintf(err, len, "the profile has no '%s' section", pa ? "vcpu" : "abi");
	/* Why check first: refuse with the field named before changing any. */
	if (!rc)
		rc = compat_honours(p, &here, err, len);
	if (!rc)
		rc = apply_gic(vm, pa, err, len);
	if (!rc)
		rc = apply_regs(vm, pv, regset_list_findf(&here, "vcpu.%u", 0), err, len);
	regset_list_free(&here);
	return rc;
}
