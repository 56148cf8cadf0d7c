/* Can this host take that guest? The one compatibility check, used by
 * restore, the migration handshake and profile files. Portable: it reads
 * two lists of keyed sets (vmm/regset.h) and nothing else.
 *
 * Both lists hold "abi" (arch/arm64/abi.h) and "vcpu.0" (a vCPU's
 * registers keyed by KVM id: the register list, ID registers and firmware
 * pseudo-registers). For the guest, "abi" and "vcpu.0" are what it has
 * now, and COMPAT_IDREGS the ID registers it saw when it booted: it relies
 * on those, even after moving to a host that shows more. For the host
 * they are what a host profile probe found (arch/arm64/profile.h).
 *
 * The rules:
 *  - "abi": each value by its rule in arch/arm64/abi.h's table: page
 *    size, IPA bits, counter frequency, vCPU count and the PV-time
 *    structure revision are equal (when the host states them);
 *    GITS_IIDR's revision (the ITS table layout) is at most the host's;
 *    GICD_IIDR's revision is one the host accepts from userspace;
 *    GICD_TYPER2 differs only in bits the host lets userspace write;
 *  - every vCPU register of the guest exists on the host, except one
 *    whose value loses nothing on a host without it (compat_reg_droppable);
 *  - every ID register of the host (CTR_EL0 counts as one) has each
 *    4-bit feature field at least as high as the guest saw (a few fields
 *    are signed, 0xf below 0: FP, AdvSIMD, TGran4, TGran64, DoubleLock;
 *    ID_AA64SMFR0_EL1's one-bit fields and CTR_EL0's DIC and IDC are
 *    sets: at least means a superset; CTR_EL0's L1Ip, ERG and CWG must
 *    be equal: KVM takes no other value);
 *  - the implementation registers (MIDR_EL1, REVIDR_EL1, AIDR_EL1) are
 *    the host's, or the host's VMs can show others (its COMPAT_WRITABLE
 *    mask covers where they differ: KVM_CAP_ARM_WRITABLE_IMP_ID_REGS);
 *  - firmware pseudo-registers: PSCI version and SMCCC workaround levels
 *    at most the host's (KVM takes a lower one), feature bitmaps a subset
 *    of the host's, others equal.
 *
 * Profiles of pools of hosts (compat_intersect, compat_honours) add a
 * third section, COMPAT_WRITABLE. */
#ifndef ITSY_ARM64_COMPAT_H
#define ITSY_ARM64_COMPAT_H

#include <stddef.h>
#include <stdint.h>

struct regset;
struct regset_list;

#define COMPAT_IDREGS	"guest.idregs"

/* A host profile's third section: what KVM lets userspace change, keyed
 * by register id, a u64 mask each: for an ID register the bits of the
 * 4-bit fields userspace may set lower than the host's, for a firmware
 * bitmap register (KVM_REG_ARM_FW_FEAT_BMAP) the bits it may clear, for
 * an implementation register the bits it may set to anything. Absent or
 * empty (kernel 6.1): nothing can be changed. */
#define COMPAT_WRITABLE	"writable"

/* Implementations guests may run on: key i < n, le64 MIDR_EL1, REVIDR_EL1, AIDR_EL1 each. */
#define COMPAT_IMPL	"impl"
#define COMPAT_IMPL_MAX	16

/* One line for a person, per value a pool lowered or dropped. */
typedef void (*compat_note_fn)(void *ctx, const char *line);

/* 0, or -EINVAL with a sentence in @err naming the register or value and
 * both sides' values. */
int compat_check(const struct regset_list *guest, const struct regset_list *host,
		 char *err, size_t errlen);

/* The profile of a pool: the most capable one every host of @hosts[0..n-1]
 * (host profiles, or pool profiles themselves) can start guests at, into
 * @pool, which must be empty (zeroed); on failure it is left empty. Hosts
 * are named in messages and notes as "host N (kernel release)", N
 * counting from 1 in the order given. The rules (for "abi", each
 * value's enum abi_pool in arch/arm64/abi.h):
 *  - "abi": page size, IPA bits, counter frequency and PV-time revision
 *    equal on every host, else -EINVAL naming the value and two hosts;
 *    GITS_IIDR the value of the host with the lowest revision (the ITS
 *    table layout every host reads); GICD_IIDR the first host's with the
 *    highest revision every host accepts (ABI_GICD_IIDR_REVS, or a host's
 *    own revision if it has no mask), none -> -EINVAL, and
 *    ABI_GICD_IIDR_REVS the revisions all accept; GICD_TYPER2 the AND of
 *    all hosts' if every host can write the bits it has beyond it (its
 *    ABI_TYPER2_WRITABLE), else -EINVAL, dropped if a host has none, and
 *    ABI_TYPER2_WRITABLE the AND; ABI_DIRTY_CAPS the AND; no ABI_NCPUS (a
 *    pool is for any vCPU count); ABI_KERNEL "pool of N hosts"; any other
 *    value kept when every host has the same, else dropped;
 *  - "vcpu.0": the registers every host has (others dropped). ID
 *    registers: each 4-bit field the lowest any host has (in that field's
 *    order, see above; an exact field that differs: -EINVAL).
 *    Implementation registers: the first host's that cannot show another
 *    implementation, else host 1's: a pool shows one CPU. Firmware pseudo-registers: the lowest PSCI
 *    version and SMCCC workaround level, the AND of feature bitmaps, any
 *    other equal on every host else -EINVAL. Other registers are state,
 *    not capability: the first host's value;
 *  - COMPAT_WRITABLE: per register, the AND of every host's mask (a host
 *    without one has 0); zero masks are left out.
 * Finally every host must honour the pool (compat_honours), else -EINVAL
 * naming the host and why (a host that cannot lower a field the pool
 * lowered cannot be in that pool). @note (may be NULL) gets a line per
 * value lowered or dropped: "ID_AA64PFR0_EL1 bits 35..32 (SVE): 1 -> 0,
 * host 2 (6.1.0-13-arm64) has 0". 0, -EINVAL with a sentence in @err, or
 * -ENOMEM. */
int compat_intersect(const struct regset_list *const *hosts, unsigned n, struct regset_list *pool,
		     compat_note_fn note, void *ctx, char *err, size_t errlen);

/* Can the host of profile @host start a guest at @profile (its vCPUs set
 * to the profile's ID and firmware registers before they first run)?
 * Every ID register field where they differ must be lower in the profile
 * and writable on the host (its COMPAT_WRITABLE mask); every firmware
 * bitmap of the profile a subset of the host's, the bits they differ in
 * writable; and everything compat_check() requires of a guest at the
 * profile, but the vCPU count. 0, or -EINVAL with a sentence in @err
 * naming the register, the field bits, both values and "this host lacks
 * it" or "not writable on this host's KVM". */
int compat_honours(const struct regset_list *profile, const struct regset_list *host,
		   char *err, size_t errlen);

/* "ID_AA64PFR0_EL1" or "KVM_REG_ARM_PSCI_VERSION" for a register of
 * arch/arm64/idreg.h's table, vcpu_reg_name() else. */
const char *compat_reg_label(uint64_t id, char *buf, size_t len);

/* A register a host may lack while the guest loses nothing: a disabled
 * physical timer (CNTP_CTL_EL0 ENABLE clear; its CVAL and count then mean
 * nothing), which KVM lists only since 6.2; or a register of a CPU feature
 * the guest's boot-time ID registers @idregs (may be NULL) do not show
 * (TCR2_EL1, PIR*_EL1, POR_EL*, FPMR, listed by newer kernels); or the
 * geometry (CCSIDR) of a cache the guest's CLIDR_EL1 in its register set
 * @vcpu (may be NULL) does not describe. */
int compat_reg_droppable(uint64_t id, const uint8_t *val, uint32_t len,
			 const struct regset *idregs, const struct regset *vcpu);

/* "0x6030...(S3_3_C14_C2_1)" for a system register id, the bare id else. */
const char *vcpu_reg_name(uint64_t id, char *buf, size_t len);

/* A feature ID register (op0 3, op1 0, CRn 0, CRm 1..7)? */
int vcpu_reg_is_id(uint64_t id);

/* A firmware pseudo-register (KVM_REG_ARM_FW: PSCI version, SMCCC
 * workaround levels; or a KVM_REG_ARM_FW_FEAT_BMAP feature bitmap)? And
 * a feature bitmap? */
int vcpu_reg_is_fw(uint64_t id);
int vcpu_reg_is_fw_bitmap(uint64_t id);

/* Every 4-bit feature field of @here is at least that of @saw. */
int vcpu_id_fields_superset(uint64_t here, uint64_t saw);

#endif
