/* Can this host take that guest? The one compatibility check, used by
 * restore, the migration handshake and profile files. Portable: it reads
 * two lists of keyed sets (vmm/regset.h) and nothing else.
 *
 * Both lists hold "abi" (board_abi_key values) and "vcpu.0" (a vCPU's
 * registers keyed by KVM id: the register list, ID registers and firmware
 * pseudo-registers). For the guest, "abi" and "vcpu.0" are what it has
 * now, and COMPAT_IDREGS the ID registers it saw when it booted: it relies
 * on those, even after moving to a host that shows more. For the host
 * they are what a host profile probe found (arch/arm64/profile.h).
 *
 * The rules:
 *  - page size, IPA bits, counter frequency, vCPU count and the PV-time
 *    structure revision are equal (when the host states them);
 *  - GITS_IIDR's revision (the ITS table layout) is at most the host's;
 *  - GICD_IIDR's revision is one the host accepts from userspace;
 *  - GICD_TYPER2 differs only in bits the host lets userspace write;
 *  - every vCPU register of the guest exists on the host, except one
 *    whose value loses nothing on a host without it (compat_reg_droppable);
 *  - every ID register of the host has each 4-bit feature field at least
 *    as high as the guest saw;
 *  - firmware pseudo-registers: PSCI version at most the host's, feature
 *    bitmaps a subset of the host's, others equal. */
#ifndef ITSY_ARM64_COMPAT_H
#define ITSY_ARM64_COMPAT_H

#include <stddef.h>
#include <stdint.h>

struct regset_list;

#define COMPAT_IDREGS	"guest.idregs"

/* 0, or -EINVAL with a sentence in @err naming the register or value and
 * both sides' values. */
int compat_check(const struct regset_list *guest, const struct regset_list *host,
		 char *err, size_t errlen);

/* A register a host may lack while the guest loses nothing: a disabled
 * physical timer (CNTP_CTL_EL0 ENABLE clear; its CVAL and count then mean
 * nothing), which KVM lists only since 6.2. */
int compat_reg_droppable(uint64_t id, const uint8_t *val, uint32_t len);

/* "0x6030...(S3_3_C14_C2_1)" for a system register id, the bare id else. */
const char *vcpu_reg_name(uint64_t id, char *buf, size_t len);

/* A feature ID register (op0 3, op1 0, CRn 0, CRm 1..7)? */
int vcpu_reg_is_id(uint64_t id);

/* Every 4-bit feature field of @here is at least that of @saw. */
int vcpu_id_fields_superset(uint64_t here, uint64_t saw);

#endif
