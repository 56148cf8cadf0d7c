/* PCI function config space (devices/pci/pci.c) and the ECAM decoder
 * (devices/pci/ecam.c). */
#include "devices/pci/ecam.h"
#include "devices/pci/pci.h"

#include <errno.h>

#include "tests/unit/unit.h"

static const struct pci_id ID = {
	.vendor = 0x1af4, .device = 0x1041, .class_code = 0x0c0330,
	.subsys_vendor = 0x1234, .subsys_id = 0x5678, .revision = 0x02,
};

static struct pci_function fn;

/* on_bar_change calls, in order. */
static struct bar_event {
	struct pci_function *f;
	unsigned index;
	uint64_t old_addr, new_addr;
	void *ctx;
} ev[16];
static unsigned nev;

static void record_bar(struct pci_function *f, unsigned index, uint64_t old_addr,
		       uint64_t new_addr, void *ctx)
{
	ck_assert_uint_lt(nev, 16);
	ev[nev++] = (struct bar_event){ f, index, old_addr, new_addr, ctx };
}

static void setup(void)
{
	pci_init(&fn, &ID);
	nev = 0;
}

static uint32_t rd(unsigned off, unsigned len)
{
	return pci_cfg_read(&fn, off, len);
}

static void wr(unsigned off, unsigned len, uint32_t val)
{
	ck_assert_int_eq(pci_cfg_write(&fn, off, len, val), 0);
}

static unsigned bar(unsigned i)
{
	return PCI_BASE_ADDRESS_0 + 4 * i;
}

static void assert_event(unsigned i, unsigned index, uint64_t old_addr, uint64_t new_addr)
{
	ck_assert_uint_gt(nev, i);
	ck_assert_ptr_eq(ev[i].f, &fn);
	ck_assert_uint_eq(ev[i].index, index);
	ck_assert_uint_eq(ev[i].old_addr, old_addr);
	ck_assert_uint_eq(ev[i].new_addr, new_addr);
	ck_assert_ptr_eq(ev[i].ctx, &nev);
}

/* ---- identity, command, status ---- */

START_TEST(identity_registers)
{
	ck_assert_uint_eq(rd(PCI_VENDOR_ID, 2), 0x1af4);
	ck_assert_uint_eq(rd(PCI_DEVICE_ID, 2), 0x1041);
	ck_assert_uint_eq(rd(PCI_VENDOR_ID, 4), 0x10411af4);
	ck_assert_uint_eq(rd(PCI_CLASS_REVISION, 4), 0x0c033002);
	ck_assert_uint_eq(rd(PCI_CLASS_DEVICE, 2), 0x0c03);
	ck_assert_uint_eq(rd(PCI_CLASS_PROG, 1), 0x30);
	ck_assert_uint_eq(rd(PCI_REVISION_ID, 1), 0x02);
	ck_assert_uint_eq(rd(PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1234);
	ck_assert_uint_eq(rd(PCI_SUBSYSTEM_ID, 2), 0x5678);
	ck_assert_uint_eq(rd(PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_NORMAL);
	ck_assert_uint_eq(rd(PCI_INTERRUPT_PIN, 1), 0);
	ck_assert_uint_eq(rd(PCI_COMMAND, 2), 0);
	ck_assert_uint_eq(rd(PCI_STATUS, 2), 0);	/* no capabilities yet */
	ck_assert_uint_eq(rd(PCI_CAPABILITY_LIST, 1), 0);
}
END_TEST

START_TEST(identity_read_only)
{
	for (unsigned off = 0; off < 0x40; off += 4)
		if (off != PCI_COMMAND && off != PCI_CACHE_LINE_SIZE &&
		    off != PCI_INTERRUPT_LINE)
			wr(off, 4, 0xffffffff);
	ck_assert_uint_eq(rd(PCI_VENDOR_ID, 4), 0x10411af4);
	ck_assert_uint_eq(rd(PCI_CLASS_REVISION, 4), 0x0c033002);
	ck_assert_uint_eq(rd(PCI_SUBSYSTEM_VENDOR_ID, 4), 0x56781234);
	ck_assert_uint_eq(rd(PCI_ROM_ADDRESS, 4), 0);	/* no ROM, no BARs */
	ck_assert_uint_eq(rd(bar(0), 4), 0);
	ck_assert_uint_eq(rd(PCI_CAPABILITY_LIST, 1), 0);
}
END_TEST

START_TEST(scratch_registers_writable)
{
	wr(PCI_CACHE_LINE_SIZE, 4, 0xffffffff);	/* cache line, latency, header, BIST */
	ck_assert_uint_eq(rd(PCI_CACHE_LINE_SIZE, 4), 0x000000ff);
	wr(PCI_INTERRUPT_LINE, 4, 0xffffffff);	/* line, pin, min gnt, max lat */
	ck_assert_uint_eq(rd(PCI_INTERRUPT_LINE, 4), 0x000000ff);
}
END_TEST

START_TEST(command_write_mask)
{
	wr(PCI_COMMAND, 2, 0xffff);
	ck_assert_uint_eq(rd(PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			  PCI_COMMAND_INTX_DISABLE);
	wr(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER | PCI_COMMAND_SERR);
	ck_assert_uint_eq(rd(PCI_COMMAND, 2), PCI_COMMAND_MASTER);
	wr(PCI_COMMAND, 1, PCI_COMMAND_MEMORY);	/* byte write */
	ck_assert_uint_eq(rd(PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	wr(PCI_COMMAND + 1, 1, 0xff);		/* INTx disable is bit 10 */
	ck_assert_uint_eq(rd(PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
}
END_TEST

START_TEST(status_write_one_to_clear)
{
	ck_assert_int_ge(pci_add_cap(&fn, PCI_CAP_ID_VNDR, 4), 0);
	ck_assert_int_eq(pci_cfg_set(&fn, PCI_STATUS, 2, PCI_STATUS_CAP_LIST |
				     PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_DETECTED_PARITY), 0);
	wr(PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT);
	ck_assert_uint_eq(rd(PCI_STATUS, 2), PCI_STATUS_CAP_LIST | PCI_STATUS_DETECTED_PARITY);
	wr(PCI_COMMAND, 4, 0xffff0000);		/* everything, command 0 */
	ck_assert_uint_eq(rd(PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
	ck_assert_uint_eq(rd(PCI_COMMAND, 2), 0);
}
END_TEST

/* ---- BARs ---- */

START_TEST(bar32_sizing)
{
	ck_assert_int_eq(pci_add_bar(&fn, 1, 0x4000, 0), 0);
	ck_assert_int_eq(pci_add_bar(&fn, 3, 0x1000, PCI_BASE_ADDRESS_MEM_PREFETCH), 0);
	ck_assert_uint_eq(rd(bar(1), 4), 0);
	wr(bar(1), 4, 0xffffffff);
	ck_assert_uint_eq(rd(bar(1), 4), 0xffffc000);
	wr(bar(3), 4, 0xffffffff);
	ck_assert_uint_eq(rd(bar(3), 4), 0xfffff000 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	wr(bar(1), 4, 0x10004000);
	ck_assert_uint_eq(rd(bar(1), 4), 0x10004000);
	ck_assert_uint_eq(pci_bar_size(&fn, 1), 0x4000);
	ck_assert_uint_eq(pci_bar_size(&fn, 2), 0);
	ck_assert_uint_eq(rd(bar(2), 4), 0);	/* neighbours untouched */
}
END_TEST

START_TEST(bar32_low_bits_read_only)
{
	ck_assert_int_eq(pci_add_bar(&fn, 0, 0x10000, 0), 0);
	wr(bar(0), 4, 0x2000ffff);
	ck_assert_uint_eq(rd(bar(0), 4), 0x20000000);
	wr(bar(0), 4, 0x1234abcd);
	ck_assert_uint_eq(rd(bar(0), 4), 0x12340000);
	wr(bar(0) + 2, 2, 0x4321);		/* a half-word write of the top */
	ck_assert_uint_eq(rd(bar(0), 4), 0x43210000);
	wr(bar(0), 1, 0xff);			/* the type bits stay */
	ck_assert_uint_eq(rd(bar(0), 4), 0x43210000);
}
END_TEST

START_TEST(bar64_sizing)
{
	ck_assert_int_eq(pci_add_bar(&fn, 2, 0x100000, PCI_BASE_ADDRESS_MEM_TYPE_64 |
				     PCI_BASE_ADDRESS_MEM_PREFETCH), 0);
	ck_assert_uint_eq(rd(bar(2), 4), PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	wr(bar(2), 4, 0xffffffff);
	wr(bar(3), 4, 0xffffffff);
	ck_assert_uint_eq(rd(bar(2), 4), 0xfff00000 | PCI_BASE_ADDRESS_MEM_TYPE_64 |
			  PCI_BASE_ADDRESS_MEM_PREFETCH);
	ck_assert_uint_eq(rd(bar(3), 4), 0xffffffff);
	wr(bar(2), 4, 0x00112345);
	wr(bar(3), 4, 0x00000008);
	ck_assert_uint_eq(rd(bar(2), 4), 0x00100000 | PCI_BASE_ADDRESS_MEM_TYPE_64 |
			  PCI_BASE_ADDRESS_MEM_PREFETCH);
	ck_assert_uint_eq(rd(bar(3), 4), 8);
	wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ck_assert_uint_eq(pci_bar_addr(&fn, 2), 0x800100000ull);
	ck_assert_uint_eq(pci_bar_addr(&fn, 3), 0);	/* the upper half is no BAR */
	ck_assert_uint_eq(pci_bar_size(&fn, 2), 0x100000);
}
END_TEST

START_TEST(bar64_above_4g)
{
	ck_assert_int_eq(pci_add_bar(&fn, 4, 8ull << 30, PCI_BASE_ADDRESS_MEM_TYPE_64), 0);
	wr(bar(4), 4, 0xffffffff);
	wr(bar(5), 4, 0xffffffff);
	ck_assert_uint_eq(rd(bar(4), 4), PCI_BASE_ADDRESS_MEM_TYPE_64);
	ck_assert_uint_eq(rd(bar(5), 4), 0xfffffffe);
	wr(bar(5), 4, 0x13);
	ck_assert_uint_eq(rd(bar(5), 4), 0x12);
}
END_TEST

START_TEST(bar_add_errors)
{
	ck_assert_int_eq(pci_add_bar(&fn, 0, 0x3000, 0), -EINVAL);	/* not a power of 2 */
	ck_assert_int_eq(pci_add_bar(&fn, 0, 0x800, 0), -EINVAL);	/* < 4 KiB */
	ck_assert_int_eq(pci_add_bar(&fn, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(pci_add_bar(&fn, 0, 4ull << 30, 0), -EINVAL);	/* 32-bit, 4 GiB */
	ck_assert_int_eq(pci_add_bar(&fn, 6, 0x1000, 0), -EINVAL);
	ck_assert_int_eq(pci_add_bar(&fn, 5, 0x1000, PCI_BASE_ADDRESS_MEM_TYPE_64), -EINVAL);
	ck_assert_int_eq(pci_add_bar(&fn, 0, 0x1000, PCI_BASE_ADDRESS_SPACE_IO), -EINVAL);
	ck_assert_int_eq(pci_add_bar(&fn, 0, 0x1000, PCI_BASE_ADDRESS_MEM_TYPE_1M), -EINVAL);
	ck_assert_int_eq(pci_add_bar(&fn, 0, 1ull << 31, 0), 0);	/* 2 GiB is fine */
	ck_assert_int_eq(pci_add_bar(&fn, 0, 0x1000, 0), -EBUSY);
	ck_assert_int_eq(pci_add_bar(&fn, 1, 0x1000, PCI_BASE_ADDRESS_MEM_TYPE_64), 0);
	ck_assert_int_eq(pci_add_bar(&fn, 2, 0x1000, 0), -EBUSY);	/* upper half of 1 */
	ck_assert_int_eq(pci_add_bar(&fn, 4, 0x1000, 0), 0);
	ck_assert_int_eq(pci_add_bar(&fn, 3, 0x1000, PCI_BASE_ADDRESS_MEM_TYPE_64), -EBUSY);
	ck_assert_int_eq(pci_add_bar(&fn, 3, 0x1000, 0), 0);
}
END_TEST

START_TEST(bar_decode_needs_memory_enable)
{
	ck_assert_int_eq(pci_add_bar(&fn, 0, 0x1000, 0), 0);
	wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ck_assert_uint_eq(pci_bar_addr(&fn, 0), 0);	/* unassigned */
	wr(PCI_COMMAND, 2, 0);
	wr(bar(0), 4, 0x30000000);
	ck_assert_uint_eq(pci_bar_addr(&fn, 0), 0);	/* decode off */
	wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ck_assert_uint_eq(pci_bar_addr(&fn, 0), 0x30000000);
	ck_assert_uint_eq(pci_bar_addr(&fn, 1), 0);	/* not implemented */
	ck_assert_uint_eq(pci_bar_addr(&fn, 6), 0);
	wr(PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	ck_assert_uint_eq(pci_bar_addr(&fn, 0), 0);
}
END_TEST

START_TEST(bar_change_events)
{
	fn.on_bar_change = record_bar;
	fn.ctx = &nev;
	ck_assert_int_eq(pci_add_bar(&fn, 0, 0x1000, 0), 0);
	ck_assert_int_eq(pci_add_bar(&fn, 2, 0x10000, PCI_BASE_ADDRESS_MEM_TYPE_64), 0);
	wr(bar(0), 4, 0x10000000);		/* decode off: nothing */
	wr(bar(2), 4, 0x20000000);
	wr(bar(3), 4, 0x1);
	wr(PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	ck_assert_uint_eq(nev, 0);
	wr(PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	ck_assert_uint_eq(nev, 2);
	assert_event(0, 0, 0, 0x10000000);
	assert_event(1, 2, 0, 0x120000000ull);
	wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);	/* decode stays on */
	wr(bar(0), 4, 0x10000000);		/* same address */
	wr(PCI_CACHE_LINE_SIZE, 1, 0x10);
	ck_assert_uint_eq(nev, 2);
	wr(bar(0), 4, 0x10001000);		/* moved while decoding */
	ck_assert_uint_eq(nev, 3);
	assert_event(2, 0, 0x10000000, 0x10001000);
	wr(PCI_COMMAND, 2, 0);
	ck_assert_uint_eq(nev, 5);
	assert_event(3, 0, 0x10001000, 0);
	assert_event(4, 2, 0x120000000ull, 0);
	wr(bar(3), 4, 0x2);			/* decode off again: nothing */
	ck_assert_uint_eq(nev, 5);
}
END_TEST

/* ---- capabilities ---- */

START_TEST(cap_list_chaining)
{
	static const struct { uint8_t id; unsigned len, off; } caps[] = {
		{ PCI_CAP_ID_VNDR, 20, 0x40 },
		{ PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF, 0x54 },
		{ PCI_CAP_ID_VNDR, 5, 0x60 },
		{ PCI_CAP_ID_PM, 8, 0x68 },
	};
	unsigned off, n = 0;

	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(pci_add_cap(&fn, caps[i].id, caps[i].len), caps[i].off);
	ck_assert_uint_eq(rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, PCI_STATUS_CAP_LIST);
	for (off = rd(PCI_CAPABILITY_LIST, 1); off; off = rd(off + PCI_CAP_LIST_NEXT, 1)) {
		ck_assert_uint_lt(n, 4);
		ck_assert_uint_eq(off, caps[n].off);
		ck_assert_uint_eq(rd(off + PCI_CAP_LIST_ID, 1), caps[n].id);
		n++;
	}
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(rd(0x40 + PCI_CAP_FLAGS, 1), 20);	/* vendor cap length */
	ck_assert_uint_eq(rd(0x60 + PCI_CAP_FLAGS, 1), 5);
	ck_assert_uint_eq(rd(0x54 + PCI_CAP_FLAGS, 2), 0);	/* others left zero */
}
END_TEST

START_TEST(cap_find)
{
	ck_assert_int_eq(pci_find_cap(&fn, PCI_CAP_ID_VNDR, 0), -ENOENT);
	ck_assert_int_eq(pci_add_cap(&fn, PCI_CAP_ID_VNDR, 16), 0x40);
	ck_assert_int_eq(pci_add_cap(&fn, PCI_CAP_ID_MSIX, 12), 0x50);
	ck_assert_int_eq(pci_add_cap(&fn, PCI_CAP_ID_VNDR, 16), 0x5c);
	ck_assert_int_eq(pci_find_cap(&fn, PCI_CAP_ID_VNDR, 0), 0x40);
	ck_assert_int_eq(pci_find_cap(&fn, PCI_CAP_ID_VNDR, 0x40), 0x5c);
	ck_assert_int_eq(pci_find_cap(&fn, PCI_CAP_ID_VNDR, 0x5c), -ENOENT);
	ck_assert_int_eq(pci_find_cap(&fn, PCI_CAP_ID_MSIX, 0), 0x50);
	ck_assert_int_eq(pci_find_cap(&fn, PCI_CAP_ID_PM, 0), -ENOENT);
	ck_assert_int_eq(pci_find_cap(&fn, PCI_CAP_ID_VNDR, 0x1000), -ENOENT);
	pci_cfg_ptr(&fn, 0x5c + PCI_CAP_LIST_NEXT, 1)[0] = 0x40;	/* owner made a loop */
	ck_assert_int_eq(pci_find_cap(&fn, PCI_CAP_ID_PM, 0), -ENOENT);	/* still ends */
}
END_TEST

START_TEST(cap_enospc)
{
	ck_assert_int_eq(pci_add_cap(&fn, PCI_CAP_ID_VNDR, 1), -EINVAL);
	ck_assert_int_eq(pci_add_cap(&fn, PCI_CAP_ID_VNDR, 2), -EINVAL);	/* no length byte */
	ck_assert_int_eq(pci_add_cap(&fn, PCI_CAP_ID_VNDR, 257), -ENOSPC);
	ck_assert_int_eq(pci_add_cap(&fn, PCI_CAP_ID_VNDR, 0xbc), 0x40);
	ck_assert_int_eq(pci_add_cap(&fn, PCI_CAP_ID_VNDR, 5), -ENOSPC);
	ck_assert_int_eq(pci_add_cap(&fn, PCI_CAP_ID_PM, 4), 0xfc);	/* the last dword */
	ck_assert_int_eq(pci_add_cap(&fn, PCI_CAP_ID_PM, 2), -ENOSPC);
	ck_assert_uint_eq(rd(0xfc + PCI_CAP_LIST_NEXT, 1), 0);
	ck_assert_uint_eq(rd(0x40 + PCI_CAP_LIST_NEXT, 1), 0xfc);
}
END_TEST

START_TEST(vendor_cap_read_only)
{
	int off = pci_add_cap(&fn, PCI_CAP_ID_VNDR, 16);
	uint8_t *p;

	ck_assert_int_eq(off, 0x40);
	p = pci_cfg_ptr(&fn, off, 16);
	ck_assert_ptr_nonnull(p);
	for (unsigned i = 3; i < 16; i++)
		p[i] = 0xa0 + i;
	for (unsigned i = 0; i < 16; i += 4)
		wr(off + i, 4, 0x5a5a5a5a);
	wr(off + 1, 2, 0);
	ck_assert_uint_eq(rd(off, 4), 0xa3100009);	/* id, next 0, length 16, a3 */
	ck_assert_uint_eq(rd(off + 12, 4), 0xafaeadac);
	ck_assert_int_eq(pci_cfg_wmask(&fn, off + 8, 2, 0x0ff0), 0);	/* owner opens bits */
	wr(off + 8, 4, 0x5a5a5a5a);
	ck_assert_uint_eq(rd(off + 8, 4), 0xabaaaa58);
	ck_assert_ptr_null(pci_cfg_ptr(&fn, 0xf8, 9));
	ck_assert_ptr_nonnull(pci_cfg_ptr(&fn, 0xf8, 8));
	ck_assert_int_eq(pci_cfg_wmask(&fn, 0xfe, 4, 0), -EINVAL);
}
END_TEST

START_TEST(owner_get_set)
{
	ck_assert_int_eq(pci_cfg_set(&fn, 0x80, 4, 0xdeadbeef), 0);
	ck_assert_uint_eq(pci_cfg_get(&fn, 0x80, 4), 0xdeadbeef);
	ck_assert_uint_eq(pci_cfg_get(&fn, 0x81, 2), 0xadbe);
	ck_assert_uint_eq(rd(0x80, 4), 0xdeadbeef);
	ck_assert_int_eq(pci_cfg_set(&fn, PCI_VENDOR_ID, 2, 0xabcd), 0);	/* no mask */
	ck_assert_uint_eq(rd(PCI_VENDOR_ID, 2), 0xabcd);
	ck_assert_int_eq(pci_cfg_set(&fn, 0xfd, 4, 0), -EINVAL);
	ck_assert_int_eq(pci_cfg_set(&fn, 0x80, 3, 0), -EINVAL);
	ck_assert_uint_eq(pci_cfg_get(&fn, 0x100, 1), 0xffffffff);
}
END_TEST

/* ---- accesses ---- */

START_TEST(out_of_range_access)
{
	ck_assert_uint_eq(rd(0x100, 1), 0xff);
	ck_assert_uint_eq(rd(0x100, 2), 0xffff);
	ck_assert_uint_eq(rd(0xfe, 4), 0xffffffff);
	ck_assert_uint_eq(rd(0xff, 2), 0xffff);
	ck_assert_uint_eq(rd(0xffffffffu, 1), 0xff);
	ck_assert_uint_eq(rd(0xfc, 4), 0);		/* the last dword is fine */
	ck_assert_int_eq(pci_cfg_write(&fn, 0x100, 1, 0), -EINVAL);
	ck_assert_int_eq(pci_cfg_write(&fn, 0xfe, 4, 0), -EINVAL);
	ck_assert_int_eq(pci_cfg_write(&fn, 0xfffffffeu, 4, 0), -EINVAL);
}
END_TEST

START_TEST(odd_length_access)
{
	ck_assert_uint_eq(rd(PCI_VENDOR_ID, 3), 0xffffff);
	ck_assert_uint_eq(rd(PCI_VENDOR_ID, 0), 0xffffffff);
	ck_assert_uint_eq(rd(PCI_VENDOR_ID, 8), 0xffffffff);
	ck_assert_int_eq(pci_cfg_write(&fn, PCI_COMMAND, 3, PCI_COMMAND_MEMORY), -EINVAL);
	ck_assert_int_eq(pci_cfg_write(&fn, PCI_COMMAND, 8, PCI_COMMAND_MEMORY), -EINVAL);
	ck_assert_int_eq(pci_cfg_write(&fn, PCI_COMMAND, 0, PCI_COMMAND_MEMORY), -EINVAL);
	ck_assert_uint_eq(rd(PCI_COMMAND, 2), 0);
}
END_TEST

START_TEST(unaligned_access)
{
	ck_assert_uint_eq(rd(1, 2), 0x411a);		/* vendor high, device low */
	ck_assert_uint_eq(rd(3, 2), 0x0010);		/* crosses into command */
	ck_assert_uint_eq(rd(2, 4), 0x00001041);
	ck_assert_uint_eq(rd(PCI_REVISION_ID + 1, 2), 0x0330);
	wr(PCI_DEVICE_ID + 1, 2, 0xff06);		/* device high (RO), command low */
	ck_assert_uint_eq(rd(PCI_VENDOR_ID, 4), 0x10411af4);
	ck_assert_uint_eq(rd(PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}
END_TEST

/* ---- hooks ---- */

static unsigned nread, nwrite, last_off, last_len;

static void on_read(struct pci_function *f, unsigned off, unsigned len, void *ctx)
{
	ck_assert_ptr_eq(ctx, &nread);
	nread++;
	last_off = off;
	last_len = len;
	f->cfg[0x81] = 0x40 + nread;	/* refreshed before the read */
}

static void on_write(struct pci_function *f, unsigned off, unsigned len, void *ctx)
{
	ck_assert_ptr_eq(ctx, &nread);
	nwrite++;
	last_off = off;
	last_len = len;
	ck_assert_uint_eq(f->cfg[0x82], 0x77);		/* already written */
}

START_TEST(cfg_hooks)
{
	nread = nwrite = 0;
	ck_assert_int_eq(pci_cfg_wmask(&fn, 0x80, 4, 0x00ff0000), 0);
	ck_assert_int_eq(pci_hook_cfg(&fn, 0x81, 2, on_read, on_write, &nread), 0);
	ck_assert_uint_eq(rd(0x80, 1), 0);
	ck_assert_uint_eq(rd(0x83, 1), 0);
	ck_assert_uint_eq(nread, 0);
	ck_assert_uint_eq(rd(0x80, 4), 0x4100);
	ck_assert_uint_eq(nread, 1);
	ck_assert_uint_eq(last_off, 0x80);
	ck_assert_uint_eq(last_len, 4);
	wr(0x80, 1, 0x12);
	ck_assert_uint_eq(nwrite, 0);
	wr(0x82, 1, 0x77);
	ck_assert_uint_eq(nwrite, 1);
	ck_assert_uint_eq(last_off, 0x82);
	ck_assert_uint_eq(last_len, 1);
	ck_assert_uint_eq(nread, 1);
}
END_TEST

START_TEST(cfg_hook_limits)
{
	ck_assert_int_eq(pci_hook_cfg(&fn, 0xff, 2, on_read, NULL, NULL), -EINVAL);
	ck_assert_int_eq(pci_hook_cfg(&fn, 0x80, 0, on_read, NULL, NULL), -EINVAL);
	for (unsigned i = 0; i < PCI_MAX_HOOKS; i++)
		ck_assert_int_eq(pci_hook_cfg(&fn, 0x80 + i, 1, NULL, NULL, NULL), 0);
	ck_assert_int_eq(pci_hook_cfg(&fn, 0x90, 1, NULL, NULL, NULL), -ENOSPC);
	ck_assert_uint_eq(rd(0x80, 4), 0);		/* NULL hooks are skipped */
	wr(0x80, 4, 0);
}
END_TEST

/* ---- ECAM ---- */

static struct ecam bus;
static struct pci_function fn2;

#define ECAM_OFF(b, d, f, reg)	((uint64_t)(b) << 20 | (d) << 15 | (f) << 12 | (reg))

static void ecam_setup(void)
{
	static const struct pci_id id2 = { .vendor = 0x1b36, .device = 0x0008 };

	setup();
	pci_init(&fn2, &id2);
	ecam_init(&bus);
	ck_assert_int_eq(ecam_register(&bus, PCI_DEVFN(3, 0), &fn), 0);
}

START_TEST(ecam_present_function)
{
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 3, 0, PCI_VENDOR_ID), 4), 0x10411af4);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 3, 0, PCI_DEVICE_ID), 2), 0x1041);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 3, 0, PCI_CLASS_PROG), 1), 0x30);
	ck_assert_int_eq(ecam_write(&bus, ECAM_OFF(0, 3, 0, PCI_COMMAND), 2,
				    PCI_COMMAND_MEMORY), 0);
	ck_assert_uint_eq(rd(PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 3, 0, PCI_COMMAND), 2),
			  PCI_COMMAND_MEMORY);
	ck_assert_int_eq(ecam_write(&bus, ECAM_OFF(0, 3, 0, PCI_COMMAND), 3, 0), -EINVAL);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 3, 0, PCI_COMMAND), 3), 0xffffff);
}
END_TEST

START_TEST(ecam_absent_all_ones)
{
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 4, 0, PCI_VENDOR_ID), 4), 0xffffffff);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 3, 1, PCI_VENDOR_ID), 4), 0xffffffff);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 3, 1, PCI_VENDOR_ID), 2), 0xffff);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(1, 3, 0, PCI_VENDOR_ID), 4), 0xffffffff);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(255, 3, 0, PCI_VENDOR_ID), 1), 0xff);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 31, 7, 0xffc), 4), 0xffffffff);
	ck_assert_int_eq(ecam_write(&bus, ECAM_OFF(1, 3, 0, PCI_COMMAND), 2,
				    PCI_COMMAND_MEMORY), -ENODEV);
	ck_assert_int_eq(ecam_write(&bus, ECAM_OFF(0, 3, 1, PCI_COMMAND), 2,
				    PCI_COMMAND_MEMORY), -ENODEV);
	ck_assert_uint_eq(rd(PCI_COMMAND, 2), 0);	/* not aliased onto 3.0 */
}
END_TEST

START_TEST(ecam_extended_space_zero)
{
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 3, 0, 0x100), 4), 0);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 3, 0, 0xffc), 4), 0);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 3, 0, 0x102), 2), 0);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 3, 0, 0xffe), 4), 0xffffffff);
	ck_assert_int_eq(ecam_write(&bus, ECAM_OFF(0, 3, 0, 0x100), 4, 0xffffffff), 0);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 3, 0, 0x100), 4), 0);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 3, 0, PCI_VENDOR_ID), 2), 0x1af4);
}
END_TEST

START_TEST(ecam_register_rules)
{
	ck_assert_int_eq(ecam_register(&bus, PCI_DEVFN(3, 0), &fn2), -EEXIST);
	ck_assert_int_eq(ecam_register(&bus, 256, &fn2), -EINVAL);
	ck_assert_int_eq(ecam_register(&bus, PCI_DEVFN(5, 0), NULL), -EINVAL);
	ck_assert_int_eq(ecam_register(&bus, PCI_DEVFN(31, 7), &fn2), 0);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 31, 7, PCI_VENDOR_ID), 2), 0x1b36);
}
END_TEST

START_TEST(ecam_multi_function)
{
	static struct pci_function f0;

	ck_assert_uint_eq(rd(PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_NORMAL);
	ck_assert_int_eq(ecam_register(&bus, PCI_DEVFN(3, 2), &fn2), 0);
	ck_assert_uint_eq(rd(PCI_HEADER_TYPE, 1), 0x80 | PCI_HEADER_TYPE_NORMAL);
	ck_assert_uint_eq(pci_cfg_read(&fn2, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_NORMAL);
	/* function 0 after the others */
	pci_init(&f0, &ID);
	ck_assert_int_eq(ecam_register(&bus, PCI_DEVFN(7, 1), &fn2), 0);
	ck_assert_uint_eq(pci_cfg_read(&f0, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_NORMAL);
	ck_assert_int_eq(ecam_register(&bus, PCI_DEVFN(7, 0), &f0), 0);
	ck_assert_uint_eq(pci_cfg_read(&f0, PCI_HEADER_TYPE, 1), 0x80 | PCI_HEADER_TYPE_NORMAL);
	ck_assert_uint_eq(ecam_read(&bus, ECAM_OFF(0, 7, 1, PCI_VENDOR_ID), 2), 0x1b36);
}
END_TEST

START_TEST(ecam_requester_ids)
{
	ck_assert_uint_eq(ecam_requester_id(PCI_DEVFN(0, 0)), 0x0000);
	ck_assert_uint_eq(ecam_requester_id(PCI_DEVFN(3, 2)), 0x001a);
	ck_assert_uint_eq(ecam_requester_id(PCI_DEVFN(31, 7)), 0x00ff);
	ck_assert_uint_eq(ecam_requester_id(PCI_DEVFN(1, 0)), 0x0008);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pci");
	TCase *tc;

	tc = UNIT_TCASE(s, "config", identity_registers, identity_read_only,
			scratch_registers_writable, command_write_mask,
			status_write_one_to_clear, owner_get_set, out_of_range_access,
			odd_length_access, unaligned_access, cfg_hooks, cfg_hook_limits);
	tcase_add_checked_fixture(tc, setup, NULL);
	tc = UNIT_TCASE(s, "bars", bar32_sizing, bar32_low_bits_read_only, bar64_sizing,
			bar64_above_4g, bar_add_errors, bar_decode_needs_memory_enable,
			bar_change_events);
	tcase_add_checked_fixture(tc, setup, NULL);
	tc = UNIT_TCASE(s, "caps", cap_list_chaining, cap_find, cap_enospc,
			vendor_cap_read_only);
	tcase_add_checked_fixture(tc, setup, NULL);
	tc = UNIT_TCASE(s, "ecam", ecam_present_function, ecam_absent_all_ones,
			ecam_extended_space_zero, ecam_register_rules, ecam_multi_function,
			ecam_requester_ids);
	tcase_add_checked_fixture(tc, ecam_setup, NULL);
	return unit_run(s);
}
