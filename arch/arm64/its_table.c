#include "arch/arm64/its_table.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NR_ICIDS	65536	/* ICIDs are 16 bits (GITS_TYPER.CIL = 0) */

typedef unsigned long long ull;	/* for printf */

/* ---- Field packing ---- */

static uint64_t field(uint64_t v, unsigned hi, unsigned lo)
{
	return (v >> lo) & ((2ull << (hi - lo)) - 1);
}

/* @x truncated to bits [hi:lo] of the result. */
static uint64_t put(uint64_t x, unsigned hi, unsigned lo)
{
	return field(x, hi - lo, 0) << lo;
}

struct its_dte its_dte_decode(uint64_t e)
{
	return (struct its_dte){
		.valid = field(e, 63, 63), .next = field(e, 62, 49),
		.itt_addr = field(e, 48, 5) << 8, .size = field(e, 4, 0),
	};
}

uint64_t its_dte_encode(const struct its_dte *d)
{
	return put(!!d->valid, 63, 63) | put(d->next, 62, 49) |
	       put(d->itt_addr >> 8, 48, 5) | put(d->size, 4, 0);
}

struct its_ite its_ite_decode(uint64_t e)
{
	return (struct its_ite){
		.next = field(e, 63, 48), .intid = field(e, 47, 16), .icid = field(e, 15, 0),
	};
}

uint64_t its_ite_encode(const struct its_ite *i)
{
	return put(i->next, 63, 48) | put(i->intid, 47, 16) | put(i->icid, 15, 0);
}

struct its_cte its_cte_decode(uint64_t e)
{
	return (struct its_cte){
		.valid = field(e, 63, 63), .rdbase = field(e, 51, 16), .icid = field(e, 15, 0),
	};
}

uint64_t its_cte_encode(const struct its_cte *c)
{
	return put(!!c->valid, 63, 63) | put(c->rdbase, 51, 16) | put(c->icid, 15, 0);
}

static const unsigned page_sizes[4] = { 4096, 16384, 65536, 0 };

static unsigned page_size_code(unsigned bytes)
{
	unsigned i = 0;

	while (i < 3 && page_sizes[i] != bytes)
		i++;
	return i;
}

struct its_baser its_baser_decode(uint64_t reg)
{
	struct its_baser b = {
		.valid = field(reg, 63, 63), .indirect = field(reg, 62, 62),
		.type = field(reg, 58, 56), .entry_size = field(reg, 52, 48) + 1,
		.page_size = page_sizes[field(reg, 9, 8)], .pages = field(reg, 7, 0) + 1,
		.addr = field(reg, 47, 12) << 12,
	};

	if (b.page_size == 65536)	/* bits [15:12] hold address[51:48] */
		b.addr = field(reg, 47, 16) << 16 | field(reg, 15, 12) << 48;
	return b;
}

uint64_t its_baser_encode(const struct its_baser *b)
{
	uint64_t reg = put(!!b->valid, 63, 63) | put(!!b->indirect, 62, 62) |
		       put(b->type, 58, 56) | put(b->entry_size - 1, 52, 48) |
		       put(page_size_code(b->page_size), 9, 8) | put(b->pages - 1, 7, 0);

	if (b->page_size == 65536)
		return reg | put(b->addr >> 16, 47, 16) | put(b->addr >> 48, 15, 12);
	return reg | put(b->addr >> 12, 47, 12);
}

uint64_t its_l1e_encode(uint64_t addr)
{
	return 1ull << 63 | put(addr >> 12, 51, 12);
}

int its_l1e_decode(uint64_t e, uint64_t *addr)
{
	*addr = field(e, 51, 12) << 12;
	return field(e, 63, 63);
}

uint64_t its_typer_encode(unsigned dev_bits, unsigned event_bits, unsigned itt_entry_size)
{
	return put(dev_bits - 1, 17, 13) | put(event_bits - 1, 12, 8) |
	       put(itt_entry_size - 1, 7, 4);
}

unsigned its_typer_dev_bits(uint64_t typer)
{
	return field(typer, 17, 13) + 1;
}

unsigned its_typer_event_bits(uint64_t typer)
{
	return field(typer, 12, 8) + 1;
}

unsigned its_typer_itt_entry_size(uint64_t typer)
{
	return field(typer, 7, 4) + 1;
}

unsigned its_iidr_revision(uint32_t iidr)
{
	return field(iidr, 15, 12);
}

/* ---- The walk's state ---- */

enum region_kind { R_COLL, R_DEV, R_L2, R_ITT };

/* Guest RAM a table occupies. */
struct region {
	uint64_t start, len;
	enum region_kind kind;
	uint64_t id;		/* BASER number, level-1 index or DeviceID */
};

struct device {
	uint32_t id;
	struct its_dte dte;
};

struct collections {
	uint64_t seen[NR_ICIDS / 64];
	uint32_t target[NR_ICIDS];
};

/* A table located by a BASER. */
struct table {
	int reg;		/* GITS_BASER<reg>, -1: none */
	struct its_baser b;
	const char *name;
};

struct walk {
	const struct guest_mem *m;
	const struct its_limits *lim;
	const struct its_table_visitor *v;	/* NULL: validate only */
	void *ctx;
	int visit_rc;				/* the visitor's nonzero return */
	char *err;
	size_t errlen;
	unsigned dev_bits, event_bits, lpi_bits;
	struct table dt, ct;
	struct collections *coll;
	struct region *reg;
	size_t nreg, reg_cap;
	struct device *dev;
	size_t ndev, dev_cap;
};

/* Following a device table or an ITT the way KVM's restore does. */
struct scan {
	struct walk *w;
	int is_itt;		/* ITEs of DeviceID devid, else DTEs */
	uint32_t devid;
	uint64_t ids;		/* the table's ID space: next must stay inside */
	uint64_t prev, expect;	/* valid entry prev's next leads to expect */
	int chained, capped, done;
};

static uint64_t load(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static uint64_t table_bytes(const struct its_baser *b)
{
	return (uint64_t)b->pages * b->page_size;
}

/* Double *@cap until @n items fit. */
static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* ---- Messages ---- */

static int vfail(struct walk *w, const char *prefix, const char *fmt, va_list ap)
{
	int n = snprintf(w->err, w->errlen, "%s", prefix);

	if (n >= 0 && (size_t)n < w->errlen)
		vsnprintf(w->err + n, w->errlen - n, fmt, ap);
	return -EINVAL;
}

__attribute__((format(printf, 2, 3)))
static int fail(struct walk *w, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(w, "", fmt, ap);
	va_end(ap);
	return rc;
}

/* "DeviceID 0x10" or "EventID 3". */
static const char *id_str(const struct scan *s, uint64_t id, char buf[40])
{
	if (s->is_itt)
		snprintf(buf, 40, "EventID %llu", (ull)id);
	else
		snprintf(buf, 40, "DeviceID 0x%llx", (ull)id);
	return buf;
}

/* A failure of entry @id of @s's table. */
__attribute__((format(printf, 3, 4)))
static int fail_entry(const struct scan *s, uint64_t id, const char *fmt, ...)
{
	char prefix[80], name[40];
	va_list ap;
	int rc;

	if (s->is_itt)
		snprintf(prefix, sizeof(prefix), "ITT of DeviceID 0x%x, %s: ", s->devid,
			 id_str(s, id, name));
	else
		snprintf(prefix, sizeof(prefix), "device table entry for %s: ",
			 id_str(s, id, name));
	va_start(ap, fmt);
	rc = vfail(s->w, prefix, fmt, ap);
	va_end(ap);
	return rc;
}

static const char *region_name(const struct region *r, char buf[64])
{
	switch (r->kind) {
	case R_COLL:
		snprintf(buf, 64, "the collection table (GITS_BASER%llu)", (ull)r->id);
		break;
	case R_DEV:
		snprintf(buf, 64, "the device table (GITS_BASER%llu)", (ull)r->id);
		break;
	case R_L2:
		snprintf(buf, 64, "the level-2 page of level-1 entry %llu", (ull)r->id);
		break;
	default:
		snprintf(buf, 64, "the ITT of DeviceID 0x%llx", (ull)r->id);
	}
	return buf;
}

/* ---- Regions: the tables must not overlap ---- */

static int region_add(struct walk *w, enum region_kind kind, uint64_t id,
		      uint64_t start, uint64_t len)
{
	if (grow((void **)&w->reg, &w->reg_cap, w->nreg + 1, sizeof(*w->reg)))
		return -ENOMEM;
	w->reg[w->nreg++] = (struct region){ start, len, kind, id };
	return 0;
}

static int region_cmp(const void *a, const void *b)
{
	const struct region *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* Sorted by start, any overlap shows between neighbours. */
static int regions_check(struct walk *w)
{
	char a[64], b[64];

	if (w->nreg)
		qsort(w->reg, w->nreg, sizeof(*w->reg), region_cmp);
	for (size_t i = 1; i < w->nreg; i++) {
		const struct region *p = &w->reg[i - 1], *q = &w->reg[i];

		if (q->start - p->start < p->len)
			return fail(w, "%s [0x%llx, +0x%llx) overlaps %s [0x%llx, +0x%llx)",
				    region_name(p, a), (ull)p->start, (ull)p->len,
				    region_name(q, b), (ull)q->start, (ull)q->len);
	}
	return 0;
}

/* ---- Registers ---- */

static int baser_find(struct walk *w, uint64_t reg, int n)
{
	struct its_baser b = its_baser_decode(reg);
	struct table *t;

	if (!b.valid || (b.type != ITS_BASER_TYPE_DEVICE &&
			 b.type != ITS_BASER_TYPE_COLLECTION))
		return 0;
	t = b.type == ITS_BASER_TYPE_DEVICE ? &w->dt : &w->ct;
	if (t->reg >= 0)
		return fail(w, "GITS_BASER%d and GITS_BASER%d both describe a %s",
			    t->reg, n, t->name);
	t->reg = n;
	t->b = b;
	return 0;
}

__attribute__((format(printf, 3, 4)))
static int fail_baser(struct walk *w, const struct table *t, const char *fmt, ...)
{
	char prefix[64];
	va_list ap;
	int rc;

	snprintf(prefix, sizeof(prefix), "GITS_BASER%d (%s): ", t->reg, t->name);
	va_start(ap, fmt);
	rc = vfail(w, prefix, fmt, ap);
	va_end(ap);
	return rc;
}

static int baser_check(struct walk *w, const struct table *t, enum region_kind kind)
{
	const struct its_baser *b = &t->b;

	if (t->reg < 0)
		return 0;
	if (b->entry_size != ITS_ENTRY_SIZE)
		return fail_baser(w, t, "Entry_Size is %u bytes, ABI revision 0 has 8",
				  b->entry_size);
	if (!b->page_size)
		return fail_baser(w, t, "reserved Page_Size encoding");
	if (b->addr & (b->page_size - 1))
		return fail_baser(w, t, "address 0x%llx is not aligned to its %uK pages",
				  (ull)b->addr, b->page_size / 1024);
	if (!mem_ptr(w->m, b->addr, table_bytes(b)))
		return fail_baser(w, t, "[0x%llx, +0x%llx) is outside guest RAM",
				  (ull)b->addr, (ull)table_bytes(b));
	if (b->indirect && kind == R_COLL)
		return fail_baser(w, t, "Indirect, but KVM keeps the collection table flat");
	return region_add(w, kind, t->reg, b->addr, table_bytes(b));
}

static int regs_check(struct walk *w, const struct its_regs *r)
{
	unsigned rev = its_iidr_revision(r->iidr);
	int rc = 0;

	if (rev)
		return fail(w, "GITS_IIDR: ABI revision %u, only revision 0 is known", rev);
	if (its_typer_itt_entry_size(r->typer) != ITS_ENTRY_SIZE)
		return fail(w, "GITS_TYPER: ITT_entry_size is %u bytes, ABI revision 0 has 8",
			    its_typer_itt_entry_size(r->typer));
	w->dev_bits = its_typer_dev_bits(r->typer);
	w->event_bits = its_typer_event_bits(r->typer);
	for (int n = 0; !rc && n < 8; n++)
		rc = baser_find(w, r->baser[n], n);
	if (!rc)
		rc = baser_check(w, &w->ct, R_COLL);
	return rc ? rc : baser_check(w, &w->dt, R_DEV);
}

/* ---- Collection table: valid CTEs up to the first invalid one ---- */

static int coll_has(const struct walk *w, unsigned icid)
{
	return w->coll->seen[icid / 64] >> (icid % 64) & 1;
}

static int cte_check(struct walk *w, uint64_t i, uint64_t n, const struct its_cte *c)
{
	if (c->icid >= n)
		return fail(w, "collection table entry %llu: collection %u does not fit "
			    "the collection table (%llu entries)", (ull)i, c->icid, (ull)n);
	if (coll_has(w, c->icid))
		return fail(w, "collection table entry %llu: collection %u is already "
			    "in an earlier entry", (ull)i, c->icid);
	if (c->rdbase != ITS_TARGET_UNMAPPED && c->rdbase >= w->lim->ncpus)
		return fail(w, "collection table entry %llu: collection %u targets vCPU "
			    "%llu, but the VM has %u vCPUs", (ull)i, c->icid,
			    (ull)c->rdbase, w->lim->ncpus);
	return 0;
}

static int visit(struct walk *w, int rc)
{
	if (!rc)
		return 0;
	w->visit_rc = rc;
	return -ECANCELED;
}

static int cte_add(struct walk *w, const struct its_cte *c)
{
	w->coll->seen[c->icid / 64] |= 1ull << (c->icid % 64);
	w->coll->target[c->icid] = c->rdbase;
	if (!w->v || !w->v->on_collection)
		return 0;
	return visit(w, w->v->on_collection(w->ctx, c->icid, c->rdbase));
}

static int coll_scan(struct walk *w)
{
	const struct its_baser *b = &w->ct.b;
	const uint8_t *p;
	uint64_t n;
	int rc = 0;

	if (w->ct.reg < 0)
		return 0;
	p = mem_ptr(w->m, b->addr, table_bytes(b));
	n = table_bytes(b) / ITS_ENTRY_SIZE;
	for (uint64_t i = 0; !rc && i < n; i++) {
		struct its_cte c = its_cte_decode(load(p + i * ITS_ENTRY_SIZE));

		if (!c.valid)
			break;
		rc = cte_check(w, i, n, &c);
		if (!rc)
			rc = cte_add(w, &c);
	}
	return rc;
}

/* ---- Chains of next offsets ---- */

/* Entry @id is not valid: an uncapped next must not have led here. */
static int chain_miss(const struct scan *s, uint64_t id)
{
	char to[40];

	if (!s->chained || s->capped || id != s->expect)
		return 0;
	return fail_entry(s, s->prev, "next %llu points to %s, whose entry is not valid",
			  (ull)(s->expect - s->prev), id_str(s, id, to));
}

/* Entry @id is valid: the chain must not have jumped over it. */
static int chain_hit(const struct scan *s, uint64_t id)
{
	char from[40], to[40];

	if (!s->chained || id >= s->expect)
		return 0;
	return fail_entry(s, id, "valid, but the next chain skips it (%s's next %llu "
			  "points to %s)", id_str(s, s->prev, from),
			  (ull)(s->expect - s->prev), id_str(s, s->expect, to));
}

/* The IDs [@first, @first + @n) have no level-2 page (level-1 entry @l1). */
static int chain_gap(const struct scan *s, uint64_t first, uint64_t n, uint64_t l1)
{
	char to[40];

	if (!s->chained || s->capped || s->expect < first || s->expect - first >= n)
		return 0;
	return fail_entry(s, s->prev, "next %llu points to %s, whose level-2 page "
			  "(level-1 entry %llu) is not valid", (ull)(s->expect - s->prev),
			  id_str(s, s->expect, to), (ull)l1);
}

/* Valid entry @id has @next (capped at @cap): the step to take, 0 at the
 * end of the chain. */
static int chain_set(struct scan *s, uint64_t id, unsigned next, unsigned cap)
{
	char to[40];

	if (!next) {
		s->done = 1;
		return 0;
	}
	if (next >= s->ids - id)
		return fail_entry(s, id, "next %u points to %s, beyond the %s (%llu %s)",
				  next, id_str(s, id + next, to),
				  s->is_itt ? "ITT" : "device table", (ull)s->ids,
				  s->is_itt ? "EventIDs" : "DeviceIDs");
	s->chained = 1;
	s->capped = next == cap;
	s->prev = id;
	s->expect = id + next;
	return next;
}

/* ---- Device table ---- */

static int dte_check(const struct scan *s, uint64_t id, const struct its_dte *d)
{
	const struct walk *w = s->w;
	uint64_t len = (uint64_t)ITS_ENTRY_SIZE << (d->size + 1);

	if (id >> w->dev_bits)
		return fail_entry(s, id, "DeviceID is beyond GITS_TYPER.Devbits (%u bits)",
				  w->dev_bits);
	if (d->size + 1 > w->event_bits)
		return fail_entry(s, id, "Size %u (%u EventID bits) exceeds GITS_TYPER."
				  "ID_bits (%u bits)", d->size, d->size + 1, w->event_bits);
	if (!mem_ptr(w->m, d->itt_addr, len))
		return fail_entry(s, id, "ITT [0x%llx, +0x%llx) is outside guest RAM",
				  (ull)d->itt_addr, (ull)len);
	return 0;
}

static int dev_add(struct walk *w, uint64_t id, const struct its_dte *d)
{
	if (grow((void **)&w->dev, &w->dev_cap, w->ndev + 1, sizeof(*w->dev)))
		return -ENOMEM;
	w->dev[w->ndev++] = (struct device){ id, *d };
	return region_add(w, R_ITT, id, d->itt_addr, (uint64_t)ITS_ENTRY_SIZE << (d->size + 1));
}

/* The step to the next entry to read, 0 at the end, or -errno. */
static int dte_entry(struct scan *s, uint64_t id, uint64_t e)
{
	struct its_dte d = its_dte_decode(e);
	int rc;

	if (!d.valid) {
		rc = chain_miss(s, id);
		return rc ? rc : 1;
	}
	rc = chain_hit(s, id);
	if (!rc)
		rc = dte_check(s, id, &d);
	if (!rc)
		rc = dev_add(s->w, id, &d);
	return rc ? rc : chain_set(s, id, d.next, ITS_DTE_NEXT_MAX);
}

/* ---- ITTs ---- */

static int ite_check(const struct scan *s, uint64_t id, const struct its_ite *i)
{
	const struct walk *w = s->w;

	if (i->intid < ITS_LPI_MIN)
		return fail_entry(s, id, "LPI %u is below %u", i->intid, ITS_LPI_MIN);
	if (w->lpi_bits < 32 && i->intid >> w->lpi_bits)
		return fail_entry(s, id, "LPI %u is beyond the LPI property table "
				  "(INTIDs below %llu)", i->intid, 1ull << w->lpi_bits);
	if (!coll_has(w, i->icid))
		return fail_entry(s, id, "collection %u is not in the collection table",
				  i->icid);
	return 0;
}

static int ite_visit(struct scan *s, uint64_t id, const struct its_ite *i)
{
	struct walk *w = s->w;
	struct its_event e = {
		.devid = s->devid, .eventid = id, .intid = i->intid,
		.icid = i->icid, .target = w->coll->target[i->icid],
	};

	if (!w->v || !w->v->on_event)
		return 0;
	return visit(w, w->v->on_event(w->ctx, &e));
}

static int ite_entry(struct scan *s, uint64_t id, uint64_t e)
{
	struct its_ite i = its_ite_decode(e);
	int rc;

	if (!i.intid) {
		rc = chain_miss(s, id);
		return rc ? rc : 1;
	}
	rc = chain_hit(s, id);
	if (!rc)
		rc = ite_check(s, id, &i);
	if (!rc)
		rc = ite_visit(s, id, &i);
	return rc ? rc : chain_set(s, id, i.next, ITS_ITE_NEXT_MAX);
}

/* ---- Scanning ---- */

/* The @n entries at @p, the first with ID @id0. */
static int scan_run(struct scan *s, const uint8_t *p, uint64_t id0, uint64_t n)
{
	uint64_t i = 0;
	int step;

	if (!p)		/* cannot happen: checked before */
		return -EFAULT;
	while (i < n) {
		uint64_t e = load(p + i * ITS_ENTRY_SIZE);

		step = s->is_itt ? ite_entry(s, id0 + i, e) : dte_entry(s, id0 + i, e);
		if (step <= 0)
			return step;
		i += step;
	}
	return 0;
}

/* Entries per level-2 page of the device table. */
static uint64_t l2_ids(const struct walk *w)
{
	return w->dt.b.page_size / ITS_ENTRY_SIZE;
}

static const uint8_t *l1_table(const struct walk *w, uint64_t *n)
{
	*n = table_bytes(&w->dt.b) / ITS_ENTRY_SIZE;
	return mem_ptr(w->m, w->dt.b.addr, table_bytes(&w->dt.b));
}

/* Level-1 entry @i points to the level-2 page at *@addr; 0 if not valid. */
static int l1_entry(const struct walk *w, const uint8_t *l1, uint64_t i, uint64_t *addr)
{
	int valid = its_l1e_decode(load(l1 + i * ITS_ENTRY_SIZE), addr);

	*addr &= ~(uint64_t)(w->dt.b.page_size - 1);
	return valid;
}

/* Every valid level-1 entry: its page in RAM, its DeviceIDs within Devbits. */
static int l1_check(struct walk *w)
{
	uint64_t n, addr, per = l2_ids(w);
	const uint8_t *l1;
	int rc = 0;

	if (w->dt.reg < 0 || !w->dt.b.indirect)
		return 0;
	l1 = l1_table(w, &n);
	for (uint64_t i = 0; !rc && i < n; i++) {
		if (!l1_entry(w, l1, i, &addr))
			continue;
		if ((i * per) >> w->dev_bits)
			return fail(w, "device table level-1 entry %llu: valid, but its DeviceIDs "
				    "0x%llx.. are beyond GITS_TYPER.Devbits (%u bits)",
				    (ull)i, (ull)(i * per), w->dev_bits);
		if (!mem_ptr(w->m, addr, w->dt.b.page_size))
			return fail(w, "device table level-1 entry %llu: level-2 page 0x%llx "
				    "is outside guest RAM", (ull)i, (ull)addr);
		rc = region_add(w, R_L2, i, addr, w->dt.b.page_size);
	}
	return rc;
}

/* KVM's order: each valid level-2 page in turn, until next 0. */
static int l1_scan(struct walk *w, struct scan *s)
{
	uint64_t n, addr, per = l2_ids(w);
	const uint8_t *l1 = l1_table(w, &n);
	int rc = 0;

	s->ids = n * per;
	for (uint64_t i = 0; !rc && !s->done && i < n; i++) {
		if (l1_entry(w, l1, i, &addr))
			rc = scan_run(s, mem_ptr(w->m, addr, w->dt.b.page_size), i * per, per);
		else
			rc = chain_gap(s, i * per, per, i);
	}
	return rc;
}

static int dev_scan(struct walk *w)
{
	struct scan s = { .w = w };

	if (w->dt.reg < 0)
		return 0;
	if (w->dt.b.indirect)
		return l1_scan(w, &s);
	s.ids = table_bytes(&w->dt.b) / ITS_ENTRY_SIZE;
	return scan_run(&s, mem_ptr(w->m, w->dt.b.addr, table_bytes(&w->dt.b)), 0, s.ids);
}

static int itt_scan(struct walk *w, const struct device *d)
{
	struct scan s = { .w = w, .is_itt = 1, .devid = d->id };
	const struct its_table_visitor *v = w->v;
	unsigned bits = d->dte.size + 1;

	s.ids = 1ull << bits;
	if (v && v->on_device && visit(w, v->on_device(w->ctx, d->id, d->dte.itt_addr, bits)))
		return -ECANCELED;
	return scan_run(&s, mem_ptr(w->m, d->dte.itt_addr, s.ids * ITS_ENTRY_SIZE), 0, s.ids);
}

/* ---- The walk ---- */

static int walk_tables(struct walk *w, const struct its_regs *r)
{
	int rc = regs_check(w, r);

	if (!rc)
		rc = l1_check(w);
	if (!rc)	/* the tables, then with the ITTs: before each scan, so */
		rc = regions_check(w);	/* RAM's size bounds the work */
	if (!rc)
		rc = coll_scan(w);
	if (!rc)
		rc = dev_scan(w);
	if (!rc)
		rc = regions_check(w);
	for (size_t i = 0; !rc && i < w->ndev; i++)
		rc = itt_scan(w, &w->dev[i]);
	return rc;
}

static int walk_once(struct walk *w, const struct its_regs *r)
{
	int rc = -ENOMEM;

	w->dt = (struct table){ .reg = -1, .name = "device table" };
	w->ct = (struct table){ .reg = -1, .name = "collection table" };
	w->lpi_bits = w->lim->lpi_id_bits;
	w->coll = calloc(1, sizeof(*w->coll));
	if (w->coll)
		rc = walk_tables(w, r);
	free(w->coll);
	free(w->reg);
	free(w->dev);
	return w->visit_rc ? w->visit_rc : rc;
}

int its_table_walk(const struct guest_mem *m, const struct its_regs *r,
		   const struct its_limits *lim, const struct its_table_visitor *v,
		   void *ctx, char *err, size_t errlen)
{
	struct walk check = { .m = m, .lim = lim, .err = err, .errlen = err ? errlen : 0 };
	struct walk run = check;
	int rc;

	if (check.errlen)
		err[0] = '\0';
	rc = walk_once(&check, r);	/* first validate everything, */
	if (rc || !v)
		return rc;
	run.v = v;			/* then visit */
	run.ctx = ctx;
	return walk_once(&run, r);
}

int its_table_check(const struct guest_mem *m, const struct its_regs *r,
		    const struct its_limits *lim, char *err, size_t errlen)
{
	return its_table_walk(m, r, lim, NULL, NULL, err, errlen);
}
