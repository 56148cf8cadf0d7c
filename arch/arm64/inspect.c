/* The arm64 part of `itsy inspect` (arch/arm64/inspect.h). The section
 * keys decoded here are written by profile.c (the "abi" set, named by
 * abi.h),
 * gic_state.c (GIC and ITS registers keyed by offset, CPU interface
 * registers by system-register encoding) and vcpu_state.c (KVM register
 * ids); the ITS tables are decoded and checked by its_table.c. */
#include "arch/arm64/inspect.h"
#include "arch/arm64/compat.h"
#include "arch/arm64/impl.h"
#include "arch/arm64/abi.h"
#include "arch/arm64/gic.h"
#include "arch/arm64/gic_state.h"
#include "arch/arm64/its_table.h"
#include "arch/arm64/memmap.h"
#include "arch/arm64/pvtime_state.h"
#include "arch/arm64/vcpu_state.h"
#include "vmm/mem.h"
#include "vmm/regset.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef unsigned long long ull;


/* Distributor (gic.dist), redistributor (gic.redist.N) and ITS (its)
 * register offsets, as gic_state.c keys them. */
#define GICD_CTLR		0x0000
#define GICD_ISENABLER		0x0100
#define GICD_ISPENDR		0x0200
#define GICR_CTLR		0x0000
#define GICR_PROPBASER		0x0070	/* low word; high word at + 4 */
#define GICR_PENDBASER		0x0078
#define GICR_SGI_ISENABLER0	(0x10000 + 0x0100)
#define GITS_CTLR		0x0000
#define GITS_CBASER		0x0080
#define GITS_CWRITER		0x0088
#define GITS_CREADR		0x0090
#define GITS_BASER(n)		(0x0100 + 8 * (n))

#define SYSREG(op0, op1, crn, crm, op2) ((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2))
#define ICC_PMR_EL1		SYSREG(3, 0, 4, 6, 0)
#define ICC_IGRPEN1_EL1		SYSREG(3, 0, 12, 12, 7)

/* vCPU set keys: KVM register ids (vcpu_state.c). */
#define REG_PC		(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			 KVM_REG_ARM_CORE_REG(regs.pc))
#define REG_PSTATE	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			 KVM_REG_ARM_CORE_REG(regs.pstate))
#define REG_MPIDR	ARM64_SYS_REG(3, 0, 0, 0, 5)

#define CMD_SIZE	32	/* bytes of an ITS command */
#define GITS_TRANSLATER	0x10040	/* in the ITS's translation frame */

/* A 64-bit register made of two saved 32-bit words. */
static uint64_t get64(const struct regset *s, uint64_t key)
{
	return (regset_uint_or0(s, key) & 0xffffffffu) | regset_uint_or0(s, key + 4) << 32;
}

json_t *inspect_hex(uint64_t v, int width)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%0*llx", width, (ull)v);
	return json_string(buf);
}

void inspect_set_hex(json_t *o, const char *key, uint64_t v, int width)
{
	json_object_set_new(o, key, inspect_hex(v, width));
}

void inspect_set_int(json_t *o, const char *key, uint64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

/* The first problem wins; later ones are in the JSON only. */
static void problem(char *err, size_t len, int *rc, const char *fmt, ...)
{
	va_list ap;

	if (*rc)
		return;
	*rc = -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static json_t *error_part(const char *fmt, const char *what)
{
	char msg[200];

	snprintf(msg, sizeof(msg), fmt, what);
	return json_pack("{s:s}", "error", msg);
}

/* ---- abi ---- */

static unsigned count_sets(const struct regset_list *l, const char *fmt)
{
	unsigned n = 0;

	while (n < MEMMAP_MAX_CPUS && regset_list_findf(l, fmt, n))
		n++;
	return n;
}

/* The values by their names (arch/arm64/abi.h), and the ITS table ABI
 * revision GITS_IIDR gives. NULL: out of memory. */
static json_t *abi_json(const struct regset *abi)
{
	char err[80];
	json_t *o = abi_to_json(abi, ABI_JSON_LENIENT, err, sizeof(err));

	if (o && regset_has(abi, ABI_GITS_IIDR))
		inspect_set_int(o, "its_table_abi_rev",
				its_iidr_revision((uint32_t)regset_uint_or0(abi, ABI_GITS_IIDR)));
	return o;
}

/* The saving host, from the "abi" part: its kernel, page and IPA size. */
static json_t *source_json(json_t *abi)
{
	static const enum abi_key keys[] = { ABI_KERNEL, ABI_PAGE_SIZE, ABI_IPA_BITS };
	json_t *o = json_object();

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *name = abi_find(keys[i])->name;
		json_t *v = json_object_get(abi, name);

		if (v)
			json_object_set(o, name, v);
	}
	return o;
}

int arm64_inspect_vcpus(json_t *board, long long vcpus, char *msg, size_t len)
{
	json_t *n = json_object_get(json_object_get(board, "abi"), abi_find(ABI_NCPUS)->name);

	if (!json_is_integer(n) || json_integer_value(n) == vcpus)
		return 0;
	snprintf(msg, len, "section 'abi' has %lld vCPUs, section 'config' %lld (restore refuses "
		 "that)", (long long)json_integer_value(n), vcpus);
	return -EINVAL;
}

/* ---- vCPUs ---- */

static const char *mp_state_name(uint64_t s)
{
	static const char *const names[] = {
		[KVM_MP_STATE_RUNNABLE] = "runnable",
		[KVM_MP_STATE_UNINITIALIZED] = "uninitialized",
		[KVM_MP_STATE_INIT_RECEIVED] = "init-received",
		[KVM_MP_STATE_HALTED] = "halted",
		[KVM_MP_STATE_SIPI_RECEIVED] = "sipi-received",
		[KVM_MP_STATE_STOPPED] = "stopped (PSCI off)",
		[KVM_MP_STATE_CHECK_STOP] = "check-stop",
		[KVM_MP_STATE_OPERATING] = "operating",
		[KVM_MP_STATE_LOAD] = "load",
		[KVM_MP_STATE_AP_RESET_HOLD] = "ap-reset-hold",
		[KVM_MP_STATE_SUSPENDED] = "suspended (WFI)",
	};

	return s < sizeof(names) / sizeof(names[0]) && names[s] ? names[s] : "unknown";
}

/* vCPU @i's stolen-time structure, if the guest has stolen time: where
 * it is and what KVM last wrote into it. */
static void pvtime_json(const struct regset_list *l, unsigned i, json_t *o)
{
	const struct regset *p = regset_list_findf(l, PVTIME_SECTION, 0);

	if (!p || !regset_has(p, PVT_STOLEN + i))
		return;
	inspect_set_hex(o, "pvtime_ipa", regset_uint_or0(p, PVT_BASE) + (uint64_t)i * PVTIME_STRIDE, 8);
	inspect_set_int(o, "pvtime_revision", regset_uint_or0(p, PVT_REV + i));
	inspect_set_int(o, "stolen_ns", regset_uint_or0(p, PVT_STOLEN + i));
}

static json_t *vcpus_json(const struct regset_list *l, unsigned n, char *err, size_t len, int *rc)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < n; i++) {
		const struct regset *v = regset_list_findf(l, "vcpu.%u", i);
		json_t *o = json_object();
		uint64_t ps = regset_uint_or0(v, REG_PSTATE), mp = regset_uint_or0(v, VCPU_KEY_MP_STATE);

		inspect_set_int(o, "index", i);
		if (!v || !regset_has(v, REG_PC) || !regset_has(v, REG_MPIDR)) {
			json_object_set_new(o, "error", json_string(v ? "PC or MPIDR_EL1 is not saved"
									: "the section is missing"));
			problem(err, len, rc, "section 'vcpu.%u' is %s", i, v ? "incomplete" : "missing");
			json_array_append_new(a, o);
			continue;
		}
		inspect_set_hex(o, "mpidr", regset_uint_or0(v, REG_MPIDR), 16);
		inspect_set_hex(o, "pc", regset_uint_or0(v, REG_PC), 16);
		inspect_set_hex(o, "pstate", ps, 8);
		inspect_set_int(o, "el", ps >> 2 & 3);
		json_object_set_new(o, "mp_state", json_string(mp_state_name(mp)));
		inspect_set_int(o, "mp_state_value", mp);
		pvtime_json(l, i, o);
		json_array_append_new(a, o);
	}
	return a;
}

/* ---- GIC ---- */

/* INTIDs whose bit is set in the 32-bit words at @base + 4 * w, for the
 * words [@w0, @w1): a list and its length. */
static json_t *bits(const struct regset *s, uint32_t base, unsigned w0, unsigned w1, unsigned *count)
{
	json_t *a = json_array();

	*count = 0;
	for (unsigned w = w0; w < w1; w++) {
		uint64_t v = regset_uint_or0(s, base + 4 * w);

		for (unsigned b = 0; b < 32; b++)
			if (v >> b & 1) {
				json_array_append_new(a, json_integer(32 * w + b));
				(*count)++;
			}
	}
	return a;
}

static json_t *redist_json(const struct regset_list *l, unsigned i)
{
	const struct regset *rd = regset_list_findf(l, "gic.redist.%u", i), *cpu = regset_list_findf(l, "gic.cpu.%u", i);
	json_t *o = json_object();
	uint64_t ctlr = regset_uint_or0(rd, GICR_CTLR), prop = get64(rd, GICR_PROPBASER);
	uint64_t pend = get64(rd, GICR_PENDBASER);
	unsigned n;

	inspect_set_int(o, "vcpu", i);
	if (!rd) {
		json_object_set_new(o, "error", json_string("section missing"));
		return o;
	}
	inspect_set_hex(o, "gicr_ctlr", ctlr, 8);
	json_object_set_new(o, "lpis_enabled", json_boolean(ctlr & 1));
	inspect_set_hex(o, "propbaser", prop, 16);
	inspect_set_int(o, "lpi_id_bits", (prop & 0x1f) + 1);
	inspect_set_hex(o, "prop_table", prop & 0x000ffffffffff000ull, 0);
	inspect_set_hex(o, "pendbaser", pend, 16);
	inspect_set_hex(o, "pend_table", pend & 0x000fffffffff0000ull, 0);
	json_object_set_new(o, "enabled_private", bits(rd, GICR_SGI_ISENABLER0, 0, 1, &n));
	if (cpu) {
		inspect_set_hex(o, "icc_pmr", regset_uint_or0(cpu, ICC_PMR_EL1), 2);
		inspect_set_int(o, "icc_igrpen1", regset_uint_or0(cpu, ICC_IGRPEN1_EL1));
	}
	return o;
}

static json_t *gic_json(const struct regset_list *l, unsigned ncpus, char *err, size_t len, int *rc)
{
	const struct regset *d = regset_list_findf(l, "gic.dist", 0);
	json_t *o, *a;
	unsigned en, pend;

	if (!d) {
		problem(err, len, rc, "section 'gic.dist' is missing");
		return error_part("section '%s' is missing", "gic.dist");
	}
	o = json_object();
	inspect_set_hex(o, "gicd_ctlr", regset_uint_or0(d, GICD_CTLR), 8);
	inspect_set_int(o, "spis", GIC_NR_IRQS - 32);
	a = bits(d, GICD_ISENABLER, 1, GIC_NR_IRQS / 32, &en);
	inspect_set_int(o, "spis_enabled", en);
	json_object_set_new(o, "enabled_spis", a);
	a = bits(d, GICD_ISPENDR, 1, GIC_NR_IRQS / 32, &pend);
	inspect_set_int(o, "spis_pending", pend);
	json_object_set_new(o, "pending_spis", a);
	a = json_array();
	for (unsigned i = 0; i < ncpus; i++) {
		if (!regset_list_findf(l, "gic.redist.%u", i))
			problem(err, len, rc, "section 'gic.redist.%u' is missing", i);
		else if (!regset_list_findf(l, "gic.cpu.%u", i))
			problem(err, len, rc, "section 'gic.cpu.%u' is missing", i);
		json_array_append_new(a, redist_json(l, i));
	}
	json_object_set_new(o, "redistributors", a);
	return o;
}

/* ---- ITS ---- */

struct walk_ctx {
	const struct regset_list *l;
	const struct guest_mem *ram;
	uint64_t prop;		/* LPI property table, 0: none */
	json_t *collections, *devices, *events;
};

static json_t *target(uint32_t t)
{
	return t == ITS_TARGET_UNMAPPED ? json_null() : json_integer(t);
}

static int on_collection(void *ctx, unsigned icid, uint32_t t)
{
	struct walk_ctx *w = ctx;

	return json_array_append_new(w->collections,
				     json_pack("{s:i, s:o}", "icid", (int)icid, "target_vcpu", target(t)));
}

static int on_device(void *ctx, uint32_t devid, uint64_t itt, unsigned event_bits)
{
	struct walk_ctx *w = ctx;
	json_t *d = json_object();

	inspect_set_hex(d, "device_id", devid, 4);
	inspect_set_hex(d, "itt", itt, 0);
	inspect_set_int(d, "event_bits", event_bits);
	w->events = json_array();
	json_object_set_new(d, "events", w->events);
	return json_array_append_new(w->devices, d);
}

/* What the LPI property table and the target's pending table say. */
static void lpi_state(const struct walk_ctx *w, json_t *o, const struct its_event *e)
{
	const uint8_t *cfg = w->prop ? mem_ptr(w->ram, w->prop + e->intid - ITS_LPI_MIN, 1) : NULL;
	const struct regset *rd = e->target == ITS_TARGET_UNMAPPED ? NULL
				  : regset_list_findf(w->l, "gic.redist.%u", e->target);
	uint64_t pend = get64(rd, GICR_PENDBASER) & 0x000fffffffff0000ull;
	const uint8_t *p = rd && pend ? mem_ptr(w->ram, pend + e->intid / 8, 1) : NULL;

	if (cfg) {
		json_object_set_new(o, "lpi_enabled", json_boolean(*cfg & 1));
		inspect_set_hex(o, "lpi_priority", *cfg & 0xfc, 2);
	}
	if (p)
		json_object_set_new(o, "lpi_pending", json_boolean(*p >> (e->intid % 8) & 1));
}

static int on_event(void *ctx, const struct its_event *e)
{
	struct walk_ctx *w = ctx;
	json_t *o = json_pack("{s:i, s:I, s:i, s:o}", "event_id", (int)e->eventid,
			      "lpi", (json_int_t)e->intid, "icid", (int)e->icid,
			      "target_vcpu", target(e->target));

	if (!o)
		return -ENOMEM;
	lpi_state(w, o, e);
	return json_array_append_new(w->events, o);
}

static const char *baser_type(unsigned t)
{
	switch (t) {
	case 0:				return "none";
	case ITS_BASER_TYPE_DEVICE:	return "device";
	case 2:				return "vpe";
	case ITS_BASER_TYPE_COLLECTION:	return "collection";
	}
	return "reserved";
}

static json_t *tables_json(const struct its_regs *r)
{
	json_t *a = json_array();

	for (unsigned n = 0; n < 8; n++) {
		struct its_baser b = its_baser_decode(r->baser[n]);
		json_t *o = json_object();

		inspect_set_int(o, "baser", n);
		inspect_set_hex(o, "value", r->baser[n], 16);
		json_object_set_new(o, "type", json_string(baser_type(b.type)));
		json_object_set_new(o, "valid", json_boolean(b.valid));
		if (b.valid) {
			json_object_set_new(o, "indirect", json_boolean(b.indirect));
			inspect_set_hex(o, "addr", b.addr, 0);
			inspect_set_int(o, "page_size", b.page_size);
			inspect_set_int(o, "pages", b.pages);
			inspect_set_int(o, "entry_size", b.entry_size);
		}
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *cmdq_json(const struct its_regs *r, uint64_t cwriter, uint64_t creadr)
{
	json_t *o = json_object();
	uint64_t size = ((r->cbaser & 0xff) + 1) * 4096;
	uint64_t wr = cwriter & 0xfffe0, rd = creadr & 0xfffe0;

	json_object_set_new(o, "valid", json_boolean(r->cbaser >> 63));
	inspect_set_hex(o, "addr", r->cbaser & 0x000ffffffffff000ull, 0);
	inspect_set_int(o, "bytes", size);
	inspect_set_hex(o, "cwriter", wr, 0);
	inspect_set_hex(o, "creadr", rd, 0);
	json_object_set_new(o, "stalled", json_boolean(creadr & 1));
	/* Commands written but not yet consumed (0 once SAVE_TABLES ran). */
	inspect_set_int(o, "pending_commands", ((wr + size - rd) % size) / CMD_SIZE);
	return o;
}

static json_t *its_json(const struct regset_list *l, unsigned ncpus, const struct guest_mem *ram,
			char *err, size_t len, int *rc)
{
	const struct regset *s = regset_list_findf(l, "its", 0), *rd0 = regset_list_findf(l, "gic.redist.%u", 0);
	struct walk_ctx w = { .l = l, .ram = ram };
	struct its_regs r = { 0 };
	struct its_limits lim;
	const struct its_table_visitor v = { on_collection, on_device, on_event };
	char why[256] = "";
	json_t *o;
	uint64_t prop = get64(rd0, GICR_PROPBASER);
	int wrc;

	if (!s) {
		problem(err, len, rc, "section 'its' is missing");
		return error_part("section '%s' is missing", "its");
	}
	r.ctlr = (uint32_t)regset_uint_or0(s, GITS_CTLR);
	r.iidr = (uint32_t)regset_uint_or0(s, GITS_IIDR);
	r.typer = regset_uint_or0(s, GITS_TYPER);
	r.cbaser = regset_uint_or0(s, GITS_CBASER);
	for (unsigned n = 0; n < 8; n++)
		r.baser[n] = regset_uint_or0(s, GITS_BASER(n));
	lim.ncpus = ncpus;
	lim.lpi_id_bits = (prop & 0x1f) + 1;	/* GICR_PROPBASER.IDbits + 1, as restore uses */

	o = json_object();
	inspect_set_hex(o, "gits_ctlr", r.ctlr, 8);
	json_object_set_new(o, "enabled", json_boolean(r.ctlr & 1));
	inspect_set_hex(o, "gits_iidr", r.iidr, 8);
	inspect_set_hex(o, "gits_typer", r.typer, 16);
	inspect_set_int(o, "device_id_bits", its_typer_dev_bits(r.typer));
	inspect_set_int(o, "event_id_bits", its_typer_event_bits(r.typer));
	inspect_set_hex(o, "gits_cbaser", r.cbaser, 16);
	inspect_set_hex(o, "gits_cwriter", regset_uint_or0(s, GITS_CWRITER), 16);
	inspect_set_hex(o, "gits_creadr", regset_uint_or0(s, GITS_CREADR), 16);
	/* Where devices' MSIs must be written (the memory map's ITS). */
	inspect_set_hex(o, "gits_translater", memmap_get(MM_ITS)->base + GITS_TRANSLATER, 0);
	json_object_set_new(o, "command_queue", cmdq_json(&r, regset_uint_or0(s, GITS_CWRITER), regset_uint_or0(s, GITS_CREADR)));
	json_object_set_new(o, "tables", tables_json(&r));
	if (!ram) {
		json_object_set_new(o, "error", json_string("not read: the guest memory "
							    "is not available"));
		return o;
	}
	w.prop = prop & 0x000ffffffffff000ull;
	w.collections = json_array();
	w.devices = json_array();
	wrc = its_table_walk(ram, &r, &lim, &v, &w, why, sizeof(why));
	if (wrc == -EINVAL) {
		json_object_set_new(o, "error", json_string(why));
		problem(err, len, rc, "the ITS tables in guest memory are not valid: %s", why);
		json_decref(w.collections);
		json_decref(w.devices);
		return o;
	}
	if (wrc) {
		json_decref(w.collections);
		json_decref(w.devices);
		json_decref(o);
		return NULL;	/* out of memory */
	}
	json_object_set_new(o, "collections", w.collections);
	json_object_set_new(o, "devices", w.devices);
	return o;
}

/* The target implementations the guest is told of (arch/arm64/impl.h),
 * or NULL when it is not. */
static json_t *impls_json(const struct regset_list *l, char *err, size_t len, int *rc)
{
	const struct regset *s = regset_list_findf(l, COMPAT_IMPL, 0);
	struct impl_cpu c[COMPAT_IMPL_MAX];
	int n = s ? impl_from_set(s, c) : 0;
	json_t *a;

	if (n < 0) {
		problem(err, len, rc, "section '%s' is not a list of implementations", COMPAT_IMPL);
		return error_part("section '%s' is not valid", COMPAT_IMPL);
	}
	if (!n)
		return NULL;
	a = json_array();
	for (int i = 0; a && i < n; i++) {
		json_t *e = json_object();

		inspect_set_hex(e, "midr", c[i].midr, 8);
		inspect_set_hex(e, "revidr", c[i].revidr, 16);
		inspect_set_hex(e, "aidr", c[i].aidr, 16);
		json_array_append_new(a, e);
	}
	return a;
}

int arm64_inspect(const struct regset_list *l, const struct guest_mem *ram, json_t *out,
		  char *err, size_t errlen)
{
	const struct regset *abi = regset_list_findf(l, "abi", 0);
	unsigned ncpus = abi ? (unsigned)regset_uint_or0(abi, ABI_NCPUS) : 0, nsets = count_sets(l, "vcpu.%u");
	json_t *its, *impls;
	int rc = 0;

	err[0] = 0;
	if (!abi) {
		problem(err, errlen, &rc, "section 'abi' is missing");
		json_object_set_new(out, "abi", error_part("section '%s' is missing", "abi"));
		ncpus = nsets;
	} else {
		json_object_set_new(out, "abi", abi_json(abi));
	}
	json_object_set_new(out, "source", source_json(json_object_get(out, "abi")));
	if (!ncpus || ncpus > MEMMAP_MAX_CPUS) {
		problem(err, errlen, &rc, "section 'abi': %u vCPUs", ncpus);
		ncpus = nsets;
	}
	if (nsets > ncpus)
		problem(err, errlen, &rc, "%u 'vcpu.N' sections for %u vCPUs", nsets, ncpus);
	json_object_set_new(out, "vcpus", vcpus_json(l, ncpus, err, errlen, &rc));
	impls = impls_json(l, err, errlen, &rc);
	if (impls)
		json_object_set_new(out, "implementations", impls);
	json_object_set_new(out, "gic", gic_json(l, ncpus, err, errlen, &rc));
	its = its_json(l, ncpus, ram, err, errlen, &rc);
	if (!its)
		return -ENOMEM;
	json_object_set_new(out, "its", its);
	return rc;
}

/* ---- text: the GIC and ITS parts of `itsy inspect` ---- */

const char *inspect_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "?";
}

long long inspect_int(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

int inspect_bool(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

json_t *inspect_find(json_t *array, const char *key, const char *value)
{
	size_t i;
	json_t *e;

	json_array_foreach(array, i, e)
		if (!strcmp(inspect_str(e, key), value))
			return e;
	return NULL;
}

const char *inspect_size(long long bytes, char *buf, size_t len)
{
	if (bytes >= 1ll << 30 && !(bytes & ((1ll << 30) - 1)))
		snprintf(buf, len, "%lld GiB", bytes >> 30);
	else if (bytes >= 1ll << 20 && !(bytes & ((1ll << 20) - 1)))
		snprintf(buf, len, "%lld MiB", bytes >> 20);
	else if (bytes >= 1ll << 20)
		snprintf(buf, len, "%.1f MiB", bytes / 1048576.0);
	else if (bytes >= 1024 && !(bytes & 1023))
		snprintf(buf, len, "%lld KiB", bytes >> 10);
	else if (bytes >= 1024)
		snprintf(buf, len, "%.1f KiB", bytes / 1024.0);
	else
		snprintf(buf, len, "%lld bytes", bytes);
	return buf;
}

/* "vCPU N" or "no vCPU" for a target_vcpu value. */
const char *inspect_target(json_t *t, char *buf, size_t len)
{
	if (json_is_integer(t))
		snprintf(buf, len, "vCPU %lld", json_integer_value(t));
	else
		snprintf(buf, len, "no vCPU");
	return buf;
}

void arm64_inspect_print_source(json_t *root)
{
	json_t *src = json_object_get(root, "source");

	printf("  source host: Linux %s, %lld-byte pages, %lld-bit IPA\n",
	       inspect_str(src, abi_find(ABI_KERNEL)->name), inspect_int(src, abi_find(ABI_PAGE_SIZE)->name),
	       inspect_int(src, abi_find(ABI_IPA_BITS)->name));
}

/* The values, read back from the JSON object: the text shows what it holds. */
static void print_abi(json_t *abi)
{
	struct regset s;
	char err[80];

	printf("ABI:\n");
	if (json_object_get(abi, "error")) {
		printf("  %s\n", inspect_str(abi, "error"));
		return;
	}
	regset_init(&s);
	if (abi_from_json(abi, &s, ABI_JSON_LENIENT, err, sizeof(err)))
		printf("  %s\n", err);
	abi_print(&s, stdout, "  ");
	regset_free(&s);
}

static void print_impls(json_t *impls)
{
	json_t *e;
	size_t i;

	if (!impls)
		return;
	printf("target implementations told to the guest:\n");
	if (json_object_get(impls, "error"))
		printf("  %s\n", inspect_str(impls, "error"));
	json_array_foreach(impls, i, e)
		printf("  MIDR_EL1 %s  REVIDR_EL1 %s  AIDR_EL1 %s\n", inspect_str(e, "midr"),
		       inspect_str(e, "revidr"), inspect_str(e, "aidr"));
}

static void print_board(json_t *root)
{
	json_t *gic = json_object_get(root, "gic"), *e, *x;
	size_t i, k;

	print_abi(json_object_get(root, "abi"));
	printf("vCPUs:\n");
	json_array_foreach(json_object_get(root, "vcpus"), i, e) {
		if (json_object_get(e, "error"))
			printf("  vCPU %lld: %s\n", inspect_int(e, "index"), inspect_str(e, "error"));
		else
			printf("  vCPU %lld  MPIDR %s  PC %s  PSTATE %s (EL%lld)  %s\n", inspect_int(e, "index"),
			       inspect_str(e, "mpidr"), inspect_str(e, "pc"), inspect_str(e, "pstate"), inspect_int(e, "el"),
			       inspect_str(e, "mp_state"));
		if (json_object_get(e, "pvtime_ipa"))
			printf("    stolen time %lld ns (structure at %s, revision %lld)\n",
			       inspect_int(e, "stolen_ns"), inspect_str(e, "pvtime_ipa"),
			       inspect_int(e, "pvtime_revision"));
	}
	print_impls(json_object_get(root, "implementations"));
	printf("GIC:\n");
	if (json_object_get(gic, "error")) {
		printf("  %s\n", inspect_str(gic, "error"));
		return;
	}
	printf("  GICD_CTLR %s; SPIs: %lld of %lld enabled", inspect_str(gic, "gicd_ctlr"),
	       inspect_int(gic, "spis_enabled"), inspect_int(gic, "spis"));
	json_array_foreach(json_object_get(gic, "enabled_spis"), k, x)
		printf("%s%lld", k ? " " : " [", json_integer_value(x));
	printf("%s, %lld pending", inspect_int(gic, "spis_enabled") ? "]" : "", inspect_int(gic, "spis_pending"));
	json_array_foreach(json_object_get(gic, "pending_spis"), k, x)
		printf("%s%lld", k ? " " : " [", json_integer_value(x));
	printf("%s\n", inspect_int(gic, "spis_pending") ? "]" : "");
	json_array_foreach(json_object_get(gic, "redistributors"), i, e) {
		if (json_object_get(e, "error")) {
			printf("  vCPU %lld redistributor: %s\n", inspect_int(e, "vcpu"), inspect_str(e, "error"));
			continue;
		}
		printf("  vCPU %lld redistributor: GICR_CTLR %s (LPIs %s), PROPBASER %s (%lld ID bits), "
		       "PENDBASER %s\n", inspect_int(e, "vcpu"), inspect_str(e, "gicr_ctlr"),
		       inspect_bool(e, "lpis_enabled") ? "on" : "off", inspect_str(e, "propbaser"),
		       inspect_int(e, "lpi_id_bits"), inspect_str(e, "pendbaser"));
		printf("    SGIs/PPIs enabled:");
		json_array_foreach(json_object_get(e, "enabled_private"), k, x)
			printf(" %lld", json_integer_value(x));
		printf("%s\n", json_array_size(json_object_get(e, "enabled_private")) ? "" : " none");
	}
}

/* ---- MSIs: where a device's writes go ---- */

/* The mapped event @data of ITS device @device_id, or NULL. */
static json_t *its_event(json_t *its, const char *device_id, long long data)
{
	json_t *d = inspect_find(json_object_get(its, "devices"), "device_id", device_id), *e;
	size_t i;

	json_array_foreach(json_object_get(d, "events"), i, e)
		if (inspect_int(e, "event_id") == data)
			return e;
	return NULL;
}

const char *arm64_inspect_msi(json_t *root, const char *device_id, long long data, char *buf,
			      size_t len)
{
	json_t *its = json_object_get(root, "its"), *e = its_event(its, device_id, data);
	char t[32];

	if (e)
		snprintf(buf, len, "EventID %lld -> LPI %lld -> %s", data, inspect_int(e, "lpi"),
			 inspect_target(json_object_get(e, "target_vcpu"), t, sizeof(t)));
	else
		snprintf(buf, len, "EventID %lld%s", data,
			 json_object_get(its, "devices") ? " (not mapped in the ITS)" : "");
	return buf;
}

int arm64_inspect_msi_check(json_t *root, const char *device_id, const char *address,
			    long long data, char *buf, size_t len)
{
	json_t *its = json_object_get(root, "its");
	const char *doorbell = inspect_str(its, "gits_translater");

	if (strcmp(address, doorbell))
		snprintf(buf, len, "writes to %s, not to the ITS's GITS_TRANSLATER at %s", address,
			 doorbell);
	else if (json_object_get(its, "devices") && !its_event(its, device_id, data))
		snprintf(buf, len, "sends DeviceID %s EventID %lld, which the ITS tables do not map: "
			 "that interrupt would be lost", device_id, data);
	else
		return 0;
	return -EINVAL;
}

/* "(00:01.0 virtio-blk)" for the PCI function with this DeviceID. */
static const char *owner_str(json_t *root, const char *devid, char *buf, size_t len)
{
	json_t *d = inspect_find(json_object_get(root, "devices"), "device_id", devid);

	if (d)
		snprintf(buf, len, "(%s %s)", inspect_str(d, "pci_slot"), inspect_str(d, "kind"));
	else
		snprintf(buf, len, "(no PCI function has this requester id)");
	return buf;
}

static void print_its(json_t *root)
{
	json_t *its = json_object_get(root, "its"), *q = json_object_get(its, "command_queue"), *e, *x;
	char a[32], b[64];
	size_t i, k;

	printf("ITS:\n");
	if (!json_object_get(its, "gits_ctlr")) {
		printf("  %s\n", inspect_str(its, "error"));
		return;
	}
	printf("  GITS_CTLR %s (%s), %lld-bit DeviceIDs, %lld-bit EventIDs\n", inspect_str(its, "gits_ctlr"),
	       inspect_bool(its, "enabled") ? "enabled" : "disabled", inspect_int(its, "device_id_bits"),
	       inspect_int(its, "event_id_bits"));
	printf("  command queue: %s at %s, %s, CWRITER %s CREADR %s, %lld commands pending%s\n",
	       inspect_bool(q, "valid") ? "valid" : "not valid", inspect_str(q, "addr"),
	       inspect_size(inspect_int(q, "bytes"), a, sizeof(a)), inspect_str(q, "cwriter"), inspect_str(q, "creadr"),
	       inspect_int(q, "pending_commands"), inspect_bool(q, "stalled") ? ", STALLED" : "");
	json_array_foreach(json_object_get(its, "tables"), i, e)
		if (inspect_bool(e, "valid"))
			printf("  GITS_BASER%lld %s: %s table%s at %s, %lld x %s pages, %lld-byte entries\n",
			       inspect_int(e, "baser"), inspect_str(e, "value"), inspect_str(e, "type"),
			       inspect_bool(e, "indirect") ? " (indirect)" : "", inspect_str(e, "addr"),
			       inspect_int(e, "pages"), inspect_size(inspect_int(e, "page_size"), a, sizeof(a)),
			       inspect_int(e, "entry_size"));
	if (json_object_get(its, "error")) {
		printf("  ITS tables: %s\n", inspect_str(its, "error"));
		return;
	}
	printf("ITS collections:\n");
	json_array_foreach(json_object_get(its, "collections"), i, e)
		printf("  ICID %lld -> %s\n", inspect_int(e, "icid"),
		       inspect_target(json_object_get(e, "target_vcpu"), a, sizeof(a)));
	if (!json_array_size(json_object_get(its, "collections")))
		printf("  none\n");
	printf("ITS devices:\n");
	json_array_foreach(json_object_get(its, "devices"), i, e) {
		json_t *ev = json_object_get(e, "events");

		printf("  DeviceID %s %s  ITT %s  %lld EventIDs, %zu mapped\n", inspect_str(e, "device_id"),
		       owner_str(root, inspect_str(e, "device_id"), b, sizeof(b)), inspect_str(e, "itt"),
		       1ll << inspect_int(e, "event_bits"), json_array_size(ev));
		json_array_foreach(ev, k, x) {
			json_t *en = json_object_get(x, "lpi_enabled"), *p = json_object_get(x, "lpi_pending");

			printf("    EventID %lld -> LPI %lld -> collection %lld -> %s", inspect_int(x, "event_id"),
			       inspect_int(x, "lpi"), inspect_int(x, "icid"),
			       inspect_target(json_object_get(x, "target_vcpu"), a, sizeof(a)));
			if (en)
				printf("  (%s, priority %s%s)", json_is_true(en) ? "enabled" : "DISABLED",
				       inspect_str(x, "lpi_priority"), json_is_true(p) ? ", pending" : "");
			printf("\n");
		}
	}
	if (!json_array_size(json_object_get(its, "devices")))
		printf("  none\n");
}

void arm64_inspect_print(json_t *root)
{
	print_board(root);
	print_its(root);
}
