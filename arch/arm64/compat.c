#include "arch/arm64/compat.h"
#include "arch/arm64/board.h"
#include "vmm/regset.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define IIDR_REV(v)	((v) >> 12 & 0xf)

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

/* Values that must be the same on both sides (when the host states one). */
static const struct equal_rule {
	enum board_abi_key key;
	const char *what;
} equal_rules[] = {
	{ ABI_PAGE_SIZE, "host page size" },
	{ ABI_IPA_BITS, "IPA size (bits)" },
	{ ABI_CNTFRQ, "counter frequency (CNTFRQ_EL0, Hz)" },
	{ ABI_NCPUS, "vCPUs" },
	{ ABI_PVTIME_REV, "PV stolen-time structure revision" },
};

static int check_equal(const struct regset *g, const struct regset *h, char *err, size_t len)
{
	for (size_t i = 0; i < sizeof(equal_rules) / sizeof(equal_rules[0]); i++) {
		const struct equal_rule *r = &equal_rules[i];
		uint64_t gv = regset_uint_or0(g, r->key), hv = regset_uint_or0(h, r->key);

		if (regset_has(h, r->key) && gv != hv)
			return refuse(err, len, "%s: the guest has %llu, this host has %llu; "
				      "it must be the same", r->what, (unsigned long long)gv,
				      (unsigned long long)hv);
	}
	return 0;
}

static int check_gic(const struct regset *g, const struct regset *h, char *err, size_t len)
{
	uint64_t gr = IIDR_REV(regset_uint_or0(g, ABI_GITS_IIDR)), hr = IIDR_REV(regset_uint_or0(h, ABI_GITS_IIDR));
	uint64_t revs = regset_uint_or0(h, ABI_GICD_IIDR_REVS);
	uint64_t gt = regset_uint_or0(g, ABI_GICD_TYPER2), ht = regset_uint_or0(h, ABI_GICD_TYPER2);

	/* The ITS table layout: KVM reads layouts up to its own revision. */
	if (gr > hr)
		return refuse(err, len, "GITS_IIDR: the guest's ITS table ABI revision is %llu, "
			      "this host's KVM reads up to revision %llu", (unsigned long long)gr,
			      (unsigned long long)hr);
	gr = IIDR_REV(regset_uint_or0(g, ABI_GICD_IIDR));
	hr = IIDR_REV(regset_uint_or0(h, ABI_GICD_IIDR));
	if (regset_has(h, ABI_GICD_IIDR_REVS) ? !(revs >> gr & 1) : gr > hr)
		return refuse(err, len, "GICD_IIDR: the guest's implementation revision is %llu, "
			      "this host has %llu and cannot be set to it (accepted: 0x%llx)",
			      (unsigned long long)gr, (unsigned long long)hr, (unsigned long long)revs);
	if (regset_has(g, ABI_GICD_TYPER2) && regset_has(h, ABI_GICD_TYPER2) &&
	    ((gt ^ ht) & ~regset_uint_or0(h, ABI_TYPER2_WRITABLE)))
		return refuse(err, len, "GICD_TYPER2: the guest has 0x%llx, this host has 0x%llx "
			      "and cannot be set to it", (unsigned long long)gt, (unsigned long long)ht);
	return 0;
}

static uint64_t le_value(const uint8_t *val, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < len && i < 8; i++)
		v |= (uint64_t)val[i] << (8 * i);
	return v;
}

int compat_reg_droppable(uint64_t id, const uint8_t *val, uint32_t len)
{
	/* The physical timer's registers appeared in KVM's list in 6.2
	 * (before, KVM did not save it at all). Its compare value and count
	 * mean nothing while it is disabled. */
	if (id == KVM_REG_ARM_PTIMER_CTL)
		return !(le_value(val, len) & 1);	/* ENABLE */
	return id == KVM_REG_ARM_PTIMER_CVAL || id == KVM_REG_ARM_PTIMER_CNT;
}

static int is_fw_reg(uint64_t id)
{
	uint64_t c = id & KVM_REG_ARM_COPROC_MASK;

	return c == KVM_REG_ARM_FW || c == KVM_REG_ARM_FW_FEAT_BMAP;
}

/* Firmware pseudo-registers (fw-pseudo-registers.rst): a lower PSCI
 * version or fewer bitmap features can be set; anything else must match. */
static int fw_acceptable(uint64_t id, uint64_t g, uint64_t h)
{
	if (g == h)
		return 1;
	if (id == KVM_REG_ARM_PSCI_VERSION)
		return g <= h;
	if ((id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM_FW_FEAT_BMAP)
		return !(g & ~h);
	return 0;
}

static int check_reg(uint64_t id, const uint8_t *val, uint32_t len, const struct regset *idregs,
		     const struct regset *host, char *err, size_t errlen)
{
	uint32_t hlen;
	const uint8_t *hval = regset_get(host, id, &hlen);
	uint64_t g = le_value(val, len), h;
	char name[64];

	if (!hval)
		return compat_reg_droppable(id, val, len) ? 0 :
			refuse(err, errlen, "vCPU register %s: the guest has it (0x%llx), this host's "
			       "KVM does not", vcpu_reg_name(id, name, sizeof(name)),
			       (unsigned long long)g);
	h = le_value(hval, hlen);
	if (vcpu_reg_is_id(id)) {
		/* The guest relies on what it saw at boot, not on what a later
		 * host added since. */
		if (regset_has(idregs, id))
			g = regset_uint_or0(idregs, id);
		return vcpu_id_fields_superset(h, g) ? 0 :
			refuse(err, errlen, "ID register %s: the guest saw 0x%llx, this host offers "
			       "0x%llx, which lacks a feature the guest uses",
			       vcpu_reg_name(id, name, sizeof(name)), (unsigned long long)g,
			       (unsigned long long)h);
	}
	if (is_fw_reg(id) && !fw_acceptable(id, g, h))
		return refuse(err, errlen, "firmware pseudo-register %s: the guest has 0x%llx, this "
			      "host has 0x%llx and cannot take it", vcpu_reg_name(id, name, sizeof(name)),
			      (unsigned long long)g, (unsigned long long)h);
	return 0;
}

static int check_vcpu(const struct regset *g, const struct regset *idregs,
		      const struct regset *h, char *err, size_t len)
{
	size_t pos = 0;
	uint64_t key;
	const uint8_t *val;
	uint32_t n;
	int rc = 0;

	while (!rc && regset_next(g, &pos, &key, &val, &n))
		if (key != VCPU_KEY_MP_STATE)
			rc = check_reg(key, val, n, idregs, h, err, len);
	return rc;
}

int compat_check(const struct regset_list *guest, const struct regset_list *host,
		  char *err, size_t errlen)
{
	const struct regset *ga = regset_list_findf(guest, "abi", 0), *gv = regset_list_findf(guest, "vcpu.%u", 0);
	const struct regset *ha = regset_list_findf(host, "abi", 0), *hv = regset_list_findf(host, "vcpu.%u", 0);
	const struct regset *idregs = regset_list_findf(guest, COMPAT_IDREGS, 0);
	struct regset none;
	int rc;

	if (!ga || !gv || !ha || !hv)
		return refuse(err, errlen, "the %s has no '%s' section", ga && gv ? "host profile" : "guest state",
			      !(ga && gv) ? (ga ? "vcpu.0" : "abi") : (ha ? "vcpu.0" : "abi"));
	regset_init(&none);
	rc = check_equal(ga, ha, err, errlen);
	rc = rc ? rc : check_gic(ga, ha, err, errlen);
	rc = rc ? rc : check_vcpu(gv, idregs ? idregs : &none, hv, err, errlen);
	return rc;
}
