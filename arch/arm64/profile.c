#include "arch/arm64/profile.h"
#include "arch/arm64/abi.h"
#include "arch/arm64/compat.h"
#include "arch/arm64/board.h"
#include "arch/arm64/cpu.h"
#include "arch/arm64/gic_state.h"
#include "arch/arm64/idreg.h"
#include "arch/arm64/pvtime.h"
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
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

/* ---- the ABI values, as arch/arm64/abi.h's table says ---- */

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

static int dist_read(struct vm *vm, uint32_t off, uint64_t *v)
{
	uint32_t x = 0;
	int rc = dist_get(vm, off, &x);

	*v = x;
	return rc;
}

static int its_read(struct vm *vm, uint32_t off, uint64_t *v)
{
	struct arm64_vm *a = vm->arch;

	return kvm_device_get(a->gic.its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, off, v);
}

/* The distributor register @e is about (through its pair), and its value
 * as read so far: -ENOENT if this host has none. */
static int paired_reg(const struct abi_entry *e, const struct regset *s, uint32_t *off, uint32_t *v)
{
	uint64_t x;

	if (regset_get_uint(s, e->pair, &x))
		return -ENOENT;
	*off = abi_find(e->pair)->arg;
	*v = (uint32_t)x;
	return 0;
}

/* Which revisions of the paired IIDR KVM lets userspace pick (a bit each). */
static int probe_revs(struct vm *vm, const struct abi_entry *e, const struct regset *s, uint64_t *mask)
{
	uint32_t off, iidr, back;
	int rc = paired_reg(e, s, &off, &iidr);

	*mask = 0;
	for (unsigned r = 0; !rc && r < 16; r++) {
		uint32_t v = (uint32_t)abi_with_revision(iidr, r);

		if (!dist_set(vm, off, v) && !dist_get(vm, off, &back) && back == v)
			*mask |= 1u << r;
	}
	if (!rc)
		dist_set(vm, off, iidr);	/* the host's own, as if never probed */
	return rc;
}

/* Which of the bits @e->arg of the paired register userspace may flip. */
static int probe_flips(struct vm *vm, const struct abi_entry *e, const struct regset *s, uint64_t *w)
{
	uint32_t off, v, back = 0;
	int rc = paired_reg(e, s, &off, &v);

	*w = 0;
	if (!rc && !dist_set(vm, off, v ^ e->arg) && !dist_get(vm, off, &back) && back == (v ^ e->arg))
		*w = e->arg;
	if (!rc)
		dist_set(vm, off, v);
	return rc;
}

static uint64_t probe_dirty_caps(struct vm *vm)
{
	uint32_t caps = 0;

	if (kvm_check(&vm->kvm, 1, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0)
		caps |= ABI_DIRTY_MANUAL_PROTECT;
	if (kvm_check(&vm->kvm, 1, KVM_CAP_DIRTY_LOG_RING_ACQ_REL) > 0)
		caps |= ABI_DIRTY_RING_ACQ_REL;
	if (kvm_check(&vm->kvm, 1, KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP) > 0)
		caps |= ABI_DIRTY_RING_BITMAP;
	return caps;
}

/* The stolen-time revision: this host's, or with @host 0 the guest's,
 * which it has only with stolen time (then it is this host's). */
static int pvtime_rev(struct vm *vm, int host, uint64_t *v)
{
	struct arm64_vm *a = vm->arch;
	uint32_t rev;

	if (!(host || a->pvtime.on) || pvtime_host_revision(&rev))
		return -ENOENT;
	*v = rev;
	return 0;
}

/* @s: the values read before @e (the table reads a pair's register first). */
static int read_uint(struct vm *vm, const struct abi_entry *e, const struct regset *s, int host,
		     uint64_t *v)
{
	switch (e->source) {
	case ABI_SRC_PAGE_SIZE:		*v = (uint64_t)sysconf(_SC_PAGESIZE); return 0;
	case ABI_SRC_IPA_BITS:		*v = memmap_ipa_bits(); return 0;
	case ABI_SRC_COUNTER_FREQ:	*v = cpu_counter_freq(); return 0;
	case ABI_SRC_VCPUS:		*v = vm->ncpus; return 0;
	case ABI_SRC_PVTIME:		return pvtime_rev(vm, host, v);
	case ABI_SRC_DIRTY_CAPS:	*v = probe_dirty_caps(vm); return 0;
	case ABI_SRC_ITS_REG:		return its_read(vm, e->arg, v);
	case ABI_SRC_DIST_REG:		return dist_read(vm, e->arg, v);
	case ABI_SRC_DIST_REVS:		return probe_revs(vm, e, s, v);
	case ABI_SRC_DIST_WRITABLE:	return probe_flips(vm, e, s, v);
	case ABI_SRC_KERNEL:		break;
	}
	return -EINVAL;
}

static int read_value(struct vm *vm, const struct abi_entry *e, struct regset *s, int host)
{
	struct utsname u;
	uint64_t v = 0;
	int rc;

	if (e->source == ABI_SRC_KERNEL) {
		uname(&u);
		return regset_put(s, e->key, u.release, strlen(u.release));
	}
	rc = read_uint(vm, e, s, host, &v);
	if (rc == -ENOENT || (rc && (e->flags & ABI_OPTIONAL)))
		return 0;	/* not on this host */
	return rc ? -EIO : regset_put_uint(s, e->key, v, e->len);
}

int profile_read_abi(struct vm *vm, struct regset *out, int host)
{
	size_t n;
	const struct abi_entry *t = abi_table(&n);
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		if (host || !(t[i].flags & ABI_HOST_ONLY))
			rc = read_value(vm, &t[i], out, host);
	return rc;
}

/* ---- probing the vCPU registers ---- */

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

/* Implementation registers: all or nothing. ID registers: the 4-bit
 * fields KVM lets userspace lower by one (a mask of whole fields). Feature bitmaps: the bits it lets userspace clear,
 * and those of the bits KVM defines (arch/arm64/idreg.h) it lets
 * userspace set (VENDOR_HYP_BMAP_2's are reset to 0). */
static uint64_t writable_mask(struct vcpu *v, uint64_t id, uint64_t val)
{
	uint64_t mask = 0, bit;

	/* The whole register, where the VM may show another implementation
	 * (KVM_CAP_ARM_WRITABLE_IMP_ID_REGS, enabled by board_create). */
	if (idreg_is_impl(id))
		return takes(v, id, val, val ^ 1) ? idreg_impl_mask(id) : 0;
	if (vcpu_reg_is_id(id)) {
		for (unsigned s = 0; s < 64; s += 4)
			if ((val >> s & 0xf) && takes(v, id, val, val - (1ull << s)))
				mask |= 0xfull << s;
		return mask;
	}
	for (unsigned b = 0; b < 64; b++) {
		bit = 1ull << b;
		if ((val & bit) || idreg_bit_name(id, b))
			mask |= takes(v, id, val, val ^ bit) ? bit : 0;
	}
	return mask;
}

/* Only before the VM first ran: KVM refuses ID register writes after.
 * The implementation registers and the firmware bitmaps, and with @ids
 * the ID registers too, field by field (slow: three ioctls a field). */
static int probe_writable(struct vm *vm, const struct regset *v0, struct regset *out, int ids)
{
	size_t pos = 0;
	uint64_t key, val;
	const uint8_t *p;
	uint32_t n;
	int rc = 0;

	while (!rc && regset_next(v0, &pos, &key, &p, &n)) {
		uint64_t mask;

		if (n != 8 || !((ids && vcpu_reg_is_id(key)) || idreg_is_impl(key) ||
				vcpu_reg_is_fw_bitmap(key)))
			continue;
		val = regset_uint_or0(v0, key);
		mask = writable_mask(&vm->vcpus[0], key, val);
		if (mask)
			rc = regset_put_uint(out, key, mask, 8);
	}
	return rc;
}

/* The feature ID range's index of system register @id. */
static unsigned id_range_index(uint64_t id)
{
#define ENC(f) ((id & KVM_REG_ARM64_SYSREG_##f##_MASK) >> KVM_REG_ARM64_SYSREG_##f##_SHIFT)
	return (unsigned)KVM_ARM_FEATURE_ID_RANGE_IDX(ENC(OP0), ENC(OP1), ENC(CRN), ENC(CRM), ENC(OP2));
#undef ENC
}

/* The ID registers' writable masks as KVM states them
 * (KVM_ARM_GET_REG_WRITABLE_MASKS, Linux 6.8), in one call instead of a
 * probe of every field. -EOPNOTSUPP where KVM does not offer them. */
static int masks_from_kvm(struct vm *vm, const struct regset *v0, struct regset *out)
{
	uint64_t masks[KVM_ARM_FEATURE_ID_RANGE_SIZE] = { 0 };
	struct reg_mask_range r = { .addr = (uintptr_t)masks, .range = KVM_ARM_FEATURE_ID_RANGE };
	size_t pos = 0;
	uint64_t key;
	const uint8_t *p;
	uint32_t n;
	int rc = 0;

	if (!(kvm_check(&vm->kvm, 1, KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES) & (1 << r.range)))
		return -EOPNOTSUPP;
	if (ioctl(vm->kvm.vm_fd, KVM_ARM_GET_REG_WRITABLE_MASKS, &r))
		return -errno;
	while (!rc && regset_next(v0, &pos, &key, &p, &n))
		if (n == 8 && vcpu_reg_is_id(key) && masks[id_range_index(key)])
			rc = regset_put_uint(out, key, masks[id_range_index(key)], 8);
	return rc;
}

/* What KVM lets userspace change: the implementation registers, the
 * firmware bitmaps and the ID registers (from KVM's masks, or with @full
 * by probing every field). */
static int probe_changeable(struct vm *vm, const struct regset *v0, struct regset *out, int full)
{
	int rc = masks_from_kvm(vm, v0, out), no_masks = rc == -EOPNOTSUPP;

	return rc && !no_masks ? rc : probe_writable(vm, v0, out, full && no_masks);
}

int profile_probe(struct vm *vm, struct regset_list *out, int writable)
{
	struct regset *abi = regset_list_add(out, "abi", 1), *v0, *w;
	int rc = abi ? profile_read_abi(vm, abi, 1) : -ENOMEM;

	v0 = rc ? NULL : regset_list_add(out, "vcpu.0", 1);
	if (!rc && !v0)
		rc = -ENOMEM;
	rc = rc ? rc : vcpu_state_save(&vm->vcpus[0], v0);
	w = rc ? NULL : regset_list_add(out, PROFILE_WRITABLE, 1);
	if (!rc && !w)
		rc = -ENOMEM;
	/* v0 may have moved: the list grew. Look it up again. */
	return rc ? rc : probe_changeable(vm, regset_list_findf(out, "vcpu.%u", 0), w, writable);
}

/* ---- starting a guest at a pool's baseline ---- */

static int is_fw_value(uint64_t id)
{
	return id == KVM_REG_ARM_PSCI_VERSION || vcpu_reg_is_fw_bitmap(id);
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

		if (n == 8 && (vcpu_reg_is_id(key) || idreg_is_impl(key) || is_fw_value(key)) &&
		    v != regset_uint_or0(here, key))
			rc = set_everywhere(vm, key, v, err, len);
	}
	return rc;
}

/* What the profile asks of distributor value @e, this host having @have:
 * a revision keeps the rest of this host's register. */
static uint32_t dist_wanted(const struct abi_entry *e, const struct regset *want, uint32_t have)
{
	uint64_t v = regset_uint_or0(want, e->key);

	if (e->cmp == ABI_CMP_REV_ACCEPTED)
		v = abi_with_revision(have, abi_revision(v));
	return (uint32_t)v;
}

static int apply_dist(struct vm *vm, const struct abi_entry *e, const struct regset *want,
		      char *err, size_t len)
{
	uint32_t have = 0, v, back = 0;

	if (dist_get(vm, e->arg, &have)) {
		if (e->flags & ABI_OPTIONAL)
			return 0;	/* an older kernel: nothing to set */
		snprintf(err, len, "%s: this host's KVM does not show it", e->label);
		return -EIO;
	}
	v = dist_wanted(e, want, have);
	if (v == have || (!dist_set(vm, e->arg, v) && !dist_get(vm, e->arg, &back) && back == v))
		return 0;
	snprintf(err, len, "%s: the profile wants 0x%x, this host's KVM keeps 0x%x", e->label, v, back);
	return -EINVAL;
}

/* The distributor's ABI values (GICD_IIDR's revision, GICD_TYPER2). */
static int apply_gic(struct vm *vm, const struct regset *want, char *err, size_t len)
{
	size_t n;
	const struct abi_entry *t = abi_table(&n);
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		if (t[i].source == ABI_SRC_DIST_REG && regset_has(want, t[i].key))
			rc = apply_dist(vm, &t[i], want, err, len);
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

const struct regset *profile_impls(const struct regset_list *p)
{
	return p ? regset_list_findf(p, COMPAT_IMPL, 0) : NULL;
}

/* ---- for a person ---- */

void profile_print(const struct regset_list *p, FILE *out)
{
	const struct regset *v = regset_list_findf(p, "vcpu.%u", 0), *w = regset_list_findf(p, PROFILE_WRITABLE, 0);
	size_t pos = 0;
	uint64_t key;
	const uint8_t *val;
	uint32_t n;
	char name[64], vls[200];

	abi_print(regset_list_findf(p, "abi", 0), out, "");
	val = v ? regset_get(v, KVM_REG_ARM64_SVE_VLS, &n) : NULL;
	fprintf(out, "%-35s %s\n", "SVE vector lengths", val ? idreg_sve_vls_text(val, n, vls, sizeof(vls)) : "no SVE");
	fprintf(out, "%-35s %u\n", "vCPU registers", v ? v->count : 0);
	while (v && regset_next(v, &pos, &key, &val, &n)) {
		int fw = vcpu_reg_is_fw(key);

		if (n != 8 || !(vcpu_reg_is_id(key) || idreg_is_impl(key) || fw))
			continue;
		fprintf(out, "  %s %-44s 0x%016llx writable 0x%016llx\n", fw ? "fw" : "id",
			vcpu_reg_name(key, name, sizeof(name)), (unsigned long long)regset_uint_or0(v, key),
			(unsigned long long)regset_uint_or0(w, key));
	}
}
