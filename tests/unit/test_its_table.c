/* KVM's vITS table ABI, revision 0 (arch/arm64/its_table.c): tables laid
 * out in a malloc'ed guest RAM exactly as KVM_DEV_ARM_ITS_SAVE_TABLES
 * writes them, walked, then corrupted one thing at a time. */
#include "arch/arm64/its_table.h"

#include "tests/unit/unit.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define RAM_GPA		0x40000000ull
#define RAM_SIZE	0x100000ull
#define PAGE		0x10000ull		/* KVM's ITS pages: 64K */
#define CT_GPA		(RAM_GPA + 0x10000)	/* collection table, 1 page */
#define DT_GPA		(RAM_GPA + 0x20000)	/* device table or level 1, 1 page */
#define L2_GPA		(RAM_GPA + 0x30000)	/* level-2 pages of level-1 entries 0, 1 */
#define ITT_GPA		(RAM_GPA + 0x60000)	/* ITTs, 4K apart */
#define BIG_DT_GPA	(RAM_GPA + 0x80000)	/* a flat device table of 3 pages */
#define PER_PAGE	(PAGE / 8)		/* DTEs per level-2 page */

struct tev {
	uint32_t eventid, intid;
	unsigned icid;
};

struct tdev {
	uint32_t devid;
	uint64_t itt;
	unsigned size;		/* EventID bits - 1 */
	size_t nev;
	struct tev ev[4];
};

struct tcoll {
	unsigned icid;
	uint32_t target;
};

/* In no particular order, as the ABI allows. */
static const struct tcoll colls[] = { { 3, 2 }, { 0, 0 }, { 1, 3 } };

static const struct tdev devs[] = {
	{ 0x8, ITT_GPA, 3, 3, { { 0, 8192, 0 }, { 3, 8200, 3 }, { 15, 8300, 1 } } },
	{ 0x10, ITT_GPA + 0x1000, 1, 2, { { 1, 9000, 1 }, { 2, 9001, 0 } } },
	{ 0x1000, ITT_GPA + 0x2000, 4, 1, { { 31, 65535, 3 } } },
};

/* What the walk should visit in the tables above. */
static const char want_colls[] =
	"coll 3 cpu 2\n"
	"coll 0 cpu 0\n"
	"coll 1 cpu 3\n";
static const char want_devs_8_10[] =
	"dev 0x8 itt 0x40060000 bits 4\n"
	"ev 0x8/0 lpi 8192 coll 0 cpu 0\n"
	"ev 0x8/3 lpi 8200 coll 3 cpu 2\n"
	"ev 0x8/15 lpi 8300 coll 1 cpu 3\n"
	"dev 0x10 itt 0x40061000 bits 2\n"
	"ev 0x10/1 lpi 9000 coll 1 cpu 3\n"
	"ev 0x10/2 lpi 9001 coll 0 cpu 0\n";
static const char want_dev_1000[] =
	"dev 0x1000 itt 0x40062000 bits 5\n"
	"ev 0x1000/31 lpi 65535 coll 3 cpu 2\n";

static struct guest_mem mem;
static struct its_regs regs;
static struct its_limits lim;
static int indirect;		/* where dte_gpa() finds DTEs */
static uint64_t dt_gpa;

/* ---- Guest RAM ---- */

static void put64(uint64_t gpa, uint64_t v)
{
	uint8_t *p = mem_ptr(&mem, gpa, 8);
	uint64_t le = htole64(v);

	ck_assert_ptr_nonnull(p);
	memcpy(p, &le, 8);
}

static uint64_t get64(uint64_t gpa)
{
	uint8_t *p = mem_ptr(&mem, gpa, 8);
	uint64_t le;

	ck_assert_ptr_nonnull(p);
	memcpy(&le, p, 8);
	return le64toh(le);
}

static uint64_t dte_gpa(uint32_t devid)
{
	if (!indirect)
		return dt_gpa + 8ull * devid;
	return L2_GPA + devid / PER_PAGE * PAGE + devid % PER_PAGE * 8;
}

static struct its_dte dte_at(uint32_t devid)
{
	return its_dte_decode(get64(dte_gpa(devid)));
}

static void dte_put(uint32_t devid, struct its_dte d)
{
	put64(dte_gpa(devid), its_dte_encode(&d));
}

static struct its_ite ite_at(uint64_t itt, uint32_t eventid)
{
	return its_ite_decode(get64(itt + 8ull * eventid));
}

static void ite_put(uint64_t itt, uint32_t eventid, struct its_ite i)
{
	put64(itt + 8ull * eventid, its_ite_encode(&i));
}

static void cte_put(unsigned i, unsigned icid, uint64_t target)
{
	struct its_cte c = { .valid = 1, .rdbase = target, .icid = icid };

	put64(CT_GPA + 8ull * i, its_cte_encode(&c));
}

/* ---- Saving, as KVM does ---- */

static unsigned next_off(uint64_t from, uint64_t to, unsigned cap)
{
	return to - from > cap ? cap : to - from;
}

static void save_itt(const struct tdev *d)
{
	for (size_t i = 0; i < d->nev; i++) {
		const struct tev *e = &d->ev[i];
		struct its_ite ite = { 0, e->intid, e->icid };

		if (i + 1 < d->nev)
			ite.next = next_off(e->eventid, d->ev[i + 1].eventid, ITS_ITE_NEXT_MAX);
		ite_put(d->itt, e->eventid, ite);
	}
}

/* Devices sorted by DeviceID; each DTE's next leads to the following one. */
static void save_devs(const struct tdev *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct its_dte dte = { 1, 0, d[i].itt, d[i].size };

		if (i + 1 < n)
			dte.next = next_off(d[i].devid, d[i + 1].devid, ITS_DTE_NEXT_MAX);
		dte_put(d[i].devid, dte);
		save_itt(&d[i]);
	}
}

/* Valid CTEs first, then an invalid one (the RAM is zeroed). */
static void save_colls(const struct tcoll *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cte_put(i, c[i].icid, c[i].target);
}

static uint64_t baser(unsigned type, uint64_t addr, unsigned pages, int ind)
{
	struct its_baser b = {
		.valid = 1, .indirect = ind, .type = type, .entry_size = 8,
		.page_size = PAGE, .pages = pages, .addr = addr,
	};

	return its_baser_encode(&b);
}

static void setup(void)
{
	mem.hva = unit_alloc(RAM_SIZE);
	memset(mem.hva, 0, RAM_SIZE);
	mem.gpa = RAM_GPA;
	mem.size = RAM_SIZE;
	memset(&regs, 0, sizeof(regs));
	regs.iidr = 0x4b00043b;		/* KVM, ABI revision 0, ARM */
	regs.typer = its_typer_encode(16, 16, 8);
	regs.baser[0] = baser(ITS_BASER_TYPE_DEVICE, DT_GPA, 1, 0);
	regs.baser[1] = baser(ITS_BASER_TYPE_COLLECTION, CT_GPA, 1, 0);
	lim = (struct its_limits){ .ncpus = 4, .lpi_id_bits = 16 };
	indirect = 0;
	dt_gpa = DT_GPA;
	save_colls(colls, 3);
	save_devs(devs, 3);
}

static void teardown(void)
{
	free(mem.hva);
}

/* The standard devices, the last one at @last_devid, in a two-level table
 * whose level-1 entries 0 and 1 are valid. */
static void make_two_level(uint32_t last_devid)
{
	struct tdev d[3] = { devs[0], devs[1], devs[2] };

	memset(mem_ptr(&mem, DT_GPA, PAGE), 0, PAGE);
	indirect = 1;
	regs.baser[0] = baser(ITS_BASER_TYPE_DEVICE, DT_GPA, 1, 1);
	put64(DT_GPA, its_l1e_encode(L2_GPA));
	put64(DT_GPA + 8, its_l1e_encode(L2_GPA + PAGE));
	d[2].devid = last_devid;
	save_devs(d, 3);
}

/* ---- A visitor that writes down what it sees ---- */

static char seen[4096];
static size_t seen_len;
static int stop_devices = -1;	/* on_device returns 42 after this many */

/* Appends to seen[], truncating (random tables may visit a lot). */
__attribute__((format(printf, 1, 2)))
static void note(const char *fmt, ...)
{
	size_t room = sizeof(seen) - seen_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(seen + seen_len, room, fmt, ap);
	va_end(ap);
	seen_len += n > 0 && (size_t)n < room ? (size_t)n : room - 1;
}

static void note_cpu(uint32_t target)
{
	if (target == ITS_TARGET_UNMAPPED)
		note(" cpu none\n");
	else
		note(" cpu %u\n", target);
}

static int on_collection(void *ctx, unsigned icid, uint32_t target)
{
	(void)ctx;
	note("coll %u", icid);
	note_cpu(target);
	return 0;
}

static int on_device(void *ctx, uint32_t devid, uint64_t itt, unsigned bits)
{
	(void)ctx;
	if (stop_devices == 0)
		return 42;
	stop_devices--;
	note("dev 0x%x itt 0x%llx bits %u\n", devid, (unsigned long long)itt, bits);
	return 0;
}

static int on_event(void *ctx, const struct its_event *e)
{
	ck_assert_ptr_eq(ctx, &seen);
	note("ev 0x%x/%u lpi %u coll %u", e->devid, e->eventid, e->intid, e->icid);
	note_cpu(e->target);
	return 0;
}

static const struct its_table_visitor recorder = { on_collection, on_device, on_event };

static char err[256];

static int walk(void)
{
	seen_len = 0;
	seen[0] = '\0';
	strcpy(err, "untouched");
	return its_table_walk(&mem, &regs, &lim, &recorder, &seen, err, sizeof(err));
}

/* The walk succeeds and sees exactly @want. */
static void expect_ok(const char *want)
{
	int rc = walk();

	ck_assert_msg(rc == 0, "walk: %d (%s)", rc, err);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(seen, want);
}

/* The walk fails with -EINVAL, saying @msg, having visited nothing. */
static void expect_fail(const char *msg)
{
	int rc = walk();

	ck_assert_msg(rc == -EINVAL, "walk: %d, want -EINVAL (%s)", rc, msg);
	ck_assert_msg(strstr(err, msg), "error '%s' does not say '%s'", err, msg);
	ck_assert_str_eq(seen, "");
}

/* ---- Entry and register encodings ---- */

START_TEST(dte_encoding)
{
	struct its_dte d = { 1, 8, 0x40060000, 3 }, e;

	ck_assert_uint_eq(its_dte_encode(&d), 0x801000000800c003ull);
	e = its_dte_decode(0x801000000800c003ull);
	ck_assert_int_eq(e.valid, 1);
	ck_assert_uint_eq(e.next, 8);
	ck_assert_uint_eq(e.itt_addr, 0x40060000);
	ck_assert_uint_eq(e.size, 3);
	d = (struct its_dte){ 1, ITS_DTE_NEXT_MAX, 0xfffffffffff00ull, 31 };
	e = its_dte_decode(its_dte_encode(&d));
	ck_assert_uint_eq(e.next, ITS_DTE_NEXT_MAX);
	ck_assert_uint_eq(e.itt_addr, 0xfffffffffff00ull);
	ck_assert_uint_eq(e.size, 31);
	d.itt_addr = 0x40060080;	/* ITT_addr holds bits [51:8] only */
	ck_assert_uint_eq(its_dte_decode(its_dte_encode(&d)).itt_addr, 0x40060000);
	ck_assert_int_eq(its_dte_decode(1ull << 62).valid, 0);
}
END_TEST

START_TEST(ite_and_cte_encoding)
{
	struct its_ite i = { 3, 8192, 2 }, j;
	struct its_cte c = { 1, 5, 7 }, d;

	ck_assert_uint_eq(its_ite_encode(&i), 0x0003000020000002ull);
	j = its_ite_decode(0xffff123456780009ull);
	ck_assert_uint_eq(j.next, 0xffff);
	ck_assert_uint_eq(j.intid, 0x12345678);
	ck_assert_uint_eq(j.icid, 9);
	ck_assert_uint_eq(its_cte_encode(&c), 0x8000000000050007ull);
	d = its_cte_decode(0x800fffffffff0007ull | 0x7ffull << 52);	/* RES0 set */
	ck_assert_int_eq(d.valid, 1);
	ck_assert_uint_eq(d.rdbase, 0xfffffffffull);
	ck_assert_uint_eq(d.icid, 7);
	ck_assert_int_eq(its_cte_decode(0x50007).valid, 0);
}
END_TEST

START_TEST(baser_encoding)
{
	struct its_baser b = { 1, 0, ITS_BASER_TYPE_DEVICE, 8, 65536, 2, 0x0001000040020000ull };
	struct its_baser c = { 1, 1, ITS_BASER_TYPE_COLLECTION, 8, 4096, 16, 0x40013000 };
	struct its_baser d;

	/* 64K pages: address bits [51:48] in register bits [15:12] */
	ck_assert_uint_eq(its_baser_encode(&b), 0x8107000040021201ull);
	d = its_baser_decode(0x8107000040021201ull);
	ck_assert_int_eq(d.valid, 1);
	ck_assert_int_eq(d.indirect, 0);
	ck_assert_uint_eq(d.type, ITS_BASER_TYPE_DEVICE);
	ck_assert_uint_eq(d.entry_size, 8);
	ck_assert_uint_eq(d.page_size, 65536);
	ck_assert_uint_eq(d.pages, 2);
	ck_assert_uint_eq(d.addr, 0x0001000040020000ull);
	ck_assert_uint_eq(its_baser_encode(&c), 0xc40700004001300full);
	d = its_baser_decode(0xc40700004001300full);
	ck_assert_int_eq(d.indirect, 1);
	ck_assert_uint_eq(d.type, ITS_BASER_TYPE_COLLECTION);
	ck_assert_uint_eq(d.page_size, 4096);
	ck_assert_uint_eq(d.pages, 16);
	ck_assert_uint_eq(d.addr, 0x40013000);
	ck_assert_uint_eq(its_baser_decode(1ull << 8).page_size, 16384);
	ck_assert_uint_eq(its_baser_decode(3ull << 8).page_size, 0);
}
END_TEST

START_TEST(typer_iidr_l1e_encoding)
{
	uint64_t a;

	ck_assert_uint_eq(its_typer_encode(16, 16, 8), 0x1ef70);
	ck_assert_uint_eq(its_typer_dev_bits(0x1ef70), 16);
	ck_assert_uint_eq(its_typer_event_bits(0x1ef70), 16);
	ck_assert_uint_eq(its_typer_itt_entry_size(0x1ef70), 8);
	ck_assert_uint_eq(its_typer_dev_bits(its_typer_encode(32, 1, 16)), 32);
	ck_assert_uint_eq(its_typer_event_bits(its_typer_encode(32, 1, 16)), 1);
	ck_assert_uint_eq(its_iidr_revision(0x4b00143b), 1);
	ck_assert_uint_eq(its_iidr_revision(0x4b00043b), 0);
	ck_assert_uint_eq(its_l1e_encode(0x40030000), 0x8000000040030000ull);
	ck_assert_int_eq(its_l1e_decode(0x8000000040030000ull, &a), 1);
	ck_assert_uint_eq(a, 0x40030000);
	ck_assert_int_eq(its_l1e_decode(0x40030000, &a), 0);
}
END_TEST

/* ---- Walking what KVM saved ---- */

START_TEST(flat_table_walk)
{
	char want[1024];

	snprintf(want, sizeof(want), "%s%s%s", want_colls, want_devs_8_10, want_dev_1000);
	expect_ok(want);
}
END_TEST

START_TEST(check_without_visitor)
{
	char e[64] = "untouched";

	ck_assert_int_eq(its_table_check(&mem, &regs, &lim, e, sizeof(e)), 0);
	ck_assert_str_eq(e, "");
	ck_assert_int_eq(its_table_check(&mem, &regs, &lim, NULL, 0), 0);
	ck_assert_int_eq(its_table_walk(&mem, &regs, &lim, NULL, NULL, NULL, 0), 0);
}
END_TEST

START_TEST(two_level_walk)
{
	char want[1024];

	make_two_level(0x2005);		/* in level-1 entry 1's page */
	/* bits below the page size are ignored, as KVM does */
	put64(DT_GPA + 8, its_l1e_encode(L2_GPA + PAGE + 0x5000));
	snprintf(want, sizeof(want), "%s%s%s", want_colls, want_devs_8_10,
		 "dev 0x2005 itt 0x40062000 bits 5\n"
		 "ev 0x2005/31 lpi 65535 coll 3 cpu 2\n");
	expect_ok(want);
	/* 0x10's next crosses the page boundary, as KVM writes it */
	ck_assert_uint_eq(dte_at(0x10).next, 0x2005 - 0x10);
}
END_TEST

/* A gap over 2^14-1 DeviceIDs: next is capped and lands on an invalid entry. */
START_TEST(capped_next_is_followed)
{
	struct tdev d[2] = { devs[0], devs[1] };

	dt_gpa = BIG_DT_GPA;
	regs.baser[0] = baser(ITS_BASER_TYPE_DEVICE, BIG_DT_GPA, 3, 0);
	d[1].devid = 20000;
	save_devs(d, 2);
	ck_assert_uint_eq(dte_at(0x8).next, ITS_DTE_NEXT_MAX);
	walk();
	ck_assert_str_eq(err, "");
	ck_assert_ptr_nonnull(strstr(seen, "dev 0x4e20 itt 0x40061000 bits 2\n"
				     "ev 0x4e20/1 lpi 9000 coll 1 cpu 3\n"));
	ck_assert_ptr_nonnull(strstr(seen, "dev 0x8 itt"));
}
END_TEST

/* Entries off the next chain, and CTEs after the end marker, are left
 * from earlier saves: KVM ignores them, so does the walk. */
START_TEST(stale_entries_are_ignored)
{
	char want[1024];

	dte_put(0x9, (struct its_dte){ 1, 1, 0x90000000, 31 });
	ite_put(ITT_GPA, 1, (struct its_ite){ 0, 5, 99 });
	cte_put(4, 3, 99);
	snprintf(want, sizeof(want), "%s%s%s", want_colls, want_devs_8_10, want_dev_1000);
	expect_ok(want);
}
END_TEST

START_TEST(next_zero_ends_the_table)
{
	struct its_dte d = dte_at(0x8);

	d.next = 0;
	dte_put(0x8, d);
	expect_ok("coll 3 cpu 2\ncoll 0 cpu 0\ncoll 1 cpu 3\n"
		  "dev 0x8 itt 0x40060000 bits 4\n"
		  "ev 0x8/0 lpi 8192 coll 0 cpu 0\n"
		  "ev 0x8/3 lpi 8200 coll 3 cpu 2\n"
		  "ev 0x8/15 lpi 8300 coll 1 cpu 3\n");
}
END_TEST

START_TEST(unmapped_collection)
{
	struct its_ite i = ite_at(ITT_GPA + 0x2000, 31);

	cte_put(3, 7, ITS_TARGET_UNMAPPED);
	i.icid = 7;
	ite_put(ITT_GPA + 0x2000, 31, i);
	walk();
	ck_assert_str_eq(err, "");
	ck_assert_ptr_nonnull(strstr(seen, "coll 1 cpu 3\ncoll 7 cpu none\ndev 0x8"));
	ck_assert_ptr_nonnull(strstr(seen, "ev 0x1000/31 lpi 65535 coll 7 cpu none\n"));
}
END_TEST

START_TEST(no_valid_baser_no_tables)
{
	regs.baser[0] &= ~(1ull << 63);
	regs.baser[1] &= ~(1ull << 63);
	regs.baser[5] = 1ull << 63 | 2ull << 56 | 0x90000000;	/* vPE table: not ours */
	expect_ok("");
	regs.baser[0] |= 1ull << 63;	/* devices, but their collections are gone */
	expect_fail("ITT of DeviceID 0x8, EventID 0: collection 0 is not in the collection table");
}
END_TEST

START_TEST(visitor_stops_the_walk)
{
	char want[1024];

	stop_devices = 1;
	ck_assert_int_eq(walk(), 42);
	stop_devices = -1;
	snprintf(want, sizeof(want), "%sdev 0x8 itt 0x40060000 bits 4\n"
		 "ev 0x8/0 lpi 8192 coll 0 cpu 0\n"
		 "ev 0x8/3 lpi 8200 coll 3 cpu 2\n"
		 "ev 0x8/15 lpi 8300 coll 1 cpu 3\n", want_colls);
	ck_assert_str_eq(seen, want);
}
END_TEST

/* ---- Registers ---- */

START_TEST(abi_revision)
{
	regs.iidr = 0x4b00143b;
	expect_fail("GITS_IIDR: ABI revision 1, only revision 0 is known");
}
END_TEST

START_TEST(itt_entry_size)
{
	regs.typer = its_typer_encode(16, 16, 16);
	expect_fail("GITS_TYPER: ITT_entry_size is 16 bytes, ABI revision 0 has 8");
}
END_TEST

START_TEST(two_device_tables)
{
	regs.baser[2] = regs.baser[0];
	expect_fail("GITS_BASER0 and GITS_BASER2 both describe a device table");
}
END_TEST

START_TEST(baser_entry_size)
{
	struct its_baser b = its_baser_decode(regs.baser[0]);

	b.entry_size = 16;
	regs.baser[0] = its_baser_encode(&b);
	expect_fail("GITS_BASER0 (device table): Entry_Size is 16 bytes, ABI revision 0 has 8");
}
END_TEST

START_TEST(baser_reserved_page_size)
{
	regs.baser[1] |= 3ull << 8;
	expect_fail("GITS_BASER1 (collection table): reserved Page_Size encoding");
}
END_TEST

START_TEST(baser_misaligned)
{
	struct its_baser b = its_baser_decode(regs.baser[1]);

	b.page_size = 16384;
	b.addr = CT_GPA + 0x1000;
	regs.baser[1] = its_baser_encode(&b);
	expect_fail("GITS_BASER1 (collection table): address 0x40011000 is not aligned "
		    "to its 16K pages");
}
END_TEST

START_TEST(baser_outside_ram)
{
	regs.baser[0] = baser(ITS_BASER_TYPE_DEVICE, RAM_GPA + RAM_SIZE - PAGE, 2, 0);
	expect_fail("GITS_BASER0 (device table): [0x400f0000, +0x20000) is outside guest RAM");
	regs.baser[0] = baser(ITS_BASER_TYPE_DEVICE, DT_GPA, 1, 0);
	regs.baser[1] = baser(ITS_BASER_TYPE_COLLECTION, 0x80000000, 1, 0);
	expect_fail("GITS_BASER1 (collection table): [0x80000000, +0x10000) is outside guest RAM");
}
END_TEST

START_TEST(collection_table_indirect)
{
	regs.baser[1] = baser(ITS_BASER_TYPE_COLLECTION, CT_GPA, 1, 1);
	expect_fail("GITS_BASER1 (collection table): Indirect, but KVM keeps the "
		    "collection table flat");
}
END_TEST

/* ---- Collection table ---- */

START_TEST(collection_targets_missing_vcpu)
{
	lim.ncpus = 2;
	expect_fail("collection table entry 0: collection 3 targets vCPU 2, but the VM has 2 vCPUs");
	lim.ncpus = 3;
	cte_put(1, 0, 0x100000000ull);	/* RDBase has 36 bits */
	expect_fail("collection table entry 1: collection 0 targets vCPU 4294967296, "
		    "but the VM has 3 vCPUs");
}
END_TEST

START_TEST(collection_twice)
{
	cte_put(3, 0, 1);
	expect_fail("collection table entry 3: collection 0 is already in an earlier entry");
}
END_TEST

/* 4K pages: one page holds ICIDs 0..511. */
START_TEST(collection_beyond_table)
{
	struct its_baser b = its_baser_decode(regs.baser[1]);

	b.page_size = 4096;
	regs.baser[1] = its_baser_encode(&b);
	cte_put(3, 511, 0);
	walk();
	ck_assert_str_eq(err, "");
	cte_put(3, 512, 0);
	expect_fail("collection table entry 3: collection 512 does not fit the "
		    "collection table (512 entries)");
}
END_TEST

/* ---- Device table ---- */

START_TEST(devid_beyond_devbits)
{
	regs.typer = its_typer_encode(12, 16, 8);
	expect_fail("device table entry for DeviceID 0x1000: DeviceID is beyond "
		    "GITS_TYPER.Devbits (12 bits)");
}
END_TEST

START_TEST(dte_size_beyond_id_bits)
{
	struct its_dte d = dte_at(0x8);

	d.size = 16;
	dte_put(0x8, d);
	expect_fail("device table entry for DeviceID 0x8: Size 16 (17 EventID bits) "
		    "exceeds GITS_TYPER.ID_bits (16 bits)");
}
END_TEST

START_TEST(itt_outside_ram)
{
	struct its_dte d = dte_at(0x10);

	d.itt_addr = RAM_GPA + RAM_SIZE - 0x100;
	d.size = 5;			/* 0x200 bytes: straddles the end */
	dte_put(0x10, d);
	expect_fail("device table entry for DeviceID 0x10: ITT [0x400fff00, +0x200) "
		    "is outside guest RAM");
	d.itt_addr = 0x1000;
	dte_put(0x10, d);
	expect_fail("device table entry for DeviceID 0x10: ITT [0x1000, +0x200) "
		    "is outside guest RAM");
}
END_TEST

START_TEST(dte_next_past_the_table)
{
	struct its_dte d = dte_at(0x1000);

	d.next = 0x1000;
	dte_put(0x1000, d);
	expect_fail("device table entry for DeviceID 0x1000: next 4096 points to "
		    "DeviceID 0x2000, beyond the device table (8192 DeviceIDs)");
}
END_TEST

START_TEST(dte_next_to_invalid_entry)
{
	struct its_dte d = dte_at(0x8);

	d.next = 5;
	dte_put(0x8, d);
	expect_fail("device table entry for DeviceID 0x8: next 5 points to DeviceID 0xd, "
		    "whose entry is not valid");
}
END_TEST

/* Two level-1 entries aliasing one level-2 page would show every DTE in it
 * under two DeviceIDs: the way a chain could come round again. */
START_TEST(level2_pages_aliased)
{
	make_two_level(0x2005);
	put64(DT_GPA + 8, its_l1e_encode(L2_GPA));
	expect_fail("the level-2 page of level-1 entry 0 [0x40030000, +0x10000) overlaps "
		    "the level-2 page of level-1 entry 1 [0x40030000, +0x10000)");
}
END_TEST

START_TEST(level1_entry_outside_ram)
{
	make_two_level(0x2005);
	put64(DT_GPA + 8, its_l1e_encode(0x90000000));
	expect_fail("device table level-1 entry 1: level-2 page 0x90000000 is outside guest RAM");
}
END_TEST

START_TEST(level1_entry_beyond_devbits)
{
	make_two_level(0x1000);		/* all in level-1 entry 0's page */
	regs.typer = its_typer_encode(13, 16, 8);
	put64(DT_GPA + 8, 0);
	walk();
	ck_assert_str_eq(err, "");	/* DeviceIDs 0..0x1fff: fine */
	put64(DT_GPA + 8, its_l1e_encode(L2_GPA + PAGE));
	expect_fail("device table level-1 entry 1: valid, but its DeviceIDs 0x2000.. are "
		    "beyond GITS_TYPER.Devbits (13 bits)");
}
END_TEST

START_TEST(two_level_next_into_missing_page)
{
	make_two_level(0x2005);
	put64(DT_GPA + 8, 0);
	expect_fail("device table entry for DeviceID 0x10: next 8181 points to DeviceID "
		    "0x2005, whose level-2 page (level-1 entry 1) is not valid");
}
END_TEST

/* KVM rescans a new level-2 page from its start: it would restore a device
 * that the chain says does not exist. */
START_TEST(two_level_entry_skipped_by_chain)
{
	make_two_level(0x2005);
	dte_put(0x2001, (struct its_dte){ 1, 4, ITT_GPA + 0x3000, 1 });
	expect_fail("device table entry for DeviceID 0x2001: valid, but the next chain "
		    "skips it (DeviceID 0x10's next 8181 points to DeviceID 0x2005)");
}
END_TEST

/* ---- ITTs ---- */

START_TEST(lpi_below_8192)
{
	struct its_ite i = ite_at(ITT_GPA, 3);

	i.intid = 8000;
	ite_put(ITT_GPA, 3, i);
	expect_fail("ITT of DeviceID 0x8, EventID 3: LPI 8000 is below 8192");
}
END_TEST

START_TEST(lpi_beyond_property_table)
{
	struct its_ite i = ite_at(ITT_GPA + 0x2000, 31);

	i.intid = 65536;
	ite_put(ITT_GPA + 0x2000, 31, i);
	expect_fail("ITT of DeviceID 0x1000, EventID 31: LPI 65536 is beyond the LPI "
		    "property table (INTIDs below 65536)");
	i.intid = 65535;
	ite_put(ITT_GPA + 0x2000, 31, i);
	lim.lpi_id_bits = 14;
	expect_fail("ITT of DeviceID 0x1000, EventID 31: LPI 65535 is beyond the LPI "
		    "property table (INTIDs below 16384)");
}
END_TEST

START_TEST(event_beyond_itt)
{
	struct its_ite i = ite_at(ITT_GPA + 0x1000, 2);

	i.next = 2;
	ite_put(ITT_GPA + 0x1000, 2, i);
	expect_fail("ITT of DeviceID 0x10, EventID 2: next 2 points to EventID 4, "
		    "beyond the ITT (4 EventIDs)");
}
END_TEST

START_TEST(ite_next_to_invalid_entry)
{
	struct its_ite i = ite_at(ITT_GPA, 0);

	i.next = 2;
	ite_put(ITT_GPA, 0, i);
	expect_fail("ITT of DeviceID 0x8, EventID 0: next 2 points to EventID 2, "
		    "whose entry is not valid");
}
END_TEST

START_TEST(ite_without_collection)
{
	struct its_ite i = ite_at(ITT_GPA, 0);

	i.icid = 5;
	ite_put(ITT_GPA, 0, i);
	expect_fail("ITT of DeviceID 0x8, EventID 0: collection 5 is not in the collection table");
}
END_TEST

START_TEST(itts_overlap)
{
	struct its_dte d = dte_at(0x8);

	d.size = 5;			/* 0x200 bytes */
	dte_put(0x8, d);
	d = dte_at(0x10);
	d.itt_addr = ITT_GPA + 0x100;
	dte_put(0x10, d);
	expect_fail("the ITT of DeviceID 0x8 [0x40060000, +0x200) overlaps the ITT of "
		    "DeviceID 0x10 [0x40060100, +0x20)");
}
END_TEST

START_TEST(itt_overlaps_device_table)
{
	struct its_dte d = dte_at(0x10);

	d.itt_addr = DT_GPA + 0x100;
	dte_put(0x10, d);
	expect_fail("the device table (GITS_BASER0) [0x40020000, +0x10000) overlaps the "
		    "ITT of DeviceID 0x10 [0x40020100, +0x20)");
}
END_TEST

/* ---- Robustness ---- */

START_TEST(short_error_buffer)
{
	char e[12];

	lim.ncpus = 1;
	ck_assert_int_eq(its_table_check(&mem, &regs, &lim, e, sizeof(e)), -EINVAL);
	ck_assert_str_eq(e, "collection ");
	ck_assert_int_eq(its_table_check(&mem, &regs, &lim, NULL, 0), -EINVAL);
}
END_TEST

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A random word or bit in (mostly the used part of) the tables, or a
 * random placement of one of them. */
static void mutate(void)
{
	static const uint64_t area[][2] = {	/* gpa, words */
		{ CT_GPA, 5 }, { DT_GPA, 0x20 }, { DT_GPA + 0x8000, 0x10 },
		{ ITT_GPA, 0x10 }, { ITT_GPA + 0x1000, 4 }, { ITT_GPA + 0x2000, 0x20 },
		{ L2_GPA, 0x2000 }, { RAM_GPA, RAM_SIZE / 8 },
	};
	const uint64_t *a = area[rnd() % 8];
	uint64_t gpa = a[0] + rnd() % a[1] * 8;
	unsigned r = rnd() % 2;

	switch (rnd() % 8) {
	case 0:
		put64(gpa, rnd());
		break;
	case 1:
		regs.baser[r] = baser(r ? ITS_BASER_TYPE_COLLECTION : ITS_BASER_TYPE_DEVICE,
				      RAM_GPA + rnd() % 16 * PAGE, 1 + rnd() % 3, !r && rnd() % 2);
		break;
	default:
		put64(gpa, get64(gpa) ^ 1ull << (rnd() % 64));
	}
}

/* Garbage gives 0 or -EINVAL with a message, never a crash (the build's
 * sanitizers, if any, watch the reads). */
START_TEST(random_corruption)
{
	for (int n = 0; n < 3000; n++) {
		int rc;

		teardown();
		setup();
		for (int k = 1 + rnd() % 4; k; k--)
			mutate();
		rc = walk();
		ck_assert_msg(rc == 0 || rc == -EINVAL, "round %d: %d", n, rc);
		ck_assert_msg(rc == 0 ? !err[0] : err[0] && !seen[0], "round %d: '%s'", n, err);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("its_table");
	TCase *tc[5];

	tc[0] = UNIT_TCASE(s, "encoding", dte_encoding, ite_and_cte_encoding, baser_encoding,
			   typer_iidr_l1e_encoding);
	tc[1] = UNIT_TCASE(s, "walk", flat_table_walk, check_without_visitor, two_level_walk,
			   capped_next_is_followed, stale_entries_are_ignored,
			   next_zero_ends_the_table, unmapped_collection,
			   no_valid_baser_no_tables, visitor_stops_the_walk);
	tc[2] = UNIT_TCASE(s, "registers", abi_revision, itt_entry_size, two_device_tables,
			   baser_entry_size, baser_reserved_page_size, baser_misaligned,
			   baser_outside_ram, collection_table_indirect);
	tc[3] = UNIT_TCASE(s, "entries", collection_targets_missing_vcpu, collection_twice,
			   collection_beyond_table, devid_beyond_devbits, dte_size_beyond_id_bits,
			   itt_outside_ram, dte_next_past_the_table, dte_next_to_invalid_entry,
			   level2_pages_aliased, level1_entry_outside_ram,
			   level1_entry_beyond_devbits, two_level_next_into_missing_page,
			   two_level_entry_skipped_by_chain, lpi_below_8192,
			   lpi_beyond_property_table, event_beyond_itt,
			   ite_next_to_invalid_entry, ite_without_collection, itts_overlap,
			   itt_overlaps_device_table);
	tc[4] = UNIT_TCASE(s, "robustness", short_error_buffer, random_corruption);
	for (int i = 0; i < 5; i++)
		tcase_add_checked_fixture(tc[i], setup, teardown);
	return unit_run(s);
}
