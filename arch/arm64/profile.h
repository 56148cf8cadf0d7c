/* Host profiles: what an arm64 KVM host offers a guest, probed on a VM.
 * The check of a guest against a profile is arch/arm64/compat.h.
 *
 * A profile is a list of named keyed sets (vmm/regset.h):
 *   "abi"           board_abi_key values (page size, IPA bits, counter
 *                   frequency, GITS_IIDR, GICD_IIDR and the revisions KVM
 *                   accepts for it, GICD_TYPER2 and its writable bits,
 *                   PV-time revision, kernel release, dirty-log caps);
 *   "vcpu.0"        a vCPU's registers, keyed by KVM id: the register
 *                   list, ID registers and firmware pseudo-registers.
 */
#ifndef ITSY_ARM64_PROFILE_H
#define ITSY_ARM64_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arm64/compat.h"

struct vm;
struct regset;
struct regset_list;

/* Dirty-tracking capabilities, in ABI_DIRTY_CAPS. */
#define PROFILE_DIRTY_MANUAL_PROTECT	1u	/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 */
#define PROFILE_DIRTY_RING_ACQ_REL	2u	/* KVM_CAP_DIRTY_LOG_RING_ACQ_REL */
#define PROFILE_DIRTY_RING_BITMAP	4u	/* KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP */

/* With @writable, a third section: for each ID register the 4-bit fields
 * KVM lets userspace lower, for each firmware feature bitmap the bits it
 * lets userspace clear (masks keyed by register id). */
#define PROFILE_WRITABLE	COMPAT_WRITABLE

/* What this host offers, probed on @vm: built (board_create) but whose
 * vCPUs have never run. The probe writes GICD_IIDR and GICD_TYPER2 (and,
 * with @writable, every ID register field) to learn what KVM accepts, and
 * puts the original values back. -errno. */
int profile_probe(struct vm *vm, struct regset_list *out, int writable);

/* Make @vm (built, its vCPUs never run) show pool profile @p: lower its
 * ID register fields, firmware bitmaps, PSCI version, GICD_IIDR revision
 * and GICD_TYPER2 to @p's values, reading each back. Refuses, before
 * changing anything, where this host cannot honour a field
 * (compat_honours); -EINVAL with the register, field and both values. */
int profile_apply(struct vm *vm, const struct regset_list *p, char *err, size_t len);

#endif
