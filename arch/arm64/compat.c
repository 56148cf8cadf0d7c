#include "arch/arm64/compat.h"
#include "arch/arm64/abi.h"
#include "arch/arm64/idreg.h"
#include "arch/arm64/impl.h"
#include "arch/arm64/vcpu_state.h"
#include "vmm/le.h"
#include "vmm/regset.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *vcpu_reg_name(uint64_t id, char *buf, size_t len)
{
	uint64_t e = id & 0xffff;

	if ((id & KVM_REG_ARM_COPROC_MASK) != KVM_REG_ARM64_SYSREG)
		snprintf(buf, len, "0x%016llx", (unsigned long long)id);
	else
		snprintf(buf, len, "0x%016llx (S%llu_%llu_C%llu_C%llu_%llu)", (unsigned long long)id,
			 (unsigned long long)(e >> 14), (unsigned long long)(e >> 11 & 7),
			 (unsigned long long)(e >> 7 & 0xf), (unsigned long long)(e >> 3 & 0xf),
			 (unsigned long long)(e & 7));
	return buf;
}

int vcpu_reg_is_id(uint64_t id)
{
	uint64_t enc = id & 0xffff;

	if (id == ARM64_SYS_REG(3, 3, 0, 0, 1))
		return 1;	/* CTR_EL0: what the caches offer, in fields */
	return (id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM64_SYSREG &&
	       (enc >> 14) == 3 && (enc >> 11 & 7) == 0 && (enc >> 7 & 0xf) == 0 &&
	       (enc >> 3 & 0xf) >= 1 && (enc >> 3 & 0xf) <= 7;
}

int vcpu_id_fields_superset(uint64_t here, uint64_t saw)
{
	for (unsigned s = 0; s < 64; s += 4)
		if ((here >> s & 0xf) < (saw >> s & 0xf))
			return 0;
	return 1;
}

/* ---- well-known registers (arch/arm64/idreg.h) ---- */

const char *compat_reg_label(uint64_t id, char *buf, size_t len)
{
	const char *name = idreg_name(id);

	if (!name)
		return vcpu_reg_name(id, buf, len);
	snprintf(buf, len, "%s", name);
	return buf;
}

static unsigned field_of(uint64_t v, unsigned f)
{
	return v >> (4 * f) & 0xf;
}

static uint64_t field_set(uint64_t v, unsigned f, unsigned x)
{
	return (v & ~(0xfull << (4 * f))) | (uint64_t)x << (4 * f);
}

/* The lower of two values of a field: for a set of features, their
 * common part. An exact field has none unless both are the same: then
 * @a (the caller refuses). */
static unsigned field_min(enum idreg_field_kind k, unsigned a, unsigned b)
{
	int sa = a & 8 ? (int)a - 16 : (int)a, sb = b & 8 ? (int)b - 16 : (int)b;

	if (k == IDREG_FIELD_BITS)
		return a & b;
	if (k == IDREG_FIELD_SIGNED)
		return sa <= sb ? a : b;
	if (k == IDREG_FIELD_EXACT)
		return a;
	return a < b ? a : b;
}

static int field_le(enum idreg_field_kind k, unsigned a, unsigned b)
{
	return k == IDREG_FIELD_EXACT ? a == b : field_min(k, a, b) == a;
}

/* "ID_AA64PFR0_EL1 bits 35..32 (SVE)". */
static const char *field_name(uint64_t id, unsigned f, char *buf, size_t len)
{
	const char *field = idreg_field_name(id, f);
	char reg[64];

	compat_reg_label(id, reg, sizeof(reg));
	if (field)
		snprintf(buf, len, "%s bits %u..%u (%s)", reg, 4 * f + 3, 4 * f, field);
	else
		snprintf(buf, len, "%s bits %u..%u", reg, 4 * f + 3, 4 * f);
	return buf;
}

/* Every field of @here is at least that of @saw, in its field's order. */
static int idreg_superset(uint64_t id, uint64_t here, uint64_t saw)
{
	for (unsigned f = 0; f < 16; f++)
		if (!field_le(idreg_field_kind(id, f), field_of(saw, f), field_of(here, f)))
			return 0;
	return 1;
}

static int refuse(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- the ABI values, by their rules (arch/arm64/abi.h) ---- */

static int check_equal(const struct abi_entry *e, const struct regset *g, const struct regset *h,
		       char *err, size_t len)
{
	char gv[64], hv[64];

	if (!regset_has(h, e->key) || regset_uint_or0(g, e->key) == regset_uint_or0(h, e->key))
		return 0;
	return refuse(err, len, "%s: the guest has %s, this host has %s; it must be the same",
		      e->label, abi_format(e, g, gv, sizeof(gv)),
		      abi_format(e, h, hv, sizeof(hv)));
}

/* A value the guest depends on: a host without it cannot take the guest. */
static int check_equal_needed(const struct abi_entry *e, const struct regset *g,
			      const struct regset *h, char *err, size_t len)
{
	char gv[64];

	if (!regset_has(g, e->key))
		return 0;
	if (regset_has(h, e->key))
		return check_equal(e, g, h, err, len);
	return refuse(err, len, "%s: the guest has %s, this host has none (its KVM lacks the "
		      "feature)", e->label, abi_format(e, g, gv, sizeof(gv)));
}

/* KVM reads (ITS table) layouts up to its own revision. */
static int check_rev_at_most(const struct abi_entry *e, const struct regset *g,
			     const struct regset *h, char *err, size_t len)
{
	unsigned gr = abi_revision(regset_uint_or0(g, e->key)), hr = abi_revision(regset_uint_or0(h, e->key));

	if (gr <= hr)
		return 0;
	return refuse(err, len, "%s: the guest's %s is %u, this host's KVM reads up to revision %u",
		      e->label, e->field, gr, hr);
}

/* The revisions a host accepts: its @pair mask, or its own and below. */
static int check_rev_accepted(const struct abi_entry *e, const struct regset *g,
			      const struct regset *h, char *err, size_t len)
{
	unsigned gr = abi_revision(regset_uint_or0(g, e->key)), hr = abi_revision(regset_uint_or0(h, e->key));
	uint64_t revs = regset_uint_or0(h, e->pair);

	if (regset_has(h, e->pair) ? revs >> gr & 1 : gr <= hr)
		return 0;
	return refuse(err, len, "%s: the guest's %s is %u, this host has %u and cannot be set to "
		      "it (accepted: 0x%llx)", e->label, e->field, gr, hr, (unsigned long long)revs);
}

/* Different only in the bits the host lets userspace write (its @pair). */
static int check_writable(const struct abi_entry *e, const struct regset *g,
			  const struct regset *h, char *err, size_t len)
{
	uint64_t gv = regset_uint_or0(g, e->key), hv = regset_uint_or0(h, e->key);

	if (!regset_has(g, e->key) || !regset_has(h, e->key) ||
	    !((gv ^ hv) & ~regset_uint_or0(h, e->pair)))
		return 0;
	return refuse(err, len, "%s: the guest has 0x%llx, this host has 0x%llx and cannot be set "
		      "to it", e->label, (unsigned long long)gv, (unsigned long long)hv);
}

/* With @profile, the guest is a profile, which is for any vCPU count. */
static int check_value(const struct abi_entry *e, const struct regset *g, const struct regset *h,
		       int profile, char *err, size_t len)
{
	switch (e->cmp) {
	case ABI_CMP_EQUAL_VM:
		return profile ? 0 : check_equal(e, g, h, err, len);
	case ABI_CMP_EQUAL:
		return check_equal(e, g, h, err, len);
	case ABI_CMP_EQUAL_NEEDED:
		return check_equal_needed(e, g, h, err, len);
	case ABI_CMP_REV_AT_MOST:
		return check_rev_at_most(e, g, h, err, len);
	case ABI_CMP_REV_ACCEPTED:
		return check_rev_accepted(e, g, h, err, len);
	case ABI_CMP_WRITABLE:
		return check_writable(e, g, h, err, len);
	case ABI_CMP_NONE:
		break;
	}
	return 0;
}

/* The first (up to) 8 bytes of a saved value. */
static uint64_t le_value(const uint8_t *val, uint32_t len)
{
	return le_get(val, len < 8 ? len : 8);
}

#define ID_AA64PFR2_EL1		ARM64_SYS_REG(3, 0, 0, 4, 2)
#define ID_AA64MMFR3_EL1	ARM64_SYS_REG(3, 0, 0, 7, 3)

/* Registers newer kernels list that exist only with a CPU feature: to a
 * guest that never saw the feature they are undefined, whatever they hold. */
static const struct gated_reg {
	uint64_t id;
	uint64_t idreg;		/* the ID register showing the feature */
	unsigned shift;		/* its 4-bit field */
} gated_regs[] = {
	{ ARM64_SYS_REG(3, 0, 2, 0, 3), ID_AA64MMFR3_EL1, 0 },		/* TCR2_EL1: TCRX */
	{ ARM64_SYS_REG(3, 0, 10, 2, 2), ID_AA64MMFR3_EL1, 8 },	/* PIRE0_EL1: S1PIE */
	{ ARM64_SYS_REG(3, 0, 10, 2, 3), ID_AA64MMFR3_EL1, 8 },	/* PIR_EL1: S1PIE */
	{ ARM64_SYS_REG(3, 0, 10, 2, 4), ID_AA64MMFR3_EL1, 16 },	/* POR_EL1: S1POE */
	{ ARM64_SYS_REG(3, 3, 10, 2, 4), ID_AA64MMFR3_EL1, 16 },	/* POR_EL0: S1POE */
	{ ARM64_SYS_REG(3, 3, 4, 4, 2), ID_AA64PFR2_EL1, 32 },		/* FPMR: FPMR */
};

static int feature_unseen(uint64_t id, const struct regset *idregs)
{
	for (size_t i = 0; i < sizeof(gated_regs) / sizeof(gated_regs[0]); i++)
		if (gated_regs[i].id == id)
			return !(regset_uint_or0(idregs, gated_regs[i].idreg) >> gated_regs[i].shift & 0xf);
	return 0;
}

#define CLIDR_EL1	ARM64_SYS_REG(3, 1, 0, 0, 1)

/* A CCSIDR (cache geometry, by CSSELR index) of a cache the guest's
 * CLIDR_EL1 does not describe: 6.12 lists fourteen, 6.1 only the host's. */
static int ccsidr_undescribed(uint64_t id, const struct regset *vcpu)
{
	unsigned i = id & KVM_REG_ARM_DEMUX_VAL_MASK, ctype;

	if ((id & KVM_REG_ARM_COPROC_MASK) != KVM_REG_ARM_DEMUX ||
	    (id & KVM_REG_ARM_DEMUX_ID_MASK) != KVM_REG_ARM_DEMUX_ID_CCSIDR || !regset_has(vcpu, CLIDR_EL1))
		return 0;
	if (i >= 14)
		return 1;
	ctype = regset_uint_or0(vcpu, CLIDR_EL1) >> (3 * (i >> 1)) & 7;
	/* Odd indexes are instruction caches (Ctype 1 or 3), even ones data
	 * or unified (2, 3 or 4). */
	return i & 1 ? !(ctype == 1 || ctype == 3) : !(ctype >= 2 && ctype <= 4);
}

int compat_reg_droppable(uint64_t id, const uint8_t *val, uint32_t len, const struct regset *idregs,
			 const struct regset *vcpu)
{
	/* The physical timer's registers appeared in KVM's list in 6.2
	 * (before, KVM did not save it at all). Its compare value and count
	 * mean nothing while it is disabled. */
	if (id == KVM_REG_ARM_PTIMER_CTL)
		return !(le_value(val, len) & 1);	/* ENABLE */
	if (id == KVM_REG_ARM_PTIMER_CVAL || id == KVM_REG_ARM_PTIMER_CNT)
		return 1;
	if (vcpu && ccsidr_undescribed(id, vcpu))
		return 1;
	/* A feature bitmap that offers the guest nothing: a host without the
	 * register (7.3 lists KVM_REG_ARM_VENDOR_HYP_BMAP_2, 6.12 does not)
	 * offers it nothing either. */
	if (vcpu_reg_is_fw_bitmap(id) && !le_value(val, len))
		return 1;
	return idregs && feature_unseen(id, idregs);
}

int vcpu_reg_is_fw(uint64_t id)
{
	uint64_t c = id & KVM_REG_ARM_COPROC_MASK;

	return c == KVM_REG_ARM_FW || c == KVM_REG_ARM_FW_FEAT_BMAP;
}

int vcpu_reg_is_fw_bitmap(uint64_t id)
{
	return (id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM_FW_FEAT_BMAP;
}

static int is_fw_workaround(uint64_t id)
{
	return id == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1 ||
	       id == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2 ||
	       id == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3;
}

/* Firmware pseudo-registers (fw-pseudo-registers.rst): a lower PSCI
 * version, a lower workaround level (KVM takes any level up to its own)
 * or fewer bitmap features can be set; anything else must match. */
static int fw_acceptable(uint64_t id, uint64_t g, uint64_t h, uint64_t w)
{
	if (g == h)
		return 1;
	if (id == KVM_REG_ARM_PSCI_VERSION || is_fw_workaround(id))
		return g <= h;
	if (vcpu_reg_is_fw_bitmap(id))
		return !(g & ~(h | w));
	return 0;
}

/* "ID_AA64PFR0_EL1 (0x603000000013c020)", or the id with its encoding. */
static const char *reg_both(uint64_t id, char *buf, size_t len)
{
	char name[40];

	if (strcmp(compat_reg_label(id, name, sizeof(name)), vcpu_reg_name(id, buf, len)))
		snprintf(buf, len, "%.39s (0x%016llx)", name, (unsigned long long)id);
	return buf;
}

/* An implementation register: the same, or one this host's KVM can show
 * instead of its own (its writable mask, KVM_CAP_ARM_WRITABLE_IMP_ID_REGS). */
static int check_impl(uint64_t id, uint64_t g, uint64_t h, const struct regset *hw,
		      const char *who, char *err, size_t errlen)
{
	char name[80];

	if (!((g ^ h) & ~regset_uint_or0(hw, id)))
		return 0;
	return refuse(err, errlen, "%s: the %s has 0x%llx, this host has 0x%llx, and its KVM "
		      "cannot show another (KVM_CAP_ARM_WRITABLE_IMP_ID_REGS, Linux 6.15)",
		      reg_both(id, name, sizeof(name)), who, (unsigned long long)g,
		      (unsigned long long)h);
}

#define VLS_MAX_BYTES	64	/* KVM_REG_ARM64_SVE_VLS: 8 words */

/* Bit @b of the little-endian bitmap @p. */
static unsigned vls_bit(const uint8_t *p, unsigned b)
{
	return p[b / 8] >> (b % 8) & 1;
}

/* The SVE vector lengths: a guest's Z and P registers are as long as its
 * longest, and KVM gives a vCPU only the host's lengths up to a longest
 * one: the host's up to the guest's longest must be the guest's. */
static int check_sve_vls(const uint8_t *g, uint32_t glen, const uint8_t *h, uint32_t hlen,
			 char *err, size_t errlen)
{
	char gt[200], ht[200];
	unsigned top = idreg_sve_vls_longest(g, glen), b = 0;

	while (glen == hlen && glen <= VLS_MAX_BYTES && b < top && vls_bit(g, b) == vls_bit(h, b))
		b++;
	if (glen == hlen && top && b == top)
		return 0;
	return refuse(err, errlen, "SVE vector lengths (KVM_REG_ARM64_SVE_VLS): the guest has %s, "
		      "this host gives %s", idreg_sve_vls_text(g, glen, gt, sizeof(gt)),
		      idreg_sve_vls_text(h, hlen, ht, sizeof(ht)));
}

static int check_reg(uint64_t id, const uint8_t *val, uint32_t len, const struct regset *idregs,
		     const struct regset *vcpu, const struct regset *host, const struct regset *hw,
		     char *err, size_t errlen)
{
	uint32_t hlen;
	const uint8_t *hval = regset_get(host, id, &hlen);
	uint64_t g = le_value(val, len), h;
	char name[80];

	if (!hval)
		return compat_reg_droppable(id, val, len, idregs, vcpu) ? 0 :
			refuse(err, errlen, "vCPU register %s: the guest has it (0x%llx), this host's "
			       "KVM does not", reg_both(id, name, sizeof(name)),
			       (unsigned long long)g);
	h = le_value(hval, hlen);
	if (id == KVM_REG_ARM64_SVE_VLS)
		return check_sve_vls(val, len, hval, hlen, err, errlen);
	if (vcpu_reg_is_id(id)) {
		/* The guest relies on what it saw at boot, not on what a later
		 * host added since. */
		if (regset_has(idregs, id))
			g = regset_uint_or0(idregs, id);
		return idreg_superset(id, h, g) ? 0 :
			refuse(err, errlen, "ID register %s: the guest saw 0x%llx, this host offers "
			       "0x%llx, which lacks a feature the guest uses",
			       reg_both(id, name, sizeof(name)), (unsigned long long)g,
			       (unsigned long long)h);
	}
	if (idreg_is_impl(id))
		return check_impl(id, g, h, hw, "guest", err, errlen);
	if (vcpu_reg_is_fw(id) && !fw_acceptable(id, g, h, regset_uint_or0(hw, id)))
		return refuse(err, errlen, "firmware pseudo-register %s: the guest has 0x%llx, this "
			      "host has 0x%llx and cannot take it", reg_both(id, name, sizeof(name)),
			      (unsigned long long)g, (unsigned long long)h);
	return 0;
}

/* @hw: the host's writable masks (may be NULL: nothing writable). */
static int check_vcpu(const struct regset *g, const struct regset *idregs,
		      const struct regset *h, const struct regset *hw, char *err, size_t len)
{
	size_t pos = 0;
	uint64_t key;
	const uint8_t *val;
	uint32_t n;
	int rc = 0;

	while (!rc && regset_next(g, &pos, &key, &val, &n))
		if (key != VCPU_KEY_MP_STATE)
			rc = check_reg(key, val, n, idregs, g, h, hw, err, len);
	return rc;
}

static const struct regset *section(const struct regset_list *l, const char *name)
{
	const struct named_regset *n = l ? regset_list_find(l, name) : NULL;

	return n ? &n->set : NULL;
}

static int check_sections(const struct regset_list *guest, const char *what,
			  const struct regset_list *host, char *err, size_t errlen)
{
	const struct regset *ga = section(guest, "abi"), *gv = section(guest, "vcpu.0");
	const struct regset *ha = section(host, "abi"), *hv = section(host, "vcpu.0");

	if (!ga || !gv)
		return refuse(err, errlen, "the %s has no '%s' section", what, ga ? "vcpu.0" : "abi");
	if (!ha || !hv)
		return refuse(err, errlen, "the host profile has no '%s' section",
			      ha ? "vcpu.0" : "abi");
	return 0;
}

static int check_abi(const struct regset *g, const struct regset *h, int profile,
		     char *err, size_t len)
{
	size_t n;
	const struct abi_entry *t = abi_table(&n);
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		rc = check_value(&t[i], g, h, profile, err, len);
	return rc;
}

int compat_check(const struct regset_list *guest, const struct regset_list *host,
		  char *err, size_t errlen)
{
	const struct regset *idregs = section(guest, COMPAT_IDREGS);
	struct regset none;
	int rc = check_sections(guest, "guest state", host, err, errlen);

	regset_init(&none);
	rc = rc ? rc : check_abi(section(guest, "abi"), section(host, "abi"), 0, err, errlen);
	rc = rc ? rc : check_vcpu(section(guest, "vcpu.0"), idregs ? idregs : &none,
				  section(host, "vcpu.0"), section(host, COMPAT_WRITABLE), err, errlen);
	return rc;
}

/* ---- can this host start a guest at a profile ---- */

static int honours_idreg(uint64_t id, uint64_t p, uint64_t h, uint64_t w, char *err, size_t len)
{
	char name[96];

	for (unsigned f = 0; f < 16; f++) {
		unsigned a = field_of(p, f), b = field_of(h, f);

		if (a == b)
			continue;
		if (idreg_field_kind(id, f) == IDREG_FIELD_EXACT)
			return refuse(err, len, "%s: the profile has %u, this host has %u: KVM "
				      "takes no other value", field_name(id, f, name, sizeof(name)), a, b);
		if (!field_le(idreg_field_kind(id, f), a, b))
			return refuse(err, len, "%s: the profile has %u, this host has %u: "
				      "this host lacks it", field_name(id, f, name, sizeof(name)), a, b);
		if (((uint64_t)(a ^ b) << (4 * f)) & ~w)
			return refuse(err, len, "%s: the profile has %u, this host has %u, and the "
				      "field is not writable on this host's KVM",
				      field_name(id, f, name, sizeof(name)), a, b);
	}
	return 0;
}

static int honours_bitmap(uint64_t id, uint64_t p, uint64_t h, uint64_t w, char *err, size_t len)
{
	char name[96];

	if (p & ~(h | w))
		return refuse(err, len, "firmware bitmap %s: the profile has 0x%llx, this host has "
			      "0x%llx: this host lacks bits 0x%llx", compat_reg_label(id, name, sizeof(name)),
			      (unsigned long long)p, (unsigned long long)h,
			      (unsigned long long)(p & ~(h | w)));
	if ((p ^ h) & ~w)
		return refuse(err, len, "firmware bitmap %s: the profile has 0x%llx, this host has "
			      "0x%llx, and bits 0x%llx are not writable on this host's KVM",
			      compat_reg_label(id, name, sizeof(name)), (unsigned long long)p,
			      (unsigned long long)h, (unsigned long long)((p ^ h) & ~w));
	return 0;
}

/* The ID registers and firmware bitmaps a guest at @pv would need set. */
static int honours_vcpu(const struct regset *pv, const struct regset *hv, const struct regset *hw,
			char *err, size_t len)
{
	size_t pos = 0;
	uint64_t id;
	const uint8_t *val, *hval;
	uint32_t n, hn;
	int rc = 0;

	while (!rc && regset_next(pv, &pos, &id, &val, &n)) {
		hval = regset_get(hv, id, &hn);
		if (n != 8 || !hval || hn != 8)
			continue;	/* check_vcpu() judges a missing one */
		if (vcpu_reg_is_id(id))
			rc = honours_idreg(id, le_value(val, n), le_value(hval, hn),
					   regset_uint_or0(hw, id), err, len);
		else if (vcpu_reg_is_fw_bitmap(id))
			rc = honours_bitmap(id, le_value(val, n), le_value(hval, hn),
					    regset_uint_or0(hw, id), err, len);
		else if (idreg_is_impl(id))
			rc = check_impl(id, le_value(val, n), le_value(hval, hn), hw, "profile",
					err, len);
	}
	return rc;
}

int compat_honours(const struct regset_list *profile, const struct regset_list *host,
		   char *err, size_t errlen)
{
	struct regset none;
	int rc = check_sections(profile, "profile", host, err, errlen);

	regset_init(&none);
	rc = rc ? rc : check_abi(section(profile, "abi"), section(host, "abi"), 1, err, errlen);
	rc = rc ? rc : honours_vcpu(section(profile, "vcpu.0"), section(host, "vcpu.0"),
				    section(host, COMPAT_WRITABLE), err, errlen);
	rc = rc ? rc : check_vcpu(section(profile, "vcpu.0"), &none, section(host, "vcpu.0"),
				  section(host, COMPAT_WRITABLE), err, errlen);
	return rc;
}

/* ---- the profile of a pool of hosts ---- */

struct pool {
	const struct regset_list *const *hosts;
	unsigned n;
	compat_note_fn note;
	void *ctx;
	char *err;
	size_t errlen;
};

static const struct regset *host_set(const struct pool *c, unsigned i, const char *name)
{
	return section(c->hosts[i], name);
}

/* "host 2 (6.1.0-13-arm64)": counted from 1, with its kernel release. */
static const char *host_label(const struct pool *c, unsigned i, char *buf, size_t len)
{
	const struct regset *abi = host_set(c, i, "abi");
	char rel[65];

	if (regset_has(abi, ABI_KERNEL) && *abi_format(abi_find(ABI_KERNEL), abi, rel, sizeof(rel)))
		snprintf(buf, len, "host %u (%s)", i + 1, rel);
	else
		snprintf(buf, len, "host %u", i + 1);
	return buf;
}

static void pool_note(const struct pool *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void pool_note(const struct pool *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!c->note)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->note(c->ctx, line);
}

static int copy_key(struct regset *dst, const struct regset *src, uint64_t key)
{
	uint32_t len;
	const uint8_t *v = regset_get(src, key, &len);

	return v ? regset_put(dst, key, v, len) : 0;
}

static const struct regset *host_abi(const struct pool *c, unsigned i)
{
	return host_set(c, i, "abi");
}

static int pool_equal(const struct pool *c, const struct abi_entry *e, struct regset *out)
{
	const struct regset *a0 = host_abi(c, 0), *ai;
	char l0[96], li[96], v0[64], vi[64];

	for (unsigned i = 1; i < c->n; i++) {
		ai = host_abi(c, i);
		if (regset_has(a0, e->key) == regset_has(ai, e->key) &&
		    regset_uint_or0(a0, e->key) == regset_uint_or0(ai, e->key))
			continue;
		return refuse(c->err, c->errlen, "%s: %s has %s, %s has %s; every host of a pool "
			      "must have the same", e->label, host_label(c, 0, l0, sizeof(l0)),
			      abi_format(e, a0, v0, sizeof(v0)), host_label(c, i, li, sizeof(li)),
			      abi_format(e, ai, vi, sizeof(vi)));
	}
	return copy_key(out, a0, e->key);
}

/* The value of the host with the lowest revision: the layout every host reads. */
static int pool_lowest_rev(const struct pool *c, const struct abi_entry *e, struct regset *out)
{
	unsigned low = 0;
	char l[96];

	for (unsigned i = 1; i < c->n; i++) {
		unsigned have = abi_revision(regset_uint_or0(host_abi(c, low), e->key));
		unsigned r = abi_revision(regset_uint_or0(host_abi(c, i), e->key));

		if (r >= have)
			continue;
		pool_note(c, "%s (%s): %u -> %u, %s has %u", e->label, e->field, have, r,
			  host_label(c, i, l, sizeof(l)), r);
		low = i;
	}
	return copy_key(out, host_abi(c, low), e->key);
}

/* The revisions a host accepts (@e's pair): its own alone if it does not say. */
static uint64_t host_revs(const struct abi_entry *e, const struct regset *abi)
{
	if (regset_has(abi, e->pair))
		return regset_uint_or0(abi, e->pair) & 0xffff;
	return 1ull << abi_revision(regset_uint_or0(abi, e->key));
}

/* The revisions every host accepts, or 0 after a refusal. */
static uint64_t common_revs(const struct pool *c, const struct abi_entry *e)
{
	uint64_t revs = host_revs(e, host_abi(c, 0)), r;
	char l[96];

	for (unsigned i = 1; i < c->n; i++) {
		r = host_revs(e, host_abi(c, i));
		if (!(revs & r)) {
			refuse(c->err, c->errlen, "%s: no revision every host accepts: the hosts before "
			       "%s accept 0x%llx in common, it accepts 0x%llx", e->label,
			       host_label(c, i, l, sizeof(l)), (unsigned long long)revs, (unsigned long long)r);
			return 0;
		}
		revs &= r;
	}
	if (!revs)
		refuse(c->err, c->errlen, "%s: %s accepts no revision", e->label,
		       host_label(c, 0, l, sizeof(l)));
	return revs;
}

/* The first host's value at the highest revision every host accepts. */
static int pool_common_rev(const struct pool *c, const struct abi_entry *e, struct regset *out)
{
	const struct regset *a0 = host_abi(c, 0);
	uint64_t revs = common_revs(c, e);
	unsigned own = abi_revision(regset_uint_or0(a0, e->key)), rev;
	int rc;

	if (!revs)
		return -EINVAL;
	rev = 63 - (unsigned)__builtin_clzll(revs);
	if (rev != own)
		pool_note(c, "%s (%s): %u -> %u, the highest every host accepts (0x%llx)", e->label,
			  e->field, own, rev, (unsigned long long)revs);
	rc = regset_put_uint(out, e->key, abi_with_revision(regset_uint_or0(a0, e->key), rev), e->len);
	return rc ? rc : regset_put_uint(out, e->pair, revs, abi_find(e->pair)->len);
}

/* The AND of every host's value, noting each host that lowers it. */
static uint64_t and_noted(const struct pool *c, const struct abi_entry *e)
{
	uint64_t and = regset_uint_or0(host_abi(c, 0), e->key), v;
	char l[96];

	for (unsigned i = 1; i < c->n; i++) {
		v = regset_uint_or0(host_abi(c, i), e->key);
		if ((and & v) != and)
			pool_note(c, "%s: 0x%llx -> 0x%llx, %s has 0x%llx", e->label,
				  (unsigned long long)and, (unsigned long long)(and & v),
				  host_label(c, i, l, sizeof(l)), (unsigned long long)v);
		and &= v;
	}
	return and;
}

static int pool_and(const struct pool *c, const struct abi_entry *e, struct regset *out)
{
	for (unsigned i = 0; i < c->n; i++)
		if (regset_has(host_abi(c, i), e->key))
			return regset_put_uint(out, e->key, and_noted(c, e), e->len);
	return 0;
}

/* The first host without @e, or c->n; noted when another host has it. */
static unsigned lacking_noted(const struct pool *c, const struct abi_entry *e)
{
	unsigned lacking = 0, having = 0;
	char l[96];

	while (lacking < c->n && regset_has(host_abi(c, lacking), e->key))
		lacking++;
	while (having < c->n && !regset_has(host_abi(c, having), e->key))
		having++;
	if (lacking < c->n && having < c->n)
		pool_note(c, "%s dropped: %s does not state it", e->label,
			  host_label(c, lacking, l, sizeof(l)));
	return lacking;
}

/* Every host can clear the bits it has beyond @and (its pair: the writable ones). */
static int can_clear(const struct pool *c, const struct abi_entry *e, uint64_t and)
{
	char l[96];

	for (unsigned i = 0; i < c->n; i++) {
		uint64_t v = regset_uint_or0(host_abi(c, i), e->key);
		uint64_t fixed = (v ^ and) & ~regset_uint_or0(host_abi(c, i), e->pair);

		if (fixed)
			return refuse(c->err, c->errlen, "%s: the pool needs 0x%llx, %s has 0x%llx and "
				      "cannot clear bits 0x%llx (not writable on its KVM)", e->label,
				      (unsigned long long)and, host_label(c, i, l, sizeof(l)),
				      (unsigned long long)v, (unsigned long long)fixed);
	}
	return 0;
}

/* The common bits, if every host can clear the bits it has beyond them. */
static int pool_and_writable(const struct pool *c, const struct abi_entry *e, struct regset *out)
{
	uint64_t and, wr = ~0ull;
	int rc;

	if (lacking_noted(c, e) < c->n)
		return 0;
	and = and_noted(c, e);
	for (unsigned i = 0; i < c->n; i++)
		wr &= regset_uint_or0(host_abi(c, i), e->pair);
	rc = can_clear(c, e, and);
	rc = rc ? rc : regset_put_uint(out, e->key, and, e->len);
	return rc ? rc : regset_put_uint(out, e->pair, wr, abi_find(e->pair)->len);
}

static int same_value(const struct regset *a, const struct regset *b, uint64_t key)
{
	uint32_t la, lb;
	const uint8_t *va = regset_get(a, key, &la), *vb = regset_get(b, key, &lb);

	return va && vb && la == lb && !memcmp(va, vb, la);
}

/* Host 1's value, if every host has the same; else dropped. @label:
 * NULL for a key the table does not know. */
static int pool_same(const struct pool *c, uint64_t key, const char *label, struct regset *out)
{
	const struct regset *a0 = host_abi(c, 0);
	unsigned i = 1;
	char l[96], what[40];

	if (!regset_has(a0, key))
		return 0;
	while (i < c->n && same_value(a0, host_abi(c, i), key))
		i++;
	if (i == c->n)
		return copy_key(out, a0, key);
	if (!label)
		snprintf(what, sizeof(what), "ABI value %llu", (unsigned long long)key);
	pool_note(c, "%s dropped: %s has another value or none", label ? label : what,
		  host_label(c, i, l, sizeof(l)));
	return 0;
}

static int pool_name(const struct pool *c, const struct abi_entry *e, struct regset *out)
{
	char name[40];

	snprintf(name, sizeof(name), "pool of %u host%s", c->n, c->n == 1 ? "" : "s");
	return regset_put(out, e->key, name, (uint32_t)strlen(name));
}

static int pool_value(const struct pool *c, const struct abi_entry *e, struct regset *out)
{
	switch (e->pool) {
	case ABI_POOL_SAME:		return pool_same(c, e->key, e->label, out);
	case ABI_POOL_EQUAL:		return pool_equal(c, e, out);
	case ABI_POOL_LOWEST_REV:	return pool_lowest_rev(c, e, out);
	case ABI_POOL_COMMON_REV:	return pool_common_rev(c, e, out);
	case ABI_POOL_AND_WRITABLE:	return pool_and_writable(c, e, out);
	case ABI_POOL_AND:		return pool_and(c, e, out);
	case ABI_POOL_NAME:		return pool_name(c, e, out);
	case ABI_POOL_DROP:
	case ABI_POOL_PAIRED:		break;
	}
	return 0;
}

/* Each value by its rule; a key the table does not know is kept when
 * every host has the same. */
static int pool_abi(const struct pool *c, struct regset *out)
{
	size_t n, pos = 0;
	const struct abi_entry *t = abi_table(&n);
	uint64_t key;
	const uint8_t *val;
	uint32_t len;
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		rc = pool_value(c, &t[i], out);
	while (!rc && regset_next(host_abi(c, 0), &pos, &key, &val, &len))
		if (!abi_find(key))
			rc = pool_same(c, key, NULL, out);
	return rc;
}

/* An ID register: each field at the lowest any host has; an exact field
 * the same on every host, else no pool. */
static int pool_idreg(const struct pool *c, uint64_t id, uint64_t *v)
{
	char name[96], l0[96], l[96];

	for (unsigned i = 1; i < c->n; i++) {
		uint64_t h = regset_uint_or0(host_set(c, i, "vcpu.0"), id);

		for (unsigned f = 0; f < 16; f++) {
			unsigned a = field_of(*v, f), b = field_of(h, f);
			enum idreg_field_kind k = idreg_field_kind(id, f);
			unsigned m = field_min(k, a, b);

			if (k == IDREG_FIELD_EXACT && a != b)
				return refuse(c->err, c->errlen, "%s: %s has %u, %s has %u; KVM takes "
					      "only its host's value, so it must be the same on every "
					      "host", field_name(id, f, name, sizeof(name)),
					      host_label(c, 0, l0, sizeof(l0)), a,
					      host_label(c, i, l, sizeof(l)), b);
			if (m == a)
				continue;
			pool_note(c, "%s: %u -> %u, %s has %u", field_name(id, f, name, sizeof(name)),
				  a, m, host_label(c, i, l, sizeof(l)), b);
			*v = field_set(*v, f, m);
		}
	}
	return 0;
}

/* An implementation register: the pool shows one implementation. That
 * of the first host that cannot show another (all such must agree),
 * else host 1's; compat_honours() then refuses a host that can neither
 * show it nor has it. */
static uint64_t pool_impl(const struct pool *c, uint64_t id, uint64_t v)
{
	char name[96], l[96];

	for (unsigned i = 0; i < c->n; i++) {
		uint64_t h = regset_uint_or0(host_set(c, i, "vcpu.0"), id);

		if (regset_uint_or0(host_set(c, i, COMPAT_WRITABLE), id))
			continue;
		if (h != v)
			pool_note(c, "%s: 0x%llx -> 0x%llx, %s cannot show another",
				  compat_reg_label(id, name, sizeof(name)), (unsigned long long)v,
				  (unsigned long long)h, host_label(c, i, l, sizeof(l)));
		return h;
	}
	return v;
}

/* What host @i offers of firmware register @id: for a feature bitmap,
 * the bits it has and those it can set (VENDOR_HYP_BMAP_2's reset to 0). */
static uint64_t fw_offered(const struct pool *c, unsigned i, uint64_t id)
{
	uint64_t h = regset_uint_or0(host_set(c, i, "vcpu.0"), id);

	if (vcpu_reg_is_fw_bitmap(id))
		h |= regset_uint_or0(host_set(c, i, COMPAT_WRITABLE), id);
	return h;
}

/* Firmware pseudo-registers: the lowest PSCI version and workaround
 * level, the bitmap features every host offers; any other must be equal. */
static int pool_fwreg(const struct pool *c, uint64_t id, uint64_t *v)
{
	char name[96], l0[96], l[96];
	int bitmap = vcpu_reg_is_fw_bitmap(id);

	*v = fw_offered(c, 0, id);
	for (unsigned i = 1; i < c->n; i++) {
		uint64_t h = fw_offered(c, i, id), m;

		if (h == *v)
			continue;
		if (!bitmap && id != KVM_REG_ARM_PSCI_VERSION && !is_fw_workaround(id))
			return refuse(c->err, c->errlen, "firmware pseudo-register %s: %s has 0x%llx, "
				      "%s has 0x%llx; it must be the same on every host",
				      compat_reg_label(id, name, sizeof(name)),
				      host_label(c, 0, l0, sizeof(l0)), (unsigned long long)*v,
				      host_label(c, i, l, sizeof(l)), (unsigned long long)h);
		m = bitmap ? (*v & h) : (*v < h ? *v : h);
		if (m != *v)
			pool_note(c, "%s: 0x%llx -> 0x%llx, %s has 0x%llx%s",
				  compat_reg_label(id, name, sizeof(name)), (unsigned long long)*v,
				  (unsigned long long)m, host_label(c, i, l, sizeof(l)),
				  (unsigned long long)h, is_fw_workaround(id) ? " (KVM shows each host's "
				  "own level: a guest cannot move to a host with a lower one)" : "");
		*v = m;
	}
	return 0;
}

/* The first host from @from on that has (@has) or lacks @id, or c->n. */
static unsigned first_host(const struct pool *c, unsigned from, uint64_t id, int has)
{
	unsigned i = from;

	while (i < c->n && regset_has(host_set(c, i, "vcpu.0"), id) != has)
		i++;
	return i;
}

/* The SVE lengths a guest of the pool may have: as KVM gives a vCPU a
 * host's lengths up to a longest one, those every host has, up to the
 * first length that some host has and another lacks. */
static int pool_sve_vls(const struct pool *c, const uint8_t *val, uint32_t len, struct regset *out)
{
	uint8_t v[VLS_MAX_BYTES] = { 0 };
	unsigned top = 0, any, all;
	uint32_t n;

	for (unsigned b = 0; len <= sizeof(v) && b < len * 8; b++) {
		any = 0, all = 1;
		for (unsigned i = 0; i < c->n; i++) {
			unsigned bit = vls_bit(regset_get(host_set(c, i, "vcpu.0"), KVM_REG_ARM64_SVE_VLS, &n), b);

			any |= bit, all &= bit;
		}
		if (any != all)
			break;
		if (all)
			v[b / 8] |= (uint8_t)(1u << (b % 8)), top = b + 1;
	}
	if (top < idreg_sve_vls_longest(val, len))
		pool_note(c, "SVE vector lengths: up to %u bits, the longest below which every host has "
			  "the same", top * 128);
	return top ? regset_put(out, KVM_REG_ARM64_SVE_VLS, v, len) : 0;
}

static int pool_reg(const struct pool *c, uint64_t id, const uint8_t *val, uint32_t len,
		    struct regset *out)
{
	uint64_t v = le_value(val, len);
	char name[96], l0[96], li[96];
	uint32_t n;
	int rc;

	for (unsigned i = 1; i < c->n; i++)
		if (regset_get(host_set(c, i, "vcpu.0"), id, &n) && n != len)
			return refuse(c->err, c->errlen, "vCPU register %s: %s has %u bytes, %s has %u",
				      vcpu_reg_name(id, name, sizeof(name)),
				      host_label(c, 0, l0, sizeof(l0)), len,
				      host_label(c, i, li, sizeof(li)), n);
	if (id == KVM_REG_ARM64_SVE_VLS)
		return pool_sve_vls(c, val, len, out);
	if (len == 8 && vcpu_reg_is_id(id)) {
		rc = pool_idreg(c, id, &v);
		return rc ? rc : regset_put_uint(out, id, v, 8);
	}
	if (len == 8 && idreg_is_impl(id))
		return regset_put_uint(out, id, pool_impl(c, id, v), 8);
	if (len == 8 && vcpu_reg_is_fw(id)) {
		rc = pool_fwreg(c, id, &v);
		return rc ? rc : regset_put_uint(out, id, v, 8);
	}
	return regset_put(out, id, val, len);	/* state, not capability */
}

static void note_dropped(const struct pool *c, uint64_t id, unsigned lacking)
{
	char name[96], l[96];

	pool_note(c, "vCPU register %s dropped: %s does not have it",
		  vcpu_reg_name(id, name, sizeof(name)), host_label(c, lacking, l, sizeof(l)));
}

/* The registers every host has. */
static int pool_vcpu(const struct pool *c, struct regset *out)
{
	size_t pos = 0;
	uint64_t id;
	const uint8_t *val;
	uint32_t len;
	unsigned lacking;
	int rc = 0;

	while (!rc && regset_next(host_set(c, 0, "vcpu.0"), &pos, &id, &val, &len)) {
		lacking = first_host(c, 1, id, 0);
		if (lacking < c->n)
			note_dropped(c, id, lacking);
		else
			rc = pool_reg(c, id, val, len, out);
	}
	/* Those host 1 lacks: noted once, at the first host that has them. */
	for (unsigned i = 1; !rc && i < c->n; i++)
		for (pos = 0; regset_next(host_set(c, i, "vcpu.0"), &pos, &id, &val, &len);)
			if (first_host(c, 1, id, 1) == i && !regset_has(host_set(c, 0, "vcpu.0"), id))
				note_dropped(c, id, 0);
	return rc;
}

/* A field is writable in the pool only if every host lets it be written. */
static int pool_writable(const struct pool *c, const struct regset *regs, struct regset *out)
{
	size_t pos = 0;
	uint64_t id, m;
	const uint8_t *val;
	uint32_t len;
	int rc = 0;

	while (!rc && regset_next(regs, &pos, &id, &val, &len)) {
		m = ~0ull;
		for (unsigned i = 0; i < c->n; i++)
			m &= regset_uint_or0(host_set(c, i, COMPAT_WRITABLE), id);
		if (m)
			rc = regset_put_uint(out, id, m, 8);
	}
	return rc;
}

static int pool_inputs(const struct pool *c)
{
	char l[96];

	if (!c->hosts || !c->n)
		return refuse(c->err, c->errlen, "a pool needs at least one host profile");
	for (unsigned i = 0; i < c->n; i++)
		if (!host_set(c, i, "abi") || !host_set(c, i, "vcpu.0"))
			return refuse(c->err, c->errlen, "%s: the host profile has no '%s' section",
				      host_label(c, i, l, sizeof(l)),
				      host_set(c, i, "abi") ? "vcpu.0" : "abi");
	return 0;
}

/* Every host can start guests at the pool's profile. */
static int pool_honoured(const struct pool *c, const struct regset_list *pool)
{
	char why[512], l[96];

	for (unsigned i = 0; i < c->n; i++)
		if (compat_honours(pool, c->hosts[i], why, sizeof(why)))
			return refuse(c->err, c->errlen, "%s cannot take guests of this pool: %s",
				      host_label(c, i, l, sizeof(l)), why);
	return 0;
}

static const char *const pool_sections[] = { "abi", "vcpu.0", COMPAT_WRITABLE, COMPAT_IMPL };

#define POOL_SETS	(sizeof(pool_sections) / sizeof(pool_sections[0]))

/* The pool's sets, in an empty list. */
static int pool_create(struct regset_list *pool, struct regset *set[POOL_SETS])
{
	for (unsigned i = 0; i < POOL_SETS; i++)
		if (!regset_list_add(pool, pool_sections[i], 1))
			return -ENOMEM;
	for (unsigned i = 0; i < POOL_SETS; i++)	/* once the list stopped moving */
		set[i] = &pool->v[i].set;
	return 0;
}

/* Host @i's implementations: those it lists (a pool profile), else its
 * own (a host profile's MIDR_EL1, REVIDR_EL1, AIDR_EL1), if it shows one. */
static int host_impls(const struct pool *c, unsigned i, struct impl_cpu *l)
{
	const struct regset *v0 = host_set(c, i, "vcpu.0"), *own = host_set(c, i, COMPAT_IMPL);

	if (own && own->count)
		return impl_from_set(own, l);
	if (!regset_has(v0, IDREG_MIDR_EL1))
		return 0;
	l[0].midr = regset_uint_or0(v0, IDREG_MIDR_EL1);
	l[0].revidr = regset_uint_or0(v0, IDREG_REVIDR_EL1);
	l[0].aidr = regset_uint_or0(v0, IDREG_AIDR_EL1);
	return 1;
}

/* Every implementation of every host, each once: what a pool guest is
 * told it may run on (arch/arm64/impl.h). */
static int pool_impls(const struct pool *c, struct regset *out)
{
	struct impl_cpu all[COMPAT_IMPL_MAX], l[COMPAT_IMPL_MAX];
	unsigned n = 0;
	char h[96];
	int k, rc = 0;

	for (unsigned i = 0; !rc && i < c->n; i++) {
		k = host_impls(c, i, l);
		if (k < 0)
			return refuse(c->err, c->errlen, "%s: its list of implementations is not valid",
				      host_label(c, i, h, sizeof(h)));
		for (int j = 0; !rc && j < k; j++)
			rc = impl_add(all, &n, &l[j]);
	}
	if (rc)
		return refuse(c->err, c->errlen, "the hosts have more than %u implementations",
			      COMPAT_IMPL_MAX);
	return impl_to_set(all, n, out);
}

int compat_intersect(const struct regset_list *const *hosts, unsigned n, struct regset_list *pool,
		     compat_note_fn note, void *ctx, char *err, size_t errlen)
{
	struct pool c = { hosts, n, note, ctx, err, errlen };
	struct regset *set[POOL_SETS];
	int rc = pool_inputs(&c);

	if (rc)
		return rc;
	if (pool->n)
		return refuse(err, errlen, "the list for the pool profile is not empty");
	rc = pool_create(pool, set);
	rc = rc ? rc : pool_abi(&c, set[0]);
	rc = rc ? rc : pool_vcpu(&c, set[1]);
	rc = rc ? rc : pool_writable(&c, set[1], set[2]);
	rc = rc ? rc : pool_impls(&c, set[3]);
	rc = rc ? rc : pool_honoured(&c, pool);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (rc)
		regset_list_free(pool);
	return rc;
}
