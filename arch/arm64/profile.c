#include "arch/arm64/profile.h"
#include "arch/arm64/compat.h"
#include "arch/arm64/board.h"
#include "arch/arm64/cpu.h"
#include "arch/arm64/gic_state.h"
#include "vmm/kvm.h"
#include "vmm/log.h"
#include "vmm/regset.h"
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

int profile_probe(struct vm *vm, struct regset_list *out)
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
	return rc ? rc : vcpu_state_save(&vm->vcpus[0], v0);
}
