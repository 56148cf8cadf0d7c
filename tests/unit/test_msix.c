/* MSI-X capability, vector table and PBA (devices/pci/msix.c). */
#include "devices/pci/msix.h"
#include "devices/pci/pci.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "tests/unit/unit.h"

#define NVEC	70		/* two PBA words */
#define BAR	2
#define TABLE	0x1000u
#define PBA	0x3000u

enum { LO = PCI_MSIX_ENTRY_LOWER_ADDR, HI = PCI_MSIX_ENTRY_UPPER_ADDR,
       DATA = PCI_MSIX_ENTRY_DATA, CTRL = PCI_MSIX_ENTRY_VECTOR_CTRL };

static struct pci_function fn;
static struct msix m;

/* Callback calls, in order: 'c' on_vector_change, 'f' on_pending_fire. */
static struct { char kind; unsigned vec; } log_[1024];
static unsigned nlog, changes[NVEC], fires[NVEC];

static void record(char kind, struct msix *mm, unsigned vec, void *ctx)
{
	ck_assert_ptr_eq(mm, &m);
	ck_assert_ptr_eq(ctx, &nlog);
	ck_assert_uint_lt(vec, NVEC);
	ck_assert_uint_lt(nlog, 1024);
	log_[nlog].kind = kind;
	log_[nlog++].vec = vec;
}

static void on_change(struct msix *mm, unsigned vec, void *ctx)
{
	record('c', mm, vec, ctx);
	changes[vec]++;
}

static void on_fire(struct msix *mm, unsigned vec, void *ctx)
{
	record('f', mm, vec, ctx);
	fires[vec]++;
	ck_assert_int_eq(msix_pending(mm, vec), 0);	/* cleared before the call */
}

static void setup(void)
{
	static const struct pci_id id = { .vendor = 0x1af4, .device = 0x1041 };

	pci_init(&fn, &id);
	ck_assert_int_eq(pci_add_bar(&fn, BAR, 0x4000, 0), 0);
	ck_assert_int_eq(msix_init(&m, &fn, NVEC, BAR, TABLE, PBA), 0);
	m.on_vector_change = on_change;
	m.on_pending_fire = on_fire;
	m.ctx = &nlog;
	nlog = 0;
	memset(changes, 0, sizeof(changes));
	memset(fires, 0, sizeof(fires));
}

static uint32_t cap_rd(unsigned reg, unsigned len)
{
	return pci_cfg_read(&fn, m.cap + reg, len);
}

static void ctl_wr(uint32_t val)
{
	ck_assert_int_eq(pci_cfg_write(&fn, m.cap + PCI_MSIX_FLAGS, 2, val), 0);
}

static uint64_t tr(unsigned vec, unsigned reg, unsigned len)
{
	return msix_table_read(&m, vec * PCI_MSIX_ENTRY_SIZE + reg, len);
}

static void tw(unsigned vec, unsigned reg, unsigned len, uint64_t val)
{
	msix_table_write(&m, vec * PCI_MSIX_ENTRY_SIZE + reg, len, val);
}

static unsigned total(const unsigned *count)
{
	unsigned n = 0;

	for (unsigned v = 0; v < NVEC; v++)
		n += count[v];
	return n;
}

/* ---- capability ---- */

START_TEST(cap_fields)
{
	ck_assert_uint_eq(m.cap, 0x40);
	ck_assert_int_eq(pci_find_cap(&fn, PCI_CAP_ID_MSIX, 0), 0x40);
	ck_assert_uint_eq(pci_cfg_read(&fn, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST,
			  PCI_STATUS_CAP_LIST);
	ck_assert_uint_eq(cap_rd(PCI_CAP_LIST_ID, 1), PCI_CAP_ID_MSIX);
	ck_assert_uint_eq(cap_rd(PCI_MSIX_FLAGS, 2), NVEC - 1);
	ck_assert_uint_eq(cap_rd(PCI_MSIX_TABLE, 4) & PCI_MSIX_TABLE_BIR, BAR);
	ck_assert_uint_eq(cap_rd(PCI_MSIX_TABLE, 4) & PCI_MSIX_TABLE_OFFSET, TABLE);
	ck_assert_uint_eq(cap_rd(PCI_MSIX_PBA, 4) & PCI_MSIX_PBA_BIR, BAR);
	ck_assert_uint_eq(cap_rd(PCI_MSIX_PBA, 4) & PCI_MSIX_PBA_OFFSET, PBA);
}
END_TEST

START_TEST(cap_guest_writes)
{
	for (unsigned reg = 0; reg < PCI_CAP_MSIX_SIZEOF; reg += 4)
		ck_assert_int_eq(pci_cfg_write(&fn, m.cap + reg, 4, 0xffffffff), 0);
	ck_assert_uint_eq(cap_rd(PCI_CAP_LIST_ID, 2), PCI_CAP_ID_MSIX);	/* next 0 */
	ck_assert_uint_eq(cap_rd(PCI_MSIX_FLAGS, 2), PCI_MSIX_FLAGS_ENABLE |
			  PCI_MSIX_FLAGS_MASKALL | (NVEC - 1));
	ck_assert_uint_eq(cap_rd(PCI_MSIX_TABLE, 4), TABLE | BAR);
	ck_assert_uint_eq(cap_rd(PCI_MSIX_PBA, 4), PBA | BAR);
	ctl_wr(0);
	ck_assert_uint_eq(cap_rd(PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE, NVEC - 1);
}
END_TEST

START_TEST(init_errors)
{
	static const struct pci_id id = { .vendor = 0x1af4 };
	struct pci_function g;
	struct msix x;

	pci_init(&g, &id);
	ck_assert_int_eq(pci_add_bar(&g, 0, 0x1000, 0), 0);
	memset(&x, 0xff, sizeof(x));			/* a used struct */
	ck_assert_int_eq(msix_init(&x, &g, 0, 0, 0, 0x800), -EINVAL);
	ck_assert_int_eq(msix_init(&x, &g, MSIX_MAX_VECTORS + 1, 0, 0, 0x900), -EINVAL);
	ck_assert_int_eq(msix_init(&x, &g, 4, 0, 0x4, 0x800), -EINVAL);	/* unaligned */
	ck_assert_int_eq(msix_init(&x, &g, 4, 0, 0, 0x804), -EINVAL);
	ck_assert_int_eq(msix_init(&x, &g, 4, 1, 0, 0x800), -EINVAL);	/* no such BAR */
	ck_assert_int_eq(msix_init(&x, &g, 4, 6, 0, 0x800), -EINVAL);
	ck_assert_int_eq(msix_init(&x, &g, 65, 0, 0xc00, 0), -EINVAL);	/* table too big */
	ck_assert_int_eq(msix_init(&x, &g, 4, 0, 0, 0x1000), -EINVAL);	/* PBA outside */
	ck_assert_int_eq(msix_init(&x, &g, 64, 0, 0, 0x3f8), -EINVAL);	/* overlap */
	ck_assert_int_eq(msix_init(&x, &g, 64, 0, 0x400, 0x7f8), -EINVAL);
	ck_assert_int_eq(msix_init(&x, &g, 65, 0, 0x400, 0x3f8), -EINVAL);
	ck_assert_int_eq(pci_find_cap(&g, PCI_CAP_ID_MSIX, 0), -ENOENT);
	ck_assert_int_eq(msix_notify(&x, 0), -EINVAL);	/* a failed init has no vectors */
	ck_assert_int_eq(msix_init(&x, &g, MSIX_MAX_VECTORS, 0, 0, 0x800), 0);
	ck_assert_int_eq(pci_find_cap(&g, PCI_CAP_ID_MSIX, 0), 0x40);
}
END_TEST

START_TEST(init_needs_a_hook)
{
	static const struct pci_id id = { .vendor = 0x1af4 };
	struct pci_function g;
	struct msix x;

	pci_init(&g, &id);
	ck_assert_int_eq(pci_add_bar(&g, 0, 0x1000, 0), 0);
	for (unsigned i = 0; i < PCI_MAX_HOOKS; i++)
		ck_assert_int_eq(pci_hook_cfg(&g, 0x80, 1, NULL, NULL, NULL), 0);
	ck_assert_int_eq(msix_init(&x, &g, 4, 0, 0, 0x800), -ENOSPC);
	ck_assert_int_eq(pci_find_cap(&g, PCI_CAP_ID_MSIX, 0), -ENOENT);
}
END_TEST

/* ---- table ---- */

START_TEST(entries_reset_masked)
{
	uint64_t addr = 1;
	uint32_t data = 1;
	int masked = 0;

	ctl_wr(PCI_MSIX_FLAGS_ENABLE);
	for (unsigned v = 0; v < NVEC; v++) {
		ck_assert_uint_eq(tr(v, CTRL, 4), PCI_MSIX_ENTRY_CTRL_MASKBIT);
		ck_assert_uint_eq(tr(v, LO, 8), 0);
		ck_assert_uint_eq(tr(v, DATA, 4), 0);
		ck_assert_int_eq(msix_entry(&m, v, &addr, &data, &masked), 0);
		ck_assert_uint_eq(addr, 0);
		ck_assert_uint_eq(data, 0);
		ck_assert_int_eq(masked, 1);
	}
	ck_assert_uint_eq(tr(NVEC - 1, DATA, 8), (uint64_t)PCI_MSIX_ENTRY_CTRL_MASKBIT << 32);
}
END_TEST

START_TEST(table_dword_rw)
{
	uint64_t addr;
	uint32_t data;
	int masked;

	tw(5, LO, 4, 0x08090040);
	tw(5, HI, 4, 0x1);
	tw(5, DATA, 4, 0x1234);
	tw(5, CTRL, 4, 0);
	ck_assert_uint_eq(tr(5, LO, 4), 0x08090040);
	ck_assert_uint_eq(tr(5, HI, 4), 0x1);
	ck_assert_uint_eq(tr(5, DATA, 4), 0x1234);
	ck_assert_uint_eq(tr(5, CTRL, 4), 0);
	ck_assert_int_eq(msix_entry(&m, 5, &addr, &data, &masked), 0);
	ck_assert_uint_eq(addr, 0x108090040ull);
	ck_assert_uint_eq(data, 0x1234);
	ck_assert_int_eq(masked, 1);			/* MSI-X still disabled */
	ctl_wr(PCI_MSIX_FLAGS_ENABLE);
	ck_assert_int_eq(msix_entry(&m, 5, NULL, NULL, &masked), 0);
	ck_assert_int_eq(masked, 0);
	ck_assert_uint_eq(tr(4, LO, 8), 0);		/* neighbours untouched */
	ck_assert_uint_eq(tr(6, CTRL, 4), PCI_MSIX_ENTRY_CTRL_MASKBIT);
}
END_TEST

START_TEST(table_qword_rw)
{
	uint64_t addr;
	uint32_t data;

	tw(6, LO, 8, 0x0000000208090080ull);
	tw(6, DATA, 8, 0x0000000100000055ull);
	ck_assert_uint_eq(tr(6, LO, 4), 0x08090080);
	ck_assert_uint_eq(tr(6, HI, 4), 0x2);
	ck_assert_uint_eq(tr(6, LO, 8), 0x208090080ull);
	ck_assert_uint_eq(tr(6, DATA, 8), 0x100000055ull);
	ck_assert_int_eq(msix_entry(&m, 6, &addr, &data, NULL), 0);
	ck_assert_uint_eq(addr, 0x208090080ull);
	ck_assert_uint_eq(data, 0x55);
	tw(6, DATA, 8, 0x66);				/* data and unmask at once */
	ck_assert_uint_eq(tr(6, CTRL, 4), 0);
	ck_assert_uint_eq(tr(6, DATA, 4), 0x66);
}
END_TEST

START_TEST(table_reserved_bits)
{
	tw(1, CTRL, 4, 0xfffffffe);
	ck_assert_uint_eq(tr(1, CTRL, 4), 0);
	tw(1, CTRL, 4, 0xffffffff);
	ck_assert_uint_eq(tr(1, CTRL, 4), PCI_MSIX_ENTRY_CTRL_MASKBIT);
	tw(1, LO, 8, ~0ull);
	ck_assert_uint_eq(tr(1, LO, 4), 0xfffffffc);
	ck_assert_uint_eq(tr(1, HI, 4), 0xffffffff);
	tw(1, DATA, 8, ~0ull);
	ck_assert_uint_eq(tr(1, DATA, 8), 0x1ffffffffull);
}
END_TEST

START_TEST(table_bad_accesses)
{
	static const struct { uint64_t off; unsigned len; } bad[] = {
		{ CTRL, 1 }, { CTRL, 2 }, { CTRL, 3 }, { CTRL, 0 }, { DATA, 16 },
		{ CTRL + 2, 4 }, { HI, 8 }, { 1, 8 },
		{ NVEC * PCI_MSIX_ENTRY_SIZE, 4 }, { NVEC * PCI_MSIX_ENTRY_SIZE, 8 },
		{ UINT64_MAX - 3, 4 }, { UINT64_MAX - 7, 8 }, { 1ull << 32, 4 },
	};
	uint32_t before[MSIX_MAX_VECTORS][PCI_MSIX_ENTRY_SIZE / 4];

	tw(0, HI, 4, 0x1234);
	nlog = 0;
	memcpy(before, m.table, sizeof(before));
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msix_table_write(&m, bad[i].off, bad[i].len, 0);
		ck_assert_msg(msix_table_read(&m, bad[i].off, bad[i].len) == 0,
			      "read off %#llx len %u", (unsigned long long)bad[i].off,
			      bad[i].len);
	}
	ck_assert_mem_eq(before, m.table, sizeof(before));
	ck_assert_uint_eq(nlog, 0);
	ck_assert_uint_eq(tr(0, CTRL, 4), PCI_MSIX_ENTRY_CTRL_MASKBIT);
}
END_TEST

/* ---- delivery ---- */

START_TEST(notify_disabled)
{
	tw(0, CTRL, 4, 0);
	ck_assert_int_eq(msix_notify(&m, 0), 0);
	ck_assert_int_eq(msix_notify(&m, 3), 0);	/* masked too */
	ctl_wr(PCI_MSIX_FLAGS_MASKALL);			/* function mask alone */
	ck_assert_int_eq(msix_notify(&m, 0), 0);
	ck_assert_int_eq(msix_pending(&m, 0), 0);
	ck_assert_int_eq(msix_pending(&m, 3), 0);
	ck_assert_uint_eq(msix_pba_read(&m, 0, 8), 0);
	ctl_wr(PCI_MSIX_FLAGS_ENABLE);
	ck_assert_uint_eq(total(fires), 0);		/* nothing was held */
}
END_TEST

START_TEST(notify_masked_sets_pending)
{
	ctl_wr(PCI_MSIX_FLAGS_ENABLE);
	ck_assert_int_eq(msix_notify(&m, 5), 0);
	ck_assert_int_eq(msix_pending(&m, 5), 1);
	ck_assert_uint_eq(msix_pba_read(&m, 0, 8), 1u << 5);
	ck_assert_uint_eq(msix_pba_read(&m, 0, 4), 1u << 5);
	ck_assert_uint_eq(msix_pba_read(&m, 4, 4), 0);
	ck_assert_int_eq(msix_notify(&m, 66), 0);
	ck_assert_uint_eq(msix_pba_read(&m, 8, 4), 1u << 2);
	ck_assert_uint_eq(msix_pba_read(&m, 8, 8), 1u << 2);
	ck_assert_int_eq(msix_notify(&m, 37), 0);
	ck_assert_uint_eq(msix_pba_read(&m, 4, 4), 1u << 5);
	ck_assert_uint_eq(msix_pba_read(&m, 0, 8), 1ull << 37 | 1u << 5);
	ck_assert_int_eq(msix_notify(&m, 5), 0);	/* still one bit */
	ck_assert_uint_eq(msix_pba_read(&m, 0, 4), 1u << 5);
	ck_assert_uint_eq(total(fires), 0);
}
END_TEST

START_TEST(notify_deliverable)
{
	ctl_wr(PCI_MSIX_FLAGS_ENABLE);
	tw(1, CTRL, 4, 0);
	ck_assert_int_eq(msix_notify(&m, 1), 1);
	ck_assert_int_eq(msix_pending(&m, 1), 0);
	ck_assert_uint_eq(msix_pba_read(&m, 0, 8), 0);
	tw(1, CTRL, 4, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	ck_assert_int_eq(msix_notify(&m, 1), 0);
	ck_assert_int_eq(msix_pending(&m, 1), 1);
}
END_TEST

START_TEST(unmask_fires_pending_once)
{
	ctl_wr(PCI_MSIX_FLAGS_ENABLE);
	ck_assert_int_eq(msix_notify(&m, 3), 0);
	nlog = 0;
	tw(3, CTRL, 4, 0);
	ck_assert_uint_eq(fires[3], 1);
	ck_assert_uint_eq(total(fires), 1);
	ck_assert_int_eq(msix_pending(&m, 3), 0);
	ck_assert_uint_eq(msix_pba_read(&m, 0, 8), 0);
	ck_assert_uint_eq(nlog, 2);			/* route first, then the message */
	ck_assert_int_eq(log_[0].kind, 'c');
	ck_assert_int_eq(log_[1].kind, 'f');
	tw(3, CTRL, 4, 0);				/* already unmasked */
	tw(3, CTRL, 4, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	tw(3, CTRL, 4, 0);				/* nothing pending */
	ck_assert_uint_eq(fires[3], 1);
	ck_assert_int_eq(msix_notify(&m, 3), 1);
}
END_TEST

START_TEST(unmask_while_disabled_holds)
{
	ctl_wr(PCI_MSIX_FLAGS_ENABLE);
	ck_assert_int_eq(msix_notify(&m, 9), 0);
	ctl_wr(0);
	tw(9, CTRL, 4, 0);				/* disabled: nothing sent */
	ck_assert_uint_eq(fires[9], 0);
	ck_assert_int_eq(msix_pending(&m, 9), 1);
	ctl_wr(PCI_MSIX_FLAGS_ENABLE);
	ck_assert_uint_eq(fires[9], 1);
	ck_assert_int_eq(msix_pending(&m, 9), 0);
}
END_TEST

START_TEST(function_mask_holds_all)
{
	int masked;

	ctl_wr(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	for (unsigned v = 0; v < 3; v++)
		tw(v, CTRL, 4, 0);
	ck_assert_int_eq(msix_notify(&m, 0), 0);
	ck_assert_int_eq(msix_notify(&m, 2), 0);
	ck_assert_int_eq(msix_notify(&m, 4), 0);	/* vector-masked as well */
	ck_assert_uint_eq(msix_pba_read(&m, 0, 4), 0x15);
	ck_assert_int_eq(msix_entry(&m, 1, NULL, NULL, &masked), 0);
	ck_assert_int_eq(masked, 1);
	ck_assert_uint_eq(total(fires), 0);
	ctl_wr(PCI_MSIX_FLAGS_ENABLE);
	ck_assert_uint_eq(fires[0], 1);
	ck_assert_uint_eq(fires[2], 1);
	ck_assert_uint_eq(total(fires), 2);
	ck_assert_uint_eq(msix_pba_read(&m, 0, 4), 0x10);	/* 4 is still masked */
	ck_assert_int_eq(msix_entry(&m, 1, NULL, NULL, &masked), 0);
	ck_assert_int_eq(masked, 0);
	ck_assert_int_eq(msix_notify(&m, 1), 1);
	ctl_wr(PCI_MSIX_FLAGS_ENABLE);			/* no change: no more fires */
	ck_assert_uint_eq(total(fires), 2);
}
END_TEST

START_TEST(null_callbacks)
{
	m.on_vector_change = NULL;
	m.on_pending_fire = NULL;
	ctl_wr(PCI_MSIX_FLAGS_ENABLE);
	ck_assert_int_eq(msix_notify(&m, 7), 0);
	tw(7, CTRL, 4, 0);
	ck_assert_int_eq(msix_pending(&m, 7), 0);
	ck_assert_uint_eq(nlog, 0);
}
END_TEST

START_TEST(vector_change_events)
{
	tw(2, DATA, 4, 0x99);
	ck_assert_uint_eq(changes[2], 1);
	ck_assert_uint_eq(total(changes), 1);
	tw(2, DATA, 4, 0x99);				/* same value */
	ck_assert_uint_eq(total(changes), 1);
	tw(2, LO, 8, 0x508090040ull);			/* one event for both halves */
	ck_assert_uint_eq(changes[2], 2);
	tw(2, CTRL, 4, 0xfffffffe);			/* unmask */
	ck_assert_uint_eq(changes[2], 3);
	tw(2, CTRL, 4, 0x2);				/* reserved bit only */
	ck_assert_uint_eq(changes[2], 3);
	ck_assert_uint_eq(total(changes), 3);
	ctl_wr(PCI_MSIX_FLAGS_ENABLE);
	ck_assert_uint_eq(total(changes), 3 + NVEC);
	ck_assert_uint_eq(changes[0], 1);
	ck_assert_uint_eq(changes[NVEC - 1], 1);
	ctl_wr(PCI_MSIX_FLAGS_ENABLE);			/* no change */
	ck_assert_int_eq(pci_cfg_write(&fn, m.cap, 1, 0xff), 0);	/* the id byte */
	ck_assert_uint_eq(total(changes), 3 + NVEC);
	ctl_wr(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	ck_assert_uint_eq(total(changes), 3 + 2 * NVEC);
	ck_assert_int_eq(pci_cfg_write(&fn, m.cap + PCI_MSIX_FLAGS + 1, 1, 0), 0);
	ck_assert_uint_eq(total(changes), 3 + 3 * NVEC);
	ck_assert_uint_eq(changes[2], 6);
	ck_assert_uint_eq(total(fires), 0);
}
END_TEST

START_TEST(out_of_range_vectors)
{
	uint64_t addr = 7;
	uint32_t data = 7;
	int masked = 7;

	ctl_wr(PCI_MSIX_FLAGS_ENABLE);
	ck_assert_int_eq(msix_notify(&m, NVEC), -EINVAL);
	ck_assert_int_eq(msix_notify(&m, UINT_MAX), -EINVAL);
	ck_assert_int_eq(msix_notify(&m, MSIX_MAX_VECTORS), -EINVAL);
	ck_assert_uint_eq(msix_pba_read(&m, 8, 8), 0);	/* vector 70 would be bit 6 */
	ck_assert_int_eq(msix_entry(&m, NVEC, &addr, &data, &masked), -EINVAL);
	ck_assert_uint_eq(addr, 7);
	ck_assert_uint_eq(data, 7);
	ck_assert_int_eq(masked, 7);
	ck_assert_int_eq(msix_pending(&m, NVEC), 0);
	ck_assert_int_eq(msix_pending(&m, UINT_MAX), 0);
}
END_TEST

START_TEST(pba_bad_accesses)
{
	ctl_wr(PCI_MSIX_FLAGS_ENABLE);
	ck_assert_int_eq(msix_notify(&m, 16), 0);	/* byte 2 of the PBA */
	ck_assert_int_eq(msix_notify(&m, 69), 0);
	ck_assert_uint_eq(msix_pba_read(&m, 0, 4), 1u << 16);
	ck_assert_uint_eq(msix_pba_read(&m, 2, 4), 0);	/* unaligned */
	ck_assert_uint_eq(msix_pba_read(&m, 2, 2), 0);	/* too small */
	ck_assert_uint_eq(msix_pba_read(&m, 0, 1), 0);
	ck_assert_uint_eq(msix_pba_read(&m, 4, 8), 0);
	ck_assert_uint_eq(msix_pba_read(&m, 16, 4), 0);	/* past the PBA */
	ck_assert_uint_eq(msix_pba_read(&m, UINT64_MAX - 7, 8), 0);
	ck_assert_uint_eq(msix_pba_read(&m, 8, 4), 1u << 5);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("msix");
	TCase *tc;

	tc = UNIT_TCASE(s, "capability", cap_fields, cap_guest_writes, init_errors,
			init_needs_a_hook);
	tcase_add_checked_fixture(tc, setup, NULL);
	tc = UNIT_TCASE(s, "table", entries_reset_masked, table_dword_rw, table_qword_rw,
			table_reserved_bits, table_bad_accesses);
	tcase_add_checked_fixture(tc, setup, NULL);
	tc = UNIT_TCASE(s, "delivery", notify_disabled, notify_masked_sets_pending,
			notify_deliverable, unmask_fires_pending_once,
			unmask_while_disabled_holds, function_mask_holds_all, null_callbacks,
			vector_change_events, out_of_range_vectors, pba_bad_accesses);
	tcase_add_checked_fixture(tc, setup, NULL);
	return unit_run(s);
}
