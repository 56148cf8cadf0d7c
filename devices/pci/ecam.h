/* PCIe ECAM decoder for the host bridge's bus 0: routes config accesses in
 * the ECAM window, offset bus << 20 | device << 15 | function << 12 | reg,
 * to the registered PCI functions (devices/pci/pci.h). Portable: the owner
 * maps the window and serialises calls.
 *
 * Reads of absent functions and of other buses return all-ones (vendor id
 * 0xffff: nothing there); their writes are dropped. A present function
 * serves registers 0..255 (pci_cfg_read/write); its extended space
 * (256..4095) reads 0, so the guest finds no extended capabilities. */
#ifndef ITSY_ECAM_H
#define ITSY_ECAM_H

#include "devices/pci/pci.h"

#include <linux/pci.h>
#include <stdint.h>

#define ECAM_BUS	0	/* the only bus */
#define ECAM_DEVFNS	256	/* PCI_DEVFN(0..31, 0..7) */

struct ecam {
	struct pci_function *fn[ECAM_DEVFNS];
};

void ecam_init(struct ecam *bus);

/* Attach @f at @devfn (PCI_DEVFN(device, function)) of bus 0. While a
 * device has functions besides 0, function 0's Header Type gets the
 * multi-function bit, so the guest scans functions 1..7. -EINVAL for a bad
 * @devfn or a NULL @f, -EEXIST if the slot is taken. */
int ecam_register(struct ecam *bus, unsigned devfn, struct pci_function *f);

/* Guest access of @len (1, 2 or 4) bytes at window offset @off. A read
 * returns the little-endian value (all-ones as above, or for a bad access);
 * a write returns 0, -ENODEV when nothing is there, or pci_cfg_write()'s
 * -EINVAL. Extended-space writes are dropped (0). */
uint32_t ecam_read(struct ecam *bus, uint64_t off, unsigned len);
int ecam_write(struct ecam *bus, uint64_t off, unsigned len, uint32_t val);

/* The 16-bit requester id of @devfn on bus 0 (bus << 8 | devfn): the
 * DeviceID of its MSIs at the GIC ITS. */
uint16_t ecam_requester_id(unsigned devfn);

#endif
