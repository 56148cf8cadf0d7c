/* A PCI function's conventional (256-byte) configuration space, type 0
 * header, with memory BARs and a capability list. Portable: the owner
 * routes the guest's config accesses (from the ECAM decoder) and its BAR
 * MMIO accesses, and serialises calls.
 *
 * Every config byte has a guest write mask (1 = the guest may change the
 * bit) and a write-1-to-clear mask (the status register's error bits).
 * Guest-writable at init: Command (memory space, bus master, INTx disable
 * only), the status error bits (RW1C), Cache Line Size and Interrupt Line.
 * No INTx: Interrupt Pin is 0, interrupts are MSI-X (devices/pci/msix.h).
 *
 * BARs are memory BARs, 32- or 64-bit, power-of-two sized (>= 4 KiB), and
 * behave like hardware: writing all-ones then reading gives the size mask
 * with the type bits; the bits below the size read 0. A BAR decodes only
 * while Command.Memory is set and its address is not 0 (address 0 counts
 * as unassigned). The owner learns about each change of a BAR's decoded
 * address through on_bar_change, and moves its MMIO region.
 *
 * Capabilities live from 0x40 upward, 4-byte aligned, and are read-only to
 * the guest unless the owner opens bits with pci_cfg_wmask(); the owner
 * fills them through pci_cfg_ptr() or pci_cfg_set(). */
#ifndef ITSY_PCI_H
#define ITSY_PCI_H

#include <linux/pci_regs.h>
#include <stdint.h>

#define PCI_MAX_HOOKS	4

struct pci_function;

/* Identity, fixed at init. @class_code is 24 bits: base class, sub-class,
 * programming interface (register 0x09..0x0b as one number). */
struct pci_id {
	uint16_t vendor, device;
	uint32_t class_code;
	uint16_t subsys_vendor, subsys_id;
	uint8_t revision;
};

/* Called with the mapping of BAR @index (its low slot) going from
 * @old_addr to @new_addr, either of which may be 0: not decoded. */
typedef void (*pci_bar_fn)(struct pci_function *f, unsigned index,
			   uint64_t old_addr, uint64_t new_addr, void *ctx);

/* Config hook: a guest access at (@off, @len) touched the hooked range. */
typedef void (*pci_cfg_fn)(struct pci_function *f, unsigned off, unsigned len,
			   void *ctx);

struct pci_bar {
	uint64_t size;		/* 0: not implemented (or upper half of a 64-bit BAR) */
	uint32_t flags;		/* PCI_BASE_ADDRESS_MEM_* type bits */
	uint64_t mapped;	/* decoded address last reported, 0 = none */
};

struct pci_hook {
	unsigned off, len;
	pci_cfg_fn on_read, on_write;
	void *ctx;
};

struct pci_function {
	uint8_t cfg[PCI_CFG_SPACE_SIZE];
	uint8_t wmask[PCI_CFG_SPACE_SIZE];	/* guest-writable bits */
	uint8_t w1cmask[PCI_CFG_SPACE_SIZE];	/* write-1-to-clear bits */
	struct pci_bar bar[PCI_STD_NUM_BARS];
	unsigned cap_last;			/* offset of the last capability, 0: none */
	unsigned cap_free;			/* first free capability byte */
	struct pci_hook hook[PCI_MAX_HOOKS];
	unsigned nhooks;
	/* Set by the owner after pci_init(); may be NULL. */
	pci_bar_fn on_bar_change;
	void *ctx;				/* passed to on_bar_change */
};

/* All-ones for a read of @len bytes: what an absent register returns. */
static inline uint32_t pci_ones(unsigned len)
{
	return len && len < 4 ? (1u << (8 * len)) - 1 : 0xffffffffu;
}

/* Reset @f to a type 0 header with identity @id, no BARs, no capabilities
 * and no callbacks. */
void pci_init(struct pci_function *f, const struct pci_id *id);

/* Implement memory BAR @index of @size bytes. @flags: 0 (32-bit) or
 * PCI_BASE_ADDRESS_MEM_TYPE_64 (takes slots @index and @index + 1), either
 * optionally with PCI_BASE_ADDRESS_MEM_PREFETCH. @size is a power of two,
 * >= 4 KiB, and <= 2 GiB for a 32-bit BAR. -EINVAL for a bad index, size or
 * flags (I/O BARs included), -EBUSY if a slot is taken. */
int pci_add_bar(struct pci_function *f, unsigned index, uint64_t size,
		uint32_t flags);

/* Decoded address of BAR @index: the programmed address while memory
 * decoding is on, else 0 (also 0 for an unimplemented BAR, the upper slot
 * of a 64-bit BAR, or address 0). */
uint64_t pci_bar_addr(const struct pci_function *f, unsigned index);

/* Size of BAR @index, 0 if not implemented. */
uint64_t pci_bar_size(const struct pci_function *f, unsigned index);
/* After the owner replaced config space wholesale (a restore): report
 * every BAR whose decoded address changed through on_bar_change. */
void pci_sync_bars(struct pci_function *f);

/* Add a capability @id of @len bytes (>= 2; >= 3 for PCI_CAP_ID_VNDR,
 * whose length byte at PCI_CAP_FLAGS is set to @len), zeroed and read-only
 * to the guest, linked at the end of the list; sets PCI_STATUS_CAP_LIST.
 * Returns its config offset (4-byte aligned, >= 0x40), -EINVAL for a bad
 * @len, -ENOSPC when it does not fit below 256. */
int pci_add_cap(struct pci_function *f, uint8_t id, unsigned len);

/* Offset of the first capability @id in the list after the capability at
 * offset @after (0: from the start of the list), or -ENOENT. */
int pci_find_cap(const struct pci_function *f, uint8_t id, unsigned after);

/* Owner access to config bytes [@off, @off + @len): NULL if out of range.
 * Writing through it bypasses masks and hooks; keep capability ids and
 * next pointers intact. */
uint8_t *pci_cfg_ptr(struct pci_function *f, unsigned off, unsigned len);

/* Owner access to a little-endian value of @len (1, 2 or 4) bytes at @off,
 * bypassing masks and hooks. set: -EINVAL if out of range; get: all-ones. */
uint32_t pci_cfg_get(const struct pci_function *f, unsigned off, unsigned len);
int pci_cfg_set(struct pci_function *f, unsigned off, unsigned len, uint32_t val);

/* Set the guest write mask of the @len (1, 2 or 4) bytes at @off to
 * @mask (little-endian). -EINVAL if out of range. */
int pci_cfg_wmask(struct pci_function *f, unsigned off, unsigned len,
		  uint32_t mask);

/* Call @on_read before, and @on_write after, every guest access that
 * overlaps [@off, @off + @len); either may be NULL. on_read may refresh the
 * bytes the guest is about to read; on_write sees them after the masked
 * write. -EINVAL if out of range, -ENOSPC after PCI_MAX_HOOKS hooks. */
int pci_hook_cfg(struct pci_function *f, unsigned off, unsigned len,
		 pci_cfg_fn on_read, pci_cfg_fn on_write, void *ctx);

/* Guest config access of @len bytes (1, 2 or 4) at @off, little-endian.
 * Any offset is accepted, aligned or not, as long as the access lies
 * inside the 256 bytes; otherwise (or for another @len) the read returns
 * all-ones and the write is ignored with -EINVAL. Writes go through the
 * write masks, then update BAR decoding (calling on_bar_change for every
 * BAR whose decoded address changed) and then run the hooks. */
uint32_t pci_cfg_read(struct pci_function *f, unsigned off, unsigned len);
int pci_cfg_write(struct pci_function *f, unsigned off, unsigned len, uint32_t val);

#endif
