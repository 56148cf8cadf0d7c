#include "devices/pci/ecam.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#ifndef PCI_HEADER_TYPE_MFD
#define PCI_HEADER_TYPE_MFD	0x80	/* uapi defines it since Linux 6.7 */
#endif

#define ECAM_BUS_SHIFT	20
#define ECAM_FN_SHIFT	12		/* devfn starts here */
#define ECAM_REG_MASK	((1u << ECAM_FN_SHIFT) - 1)

void ecam_init(struct ecam *bus)
{
	memset(bus, 0, sizeof(*bus));
}

static int has_other_fns(const struct ecam *bus, unsigned slot)
{
	for (unsigned fn = 1; fn < 8; fn++)
		if (bus->fn[PCI_DEVFN(slot, fn)])
			return 1;
	return 0;
}

/* Function 0 of a multi-function device says so in its Header Type. */
static void mfd_update(struct ecam *bus, unsigned slot)
{
	struct pci_function *f0 = bus->fn[PCI_DEVFN(slot, 0)];
	uint8_t *ht;

	if (!f0 || !has_other_fns(bus, slot))
		return;
	ht = pci_cfg_ptr(f0, PCI_HEADER_TYPE, 1);
	*ht |= PCI_HEADER_TYPE_MFD;
}

int ecam_register(struct ecam *bus, unsigned devfn, struct pci_function *f)
{
	if (devfn >= ECAM_DEVFNS || !f)
		return -EINVAL;
	if (bus->fn[devfn])
		return -EEXIST;
	bus->fn[devfn] = f;
	mfd_update(bus, PCI_SLOT(devfn));
	return 0;
}

/* The function at @off, or NULL for another bus or an absent function. */
static struct pci_function *lookup(const struct ecam *bus, uint64_t off)
{
	if (off >> ECAM_BUS_SHIFT != ECAM_BUS)
		return NULL;
	return bus->fn[(off >> ECAM_FN_SHIFT) % ECAM_DEVFNS];
}

static int len_ok(unsigned reg, unsigned len)
{
	return (len == 1 || len == 2 || len == 4) && reg + len <= PCI_CFG_SPACE_EXP_SIZE;
}

uint32_t ecam_read(struct ecam *bus, uint64_t off, unsigned len)
{
	struct pci_function *f = lookup(bus, off);
	unsigned reg = off & ECAM_REG_MASK;

	if (!f || !len_ok(reg, len))
		return pci_ones(len);
	if (reg >= PCI_CFG_SPACE_SIZE)
		return 0;
	return pci_cfg_read(f, reg, len);
}

int ecam_write(struct ecam *bus, uint64_t off, unsigned len, uint32_t val)
{
	struct pci_function *f = lookup(bus, off);
	unsigned reg = off & ECAM_REG_MASK;

	if (!f)
		return -ENODEV;
	if (!len_ok(reg, len))
		return -EINVAL;
	if (reg >= PCI_CFG_SPACE_SIZE)
		return 0;
	return pci_cfg_write(f, reg, len, val);
}

uint16_t ecam_requester_id(unsigned devfn)
{
	return ECAM_BUS << 8 | (devfn & 0xff);
}
