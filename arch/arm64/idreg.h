/* The registers that say what a vCPU offers, by name: the feature ID
 * registers with their 4-bit fields and how each field orders its values,
 * and the firmware pseudo-registers (fw-pseudo-registers.rst) with the
 * bits of the feature bitmaps. The one place that knows these names, for
 * messages (arch/arm64/compat.h) and for profile files a person reads and
 * edits (migration/profile_file.h). Portable: the table is built against
 * the arm64 KVM uapi, this header needs none.
 *
 * Names are those of the Arm ARM and of KVM's uapi: "ID_AA64PFR0_EL1",
 * its field "SVE"; "KVM_REG_ARM_STD_BMAP", its bit "TRNG_V1_0" (the
 * uapi's KVM_REG_ARM_STD_BIT_TRNG_V1_0 without the register's prefix).
 * A name once given is never changed: profile files hold it. */
#ifndef ITSY_ARM64_IDREG_H
#define ITSY_ARM64_IDREG_H

#include <stddef.h>
#include <stdint.h>

/* How a 4-bit ID field orders its values. Most count up (0 = absent);
 * a few are signed (0xf = absent, 0 = present); one-bit fields packed in
 * a nibble (ID_AA64SMFR0_EL1, CTR_EL0's DIC and IDC) are sets of
 * features; a few have no order at all and must be the same on both
 * sides (CTR_EL0's granules: KVM takes no other value). */
enum idreg_field_kind {
	IDREG_FIELD_UNSIGNED, IDREG_FIELD_SIGNED, IDREG_FIELD_BITS, IDREG_FIELD_EXACT
};

/* The implementation registers (MIDR_EL1, REVIDR_EL1, AIDR_EL1): who made
 * the CPU, not what it offers. KVM shows the host's; since Linux 6.15 a
 * VM with KVM_CAP_ARM_WRITABLE_IMP_ID_REGS may show others. */
int idreg_is_impl(uint64_t id);

#define IDREG_MIDR_EL1		0x603000000013c000ull	/* ARM64_SYS_REG(3, 0, 0, 0, 0) */
#define IDREG_REVIDR_EL1	0x603000000013c006ull	/* ARM64_SYS_REG(3, 0, 0, 0, 6) */
#define IDREG_AIDR_EL1		0x603000000013c807ull	/* ARM64_SYS_REG(3, 1, 0, 0, 7) */

/* The bits of implementation register @id that a value may have
 * (MIDR_EL1 is 32 bits wide). */
uint64_t idreg_impl_mask(uint64_t id);

/* The name of register @id ("ID_AA64PFR0_EL1", "KVM_REG_ARM_PSCI_VERSION"),
 * or NULL for one the table does not name. */
const char *idreg_name(uint64_t id);

/* The id of the register named @name into @id: 0, or -ENOENT. */
int idreg_lookup(const char *name, uint64_t *id);

/* The name of 4-bit field @f (bits 4f+3..4f, @f 0..15) of ID register
 * @id, or NULL: not an ID register, or a field the table does not name
 * (reserved, or not named here, as the AArch32 view's). */
const char *idreg_field_name(uint64_t id, unsigned f);

/* The index of @id's field named @name, or -ENOENT. */
int idreg_field_lookup(uint64_t id, const char *name);

/* How @id's field @f orders its values: unsigned for any the table does
 * not say otherwise of. */
enum idreg_field_kind idreg_field_kind(uint64_t id, unsigned f);

/* The name of bit @b (0..63) of firmware bitmap register @id, or NULL:
 * not a bitmap, or a bit KVM did not define when the table was written. */
const char *idreg_bit_name(uint64_t id, unsigned b);

/* The index of @id's bit named @name, or -ENOENT. */
int idreg_bit_lookup(uint64_t id, const char *name);

/* The SVE vector lengths of a KVM_REG_ARM64_SVE_VLS value (@n bytes at
 * @vls: little-endian words, bit vq - 1 for vq * 128 bits) for a person:
 * "128 256 512 bits", or "no SVE"; into @buf. */
const char *idreg_sve_vls_text(const void *vls, size_t n, char *buf, size_t len);

/* The longest of those lengths, in quadwords (128 bits); 0: none. */
unsigned idreg_sve_vls_longest(const void *vls, size_t n);

#endif
