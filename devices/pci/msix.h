/* MSI-X for a PCI function (devices/pci/pci.h): the capability in config
 * space, and the vector table and Pending Bit Array that the guest reaches
 * through one of the function's memory BARs. Portable: the owner routes the
 * BAR accesses that fall in the table or the PBA here, sends the messages
 * (a KVM MSI route per vector), and serialises calls with the function's.
 *
 * Table: MSIX_TABLE_BYTES(nvec) bytes at table_off in the BAR, one 16-byte
 * entry per vector (PCI_MSIX_ENTRY_*), accessed as aligned 4- or 8-byte
 * words. Message Address bits 1:0 and Vector Control bits 31:1 read 0.
 * Entries reset with address and data 0 and the Mask bit set.
 * PBA: MSIX_PBA_BYTES(nvec) read-only bytes at pba_off, bit n = vector n.
 *
 * A vector is deliverable when MSI-X is enabled, the function is not
 * masked (Message Control Enable and Function Mask, the only bits the
 * guest may write in the capability) and the vector's Mask bit is clear. */
#ifndef ITSY_MSIX_H
#define ITSY_MSIX_H

#include "devices/pci/pci.h"

#include <stdint.h>

#define MSIX_MAX_VECTORS	128
#define MSIX_TABLE_BYTES(n)	((uint64_t)(n) * PCI_MSIX_ENTRY_SIZE)
#define MSIX_PBA_BYTES(n)	(((uint64_t)(n) + 63) / 64 * 8)

struct msix;

/* Vector @vec of @m: see on_vector_change and on_pending_fire. */
typedef void (*msix_fn)(struct msix *m, unsigned vec, void *ctx);

struct msix {
	struct pci_function *f;
	unsigned cap;			/* config offset of the capability */
	unsigned nvec, bar;
	uint32_t table_off, pba_off;	/* in the BAR */
	int enabled, fmasked;		/* Message Control, as last seen */
	uint32_t table[MSIX_MAX_VECTORS][PCI_MSIX_ENTRY_SIZE / 4];
	uint64_t pba[MSIX_MAX_VECTORS / 64];
	/* Set by the owner after msix_init(); may be NULL. on_vector_change:
	 * the entry's address, data or Mask bit, or the function's Enable or
	 * Function Mask changed (then called for every vector): re-read it
	 * with msix_entry(). on_pending_fire: a pending vector became
	 * deliverable; its pending bit is cleared, send its message now. */
	msix_fn on_vector_change, on_pending_fire;
	void *ctx;
};

/* Add the MSI-X capability with @nvec vectors (1..MSIX_MAX_VECTORS) to
 * @f, its table at @table_off and its PBA at @pba_off in memory BAR @bar,
 * which must already exist (pci_add_bar()); both offsets 8-byte aligned,
 * both structures inside the BAR, not overlapping. Hooks the capability's
 * Message Control (pci_hook_cfg()). 0, -EINVAL, or pci_add_cap()'s or
 * pci_hook_cfg()'s error. @m must not move afterwards (it is the hook's
 * context). */
int msix_init(struct msix *m, struct pci_function *f, unsigned nvec,
	      unsigned bar, uint32_t table_off, uint32_t pba_off);

/* Guest access at offset @off of the table (relative to table_off):
 * @len 4 or 8, aligned to @len, inside the table. Other reads return 0,
 * other writes are ignored. */
uint64_t msix_table_read(const struct msix *m, uint64_t off, unsigned len);
void msix_table_write(struct msix *m, uint64_t off, unsigned len, uint64_t val);

/* Guest read at offset @off of the PBA (relative to pba_off), same rules.
 * The PBA is read-only: the owner drops writes. */
uint64_t msix_pba_read(const struct msix *m, uint64_t off, unsigned len);

/* The device wants to signal vector @vec. 1: deliverable, send the message
 * now. 0: not sent; if MSI-X is enabled, the vector's pending bit is set
 * and on_pending_fire reports it once the vector is deliverable again.
 * -EINVAL if @vec >= nvec. */
int msix_notify(struct msix *m, unsigned vec);

/* Entry @vec's message address and data; *@masked = 1 if it is not
 * deliverable now (disabled, function masked or vector masked). Any
 * pointer may be NULL. -EINVAL if @vec >= nvec. */
int msix_entry(const struct msix *m, unsigned vec, uint64_t *addr,
	       uint32_t *data, int *masked);

/* 1 if vector @vec's pending bit is set, 0 if not or out of range. */
int msix_pending(const struct msix *m, unsigned vec);
/* After the owner restored config space, table and PBA: take Enable and
 * Function Mask from the capability and report every vector through
 * on_vector_change (so routes follow the restored table). */
void msix_sync(struct msix *m);

#endif
