#include "arch/arm64/idreg.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- ID registers ---- */

#define NIB(n)	(1u << (n))

struct idreg_info {
	uint64_t id;
	const char *name;
	/* A bit per field, field 0 = bits 3..0 (enum idreg_field_kind). */
	uint16_t signed_fields, bit_fields, exact_fields;
	const char *field[16];
};

#define REG_MIDR_EL1	ARM64_SYS_REG(3, 0, 0, 0, 0)
#define REG_REVIDR_EL1	ARM64_SYS_REG(3, 0, 0, 0, 6)
#define REG_AIDR_EL1	ARM64_SYS_REG(3, 1, 0, 0, 7)

/* The header spells them out for code without the arm64 uapi. */
_Static_assert(REG_MIDR_EL1 == IDREG_MIDR_EL1 && REG_REVIDR_EL1 == IDREG_REVIDR_EL1 &&
	       REG_AIDR_EL1 == IDREG_AIDR_EL1, "implementation register ids");

static const struct idreg_info idregs[] = {
	{ ARM64_SYS_REG(3, 0, 0, 4, 0), "ID_AA64PFR0_EL1", NIB(4) | NIB(5), 0, 0,
	  { "EL0", "EL1", "EL2", "EL3", "FP", "AdvSIMD", "GIC", "RAS", "SVE", "SEL2", "MPAM",
	    "AMU", "DIT", "RME", "CSV2", "CSV3" } },
	{ ARM64_SYS_REG(3, 0, 0, 4, 1), "ID_AA64PFR1_EL1", 0, 0, 0,
	  { "BT", "SSBS", "MTE", "RAS_frac", "MPAM_frac", NULL, "SME", "RNDR_trap", "CSV2_frac",
	    "NMI", "MTE_frac", "GCS", "THE", "MTEX", "DF2", "PFAR" } },
	{ ARM64_SYS_REG(3, 0, 0, 4, 4), "ID_AA64ZFR0_EL1", 0, 0, 0,
	  { "SVEver", "AES", NULL, NULL, "BitPerm", "BF16", "B16B16", NULL, "SHA3", NULL, "SM4",
	    "I8MM", NULL, "F32MM", "F64MM", NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 4, 5), "ID_AA64SMFR0_EL1", 0, (uint16_t)~NIB(14), 0,
	  { [9] = "I8I32", [11] = "I16I32", [12] = "F64F64", [13] = "I16I64", [14] = "SMEver",
	    [15] = "FA64" } },
	{ ARM64_SYS_REG(3, 0, 0, 5, 0), "ID_AA64DFR0_EL1", NIB(9), 0, 0,
	  { "DebugVer", "TraceVer", "PMUVer", "BRPs", "PMSS", "WRPs", "SEBEP", "CTX_CMPs",
	    "PMSVer", "DoubleLock", "TraceFilt", "TraceBuffer", "MTPMU", "BRBE", "ExtTrcBuff",
	    "HPMN0" } },
	{ ARM64_SYS_REG(3, 0, 0, 6, 0), "ID_AA64ISAR0_EL1", 0, 0, 0,
	  { NULL, "AES", "SHA1", "SHA2", "CRC32", "Atomic", "TME", "RDM", "SHA3", "SM3", "SM4",
	    "DP", "FHM", "TS", "TLB", "RNDR" } },
	{ ARM64_SYS_REG(3, 0, 0, 6, 1), "ID_AA64ISAR1_EL1", 0, 0, 0,
	  { "DPB", "APA", "API", "JSCVT", "FCMA", "LRCPC", "GPA", "GPI", "FRINTTS", "SB",
	    "SPECRES", "BF16", "DGH", "I8MM", "XS", "LS64" } },
	{ ARM64_SYS_REG(3, 0, 0, 6, 2), "ID_AA64ISAR2_EL1", 0, 0, 0,
	  { "WFxT", "RPRES", "GPA3", "APA3", "MOPS", "BC", "PAC_frac", "CLRBHB", "SYSREG_128",
	    "SYSINSTR_128", "PRFMSLC", NULL, "RPRFM", "CSSC", "LUT", "ATS1A" } },
	{ ARM64_SYS_REG(3, 0, 0, 7, 0), "ID_AA64MMFR0_EL1", NIB(6) | NIB(7), 0, 0,
	  { "PARange", "ASIDBits", "BigEnd", "SNSMem", "BigEndEL0", "TGran16", "TGran64",
	    "TGran4", "TGran16_2", "TGran64_2", "TGran4_2", "ExS", NULL, NULL, "FGT", "ECV" } },
	{ ARM64_SYS_REG(3, 0, 0, 7, 1), "ID_AA64MMFR1_EL1", 0, 0, 0,
	  { "HAFDBS", "VMIDBits", "VH", "HPDS", "LO", "PAN", "SpecSEI", "XNX", "TWED", "ETS",
	    "HCX", "AFP", "nTLBPA", "TIDCP1", "CMOW", "ECBHB" } },
	{ ARM64_SYS_REG(3, 0, 0, 7, 2), "ID_AA64MMFR2_EL1", 0, 0, 0,
	  { "CnP", "UAO", "LSM", "IESB", "VARange", "CCIDX", "NV", "ST", "AT", "IDS", "FWB",
	    NULL, "TTL", "BBM", "EVT", "E0PD" } },
	/* The AArch32 view (names only: its fields are not named here). */
	{ ARM64_SYS_REG(3, 0, 0, 1, 0), "ID_PFR0_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 1, 1), "ID_PFR1_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 1, 2), "ID_DFR0_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 1, 4), "ID_MMFR0_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 1, 5), "ID_MMFR1_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 1, 6), "ID_MMFR2_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 1, 7), "ID_MMFR3_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 2, 0), "ID_ISAR0_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 2, 1), "ID_ISAR1_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 2, 2), "ID_ISAR2_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 2, 3), "ID_ISAR3_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 2, 4), "ID_ISAR4_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 2, 5), "ID_ISAR5_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 2, 6), "ID_MMFR4_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 2, 7), "ID_ISAR6_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 3, 0), "MVFR0_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 3, 1), "MVFR1_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 3, 2), "MVFR2_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 3, 4), "ID_PFR2_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 3, 5), "ID_DFR1_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 3, 6), "ID_MMFR5_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 4, 2), "ID_AA64PFR2_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 7, 3), "ID_AA64MMFR3_EL1", 0, 0, 0, { NULL } },
	{ ARM64_SYS_REG(3, 0, 0, 7, 4), "ID_AA64MMFR4_EL1", 0, 0, 0, { NULL } },
	/* The cache type: bits 31..28 are RES1, 0, DIC and IDC (a set);
	 * L1Ip (bits 15..14), ERG and CWG only take the host's value. */
	{ ARM64_SYS_REG(3, 3, 0, 0, 1), "CTR_EL0", 0, NIB(7), NIB(3) | NIB(5) | NIB(6),
	  { "IminLine", [4] = "DminLine", [5] = "ERG", [6] = "CWG" } },
	/* Implementation registers: a value, no fields. */
	{ REG_MIDR_EL1, "MIDR_EL1", 0, 0, 0, { NULL } },
	{ REG_REVIDR_EL1, "REVIDR_EL1", 0, 0, 0, { NULL } },
	{ REG_AIDR_EL1, "AIDR_EL1", 0, 0, 0, { NULL } },
};


/* ---- firmware pseudo-registers ---- */

/* Bits a bitmap names: KVM defines two at most so far. */
#define FW_BITS	4

static const struct fwreg_info {
	uint64_t id;
	const char *name;
	const char *bit[FW_BITS];	/* a feature bitmap's bits, by the uapi's names */
} fwregs[] = {
	{ KVM_REG_ARM_PSCI_VERSION, "KVM_REG_ARM_PSCI_VERSION", { NULL } },
	{ KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1, "KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1", { NULL } },
	{ KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2, "KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2", { NULL } },
	{ KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3, "KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3", { NULL } },
	{ KVM_REG_ARM_STD_BMAP, "KVM_REG_ARM_STD_BMAP",
	  { [KVM_REG_ARM_STD_BIT_TRNG_V1_0] = "TRNG_V1_0" } },
	{ KVM_REG_ARM_STD_HYP_BMAP, "KVM_REG_ARM_STD_HYP_BMAP",
	  { [KVM_REG_ARM_STD_HYP_BIT_PV_TIME] = "PV_TIME" } },
	{ KVM_REG_ARM_VENDOR_HYP_BMAP, "KVM_REG_ARM_VENDOR_HYP_BMAP",
	  { [KVM_REG_ARM_VENDOR_HYP_BIT_FUNC_FEAT] = "FUNC_FEAT",
	    [KVM_REG_ARM_VENDOR_HYP_BIT_PTP] = "PTP" } },
	{ KVM_REG_ARM_VENDOR_HYP_BMAP_2, "KVM_REG_ARM_VENDOR_HYP_BMAP_2",
	  { [KVM_REG_ARM_VENDOR_HYP_BIT_DISCOVER_IMPL_VER] = "DISCOVER_IMPL_VER",
	    [KVM_REG_ARM_VENDOR_HYP_BIT_DISCOVER_IMPL_CPUS] = "DISCOVER_IMPL_CPUS" } },
};

static const struct idreg_info *idreg_info(uint64_t id)
{
	for (size_t i = 0; i < ARRAY_LEN(idregs); i++)
		if (idregs[i].id == id)
			return &idregs[i];
	return NULL;
}

static const struct fwreg_info *fwreg_info(uint64_t id)
{
	for (size_t i = 0; i < ARRAY_LEN(fwregs); i++)
		if (fwregs[i].id == id)
			return &fwregs[i];
	return NULL;
}

/* ---- by id and by name ---- */

const char *idreg_name(uint64_t id)
{
	const struct idreg_info *r = idreg_info(id);
	const struct fwreg_info *fw = r ? NULL : fwreg_info(id);

	return r ? r->name : fw ? fw->name : NULL;
}

int idreg_lookup(const char *name, uint64_t *id)
{
	for (size_t i = 0; i < ARRAY_LEN(idregs); i++)
		if (!strcmp(idregs[i].name, name)) {
			*id = idregs[i].id;
			return 0;
		}
	for (size_t i = 0; i < ARRAY_LEN(fwregs); i++)
		if (!strcmp(fwregs[i].name, name)) {
			*id = fwregs[i].id;
			return 0;
		}
	return -ENOENT;
}

const char *idreg_field_name(uint64_t id, unsigned f)
{
	const struct idreg_info *r = idreg_info(id);

	return r && f < 16 ? r->field[f] : NULL;
}

int idreg_field_lookup(uint64_t id, const char *name)
{
	for (unsigned f = 0; f < 16; f++)
		if (idreg_field_name(id, f) && !strcmp(idreg_field_name(id, f), name))
			return (int)f;
	return -ENOENT;
}

enum idreg_field_kind idreg_field_kind(uint64_t id, unsigned f)
{
	const struct idreg_info *r = idreg_info(id);

	if (r && (r->signed_fields & NIB(f)))
		return IDREG_FIELD_SIGNED;
	if (r && (r->exact_fields & NIB(f)))
		return IDREG_FIELD_EXACT;
	return r && (r->bit_fields & NIB(f)) ? IDREG_FIELD_BITS : IDREG_FIELD_UNSIGNED;
}

int idreg_is_impl(uint64_t id)
{
	return id == REG_MIDR_EL1 || id == REG_REVIDR_EL1 || id == REG_AIDR_EL1;
}

uint64_t idreg_impl_mask(uint64_t id)
{
	return id == REG_MIDR_EL1 ? 0xffffffffull : ~0ull;
}

const char *idreg_bit_name(uint64_t id, unsigned b)
{
	const struct fwreg_info *fw = fwreg_info(id);

	return fw && b < FW_BITS ? fw->bit[b] : NULL;
}

int idreg_bit_lookup(uint64_t id, const char *name)
{
	for (unsigned b = 0; b < FW_BITS; b++)
		if (idreg_bit_name(id, b) && !strcmp(idreg_bit_name(id, b), name))
			return (int)b;
	return -ENOENT;
}

/* Whether length @vq (quadwords, from 1) is in the VLS bitmap @p. */
static int vq_present(const uint8_t *p, unsigned vq)
{
	return p[(vq - 1) / 8] >> ((vq - 1) % 8) & 1;
}

unsigned idreg_sve_vls_longest(const void *vls, size_t n)
{
	unsigned top = 0;

	for (unsigned vq = 1; vq <= n * 8; vq++)
		top = vq_present(vls, vq) ? vq : top;
	return top;
}

const char *idreg_sve_vls_text(const void *vls, size_t n, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = 0;
	for (unsigned vq = 1; vq <= n * 8 && at < len; vq++)
		if (vq_present(vls, vq))
			at += (size_t)snprintf(buf + at, len - at, "%s%u", at ? " " : "", vq * 128);
	if (at < len)
		snprintf(buf + at, len - at, "%s", at ? " bits" : "no SVE");
	return buf;
}
