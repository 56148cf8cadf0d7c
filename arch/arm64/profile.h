/* Host profiles: what an arm64 KVM host offers a guest, probed on a VM.
 * The check of a guest against a profile is arch/arm64/compat.h.
 *
 * A profile is a list of named keyed sets (vmm/regset.h):
 *   "abi"           the values of arch/arm64/abi.h (page size, IPA bits,
 *                   counter frequency, GITS_IIDR, GICD_IIDR and the
 *                   revisions KVM accepts for it, GICD_TYPER2 and its
 *                   writable bits, PV-time revision, kernel release,
 *                   dirty-log caps), read as its table says;
 *   "vcpu.0"        a vCPU's registers, keyed by KVM id: the register
 *                   list, ID registers and firmware pseudo-registers.
 */
#ifndef ITSY_ARM64_PROFILE_H
#define ITSY_ARM64_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arch/arm64/compat.h"

struct vm;
struct regset;
struct regset_list;

/* The third section: what KVM lets userspace change, masks keyed by
 * register id: for an implementation register (MIDR_EL1, REVIDR_EL1,
 * AIDR_EL1) the whole register where this host's VMs may show another
 * implementation; for an ID register the bits of the fields userspace may
 * lower; for a firmware feature bitmap the bits it may clear or set. */
#define PROFILE_WRITABLE	COMPAT_WRITABLE

/* What this host offers, probed on @vm: built (board_create) but whose
 * vCPUs have never run. The probe writes GICD_IIDR, GICD_TYPER2, the
 * implementation registers and the firmware bitmaps' bits to learn what
 * KVM accepts, and puts the original values back. The ID registers'
 * masks come from KVM (KVM_ARM_GET_REG_WRITABLE_MASKS) where it has them
 * (Linux 6.8); else only with @writable, by writing every field and
 * putting it back (slow). -errno. */
int profile_probe(struct vm *vm, struct regset_list *out, int writable);

/* The "abi" values of @vm (built; its vCPUs stopped or never run) into
 * @out, each read as arch/arm64/abi.h's table says: with @host every
 * value (the probes write GICD_IIDR and GICD_TYPER2 and put them back:
 * only before the vCPUs first ran), else only what a guest's record holds
 * (no ABI_HOST_ONLY value). A value an older kernel lacks (ABI_OPTIONAL)
 * is left out. -errno. */
int profile_read_abi(struct vm *vm, struct regset *out, int host);

/* The target implementations a pool profile @p (may be NULL) tells its
 * guests of (a COMPAT_IMPL set), or NULL. */
const struct regset *profile_impls(const struct regset_list *p);

/* Profile @p for a person, to @out: the ABI values, then the vCPU's ID
 * and firmware registers with their writable masks. */
void profile_print(const struct regset_list *p, FILE *out);

/* Make @vm (built, its vCPUs never run) show pool profile @p: lower its
 * ID register fields, firmware bitmaps, PSCI version, GICD_IIDR revision
 * and GICD_TYPER2 to @p's values, reading each back. Refuses, before
 * changing anything, where this host cannot honour a field
 * (compat_honours); -EINVAL with the register, field and both values. */
int profile_apply(struct vm *vm, const struct regset_list *p, char *err, size_t len);

#endif
