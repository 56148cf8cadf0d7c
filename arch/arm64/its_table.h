/* KVM's vITS table ABI, revision 0: the device table, the ITTs and the
 * collection table that KVM_DEV_ARM_ITS_SAVE_TABLES writes into guest RAM
 * and KVM_DEV_ARM_ITS_RESTORE_TABLES reads back (kernel documentation
 * virt/kvm/devices/arm-vgic-its.rst, "ITS Table ABI REV0"). Portable: a
 * decoder and validator over guest RAM, for `itsy inspect` and for checking
 * a saved state before restoring it, where KVM only says -EINVAL.
 *
 * Every entry is 8 bytes, little-endian:
 *
 *   DTE  | 63 V | 62..49 next | 48..5 ITT_addr[51:8] | 4..0 Size |
 *   ITE  | 63..48 next | 47..16 pINTID | 15..0 ICID |
 *   CTE  | 63 V | 62..52 RES0 | 51..16 RDBase | 15..0 ICID |
 *
 * - The device table is indexed by DeviceID, an ITT by EventID. A valid
 *   DTE's ITT has 2^(Size+1) ITEs (Size = EventID bits - 1) at ITT_addr,
 *   256-byte aligned by construction. An ITE is valid when pINTID != 0.
 * - next: 0 in the last valid entry of the table, else the ID offset to the
 *   next valid entry, capped at 2^14-1 (DTE) or 2^16-1 (ITE); a capped next
 *   may land on an invalid entry. Offsets are unsigned, so a chain only
 *   moves forward and cannot loop.
 * - The collection table is not indexed: its valid CTEs come first, in no
 *   particular order, ended by an invalid entry (or the table's end).
 *   RDBase is the target vCPU's number (GITS_TYPER.PTA = 0), or 0xffffffff
 *   for a collection that exists but is mapped to no vCPU.
 *
 * The tables are located by the GITS_BASER<n> registers (found by Type):
 *   63 Valid | 62 Indirect | 58..56 Type (1 device, 4 collection) |
 *   52..48 Entry_Size - 1 | 47..12 address (with 64K pages, 47..16 is
 *   address[47:16] and 15..12 is address[51:48]) | 9..8 Page_Size
 *   (0 4K, 1 16K, 2 64K) | 7..0 Size = pages - 1.
 * KVM forces 64K pages, 8-byte entries, and a flat collection table. An
 * Indirect device table is a level-1 array of 8-byte entries, bit 63 Valid
 * and bits 51..12 the address of a level-2 page (bits below the page size
 * are ignored, as KVM does) holding page_size / 8 DTEs.
 * GITS_TYPER: 17..13 Devbits = DeviceID bits - 1, 12..8 ID_bits = EventID
 * bits - 1, 7..4 ITT_entry_size = bytes - 1. GITS_IIDR 15..12: the ABI
 * revision. */
#ifndef ITSY_ITS_TABLE_H
#define ITSY_ITS_TABLE_H

#include "vmm/mem.h"

#include <stddef.h>
#include <stdint.h>

#define ITS_ENTRY_SIZE		8	/* DTE, ITE, CTE and level-1 entries */
#define ITS_ITT_ALIGN		256
#define ITS_LPI_MIN		8192	/* the first LPI INTID */
#define ITS_DTE_NEXT_MAX	0x3fff	/* next is capped at these */
#define ITS_ITE_NEXT_MAX	0xffff
#define ITS_TARGET_UNMAPPED	0xffffffffu	/* CTE RDBase: no vCPU */

#define ITS_BASER_TYPE_DEVICE		1
#define ITS_BASER_TYPE_COLLECTION	4

struct its_dte {
	int valid;
	unsigned next;		/* 0..ITS_DTE_NEXT_MAX */
	uint64_t itt_addr;	/* 256-byte aligned, below 2^52 */
	unsigned size;		/* EventID bits - 1, 0..31 */
};

struct its_ite {
	unsigned next;		/* 0..ITS_ITE_NEXT_MAX */
	uint32_t intid;		/* LPI INTID; 0: the entry is not valid */
	unsigned icid;		/* 0..0xffff */
};

struct its_cte {
	int valid;
	uint64_t rdbase;	/* target vCPU, below 2^36; or ITS_TARGET_UNMAPPED */
	unsigned icid;		/* 0..0xffff */
};

struct its_baser {
	int valid, indirect;
	unsigned type;		/* ITS_BASER_TYPE_* or other */
	unsigned entry_size;	/* bytes, 1..32 */
	unsigned page_size;	/* 4096, 16384, 65536; 0: the reserved encoding */
	unsigned pages;		/* 1..256 */
	uint64_t addr;		/* the table, or its level-1 array, below 2^52 */
};

/* Pure field packing. Encoders truncate each field to its width (and the
 * ITT address to bits [51:8]); decode(encode(x)) == x for in-range x. */
struct its_dte its_dte_decode(uint64_t e);
uint64_t its_dte_encode(const struct its_dte *d);
struct its_ite its_ite_decode(uint64_t e);
uint64_t its_ite_encode(const struct its_ite *i);
struct its_cte its_cte_decode(uint64_t e);
uint64_t its_cte_encode(const struct its_cte *c);
struct its_baser its_baser_decode(uint64_t reg);
uint64_t its_baser_encode(const struct its_baser *b);

/* Level-1 entry of an Indirect table: a valid pointer to the level-2 page
 * at @addr (bits [51:12] kept); decode gives Valid and sets *@addr. */
uint64_t its_l1e_encode(uint64_t addr);
int its_l1e_decode(uint64_t e, uint64_t *addr);

/* GITS_TYPER with the given ID widths and ITT entry size (bytes), the
 * other fields 0; and the widths back. */
uint64_t its_typer_encode(unsigned dev_bits, unsigned event_bits, unsigned itt_entry_size);
unsigned its_typer_dev_bits(uint64_t typer);
unsigned its_typer_event_bits(uint64_t typer);
unsigned its_typer_itt_entry_size(uint64_t typer);

/* GITS_IIDR.Revision: the table ABI revision. */
unsigned its_iidr_revision(uint32_t iidr);

/* The ITS registers as KVM_DEV_ARM_VGIC_GRP_ITS_REGS reads them. The walk
 * uses typer, baser[] and iidr; ctlr and cbaser (the command queue, not
 * part of the table ABI) are carried for tools. */
struct its_regs {
	uint64_t typer, baser[8], cbaser;
	uint32_t ctlr, iidr;
};

struct its_limits {
	unsigned ncpus;		/* vCPUs of the VM: targets 0..ncpus-1 */
	unsigned lpi_id_bits;	/* GICR_PROPBASER.IDbits + 1: LPIs below
				 * 2^lpi_id_bits (values above 32 mean 32) */
};

/* One mapped event: DeviceID/EventID -> LPI, through collection icid to
 * vCPU target (ITS_TARGET_UNMAPPED if the collection has none). */
struct its_event {
	uint32_t devid, eventid, intid;
	unsigned icid;
	uint32_t target;
};

/* Callbacks of its_table_walk(); any may be NULL. A nonzero return stops
 * the walk, which returns it. */
struct its_table_visitor {
	int (*on_collection)(void *ctx, unsigned icid, uint32_t target);
	int (*on_device)(void *ctx, uint32_t devid, uint64_t itt_addr,
			 unsigned event_bits);
	int (*on_event)(void *ctx, const struct its_event *e);
};

/*
 * Validate the tables that @r locates in @m, then visit what KVM's restore
 * would load: first every collection (in table order), then every device in
 * DeviceID order, each followed by its events in EventID order. Nothing is
 * visited unless the whole state is valid. @m must not change meanwhile.
 *
 * Entries are found the way KVM's restore finds them (and its save lays
 * them out), rather than by reading every entry: from ID 0, an invalid
 * entry is stepped over one at a time, a valid entry's next leads to the
 * following one, and next 0 ends the table; an Indirect device table is
 * scanned so within each valid level-2 page in turn, from its start.
 * Valid entries that this never reaches (jumped over, or after next 0, or
 * collection entries after the first invalid one) are stale leftovers of
 * earlier saves: ignored, as KVM does. The chain must also agree with the
 * entries it links, which KVM does not check: a next below its cap must
 * land on a valid entry, next must not run past the table, and a scan that
 * restarts at a new level-2 page must not meet a valid entry before the
 * one the last next points to (KVM would restore a device that the chain
 * says does not exist).
 *
 * A BASER with Valid clear means no table (no devices, or no collections).
 * Rules, each failure -EINVAL with a one-line message in @err naming the
 * register or the entry (for tools; KVM's own answer may be -EINVAL,
 * -EFAULT or -EEXIST):
 *  - GITS_IIDR revision 0; GITS_TYPER ITT entries of 8 bytes; at most one
 *    valid BASER of each type; Entry_Size 8, a defined Page_Size, address
 *    page-aligned, the whole table in guest RAM; no Indirect collection
 *    table;
 *  - Indirect: each valid level-1 entry's level-2 page in guest RAM and
 *    covering DeviceIDs below 2^Devbits;
 *  - CTE: ICID inside the collection table's entry count and not already
 *    seen; RDBase below ncpus or ITS_TARGET_UNMAPPED;
 *  - DTE: DeviceID below 2^Devbits; Size + 1 <= GITS_TYPER EventID bits;
 *    the whole ITT in guest RAM;
 *  - ITE: LPI INTID >= 8192 and below 2^lpi_id_bits; ICID of a collection
 *    in the collection table; next within the ITT;
 *  - the tables (collection table, device table, level-2 pages, ITTs) do
 *    not overlap one another. This also bounds the walk by the size of RAM.
 * -ENOMEM, or the visitor's nonzero return, otherwise 0. @err may be NULL.
 */
int its_table_walk(const struct guest_mem *m, const struct its_regs *r,
		   const struct its_limits *lim, const struct its_table_visitor *v,
		   void *ctx, char *err, size_t errlen);

/* its_table_walk() without a visitor: 0 if the tables pass every rule. */
int its_table_check(const struct guest_mem *m, const struct its_regs *r,
		    const struct its_limits *lim, char *err, size_t errlen);

#endif
