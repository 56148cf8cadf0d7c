/* vmm/irq.h without KVM, for the unit tests of code that routes device
 * interrupts (devices/virtio/pci.c): MSI routes land in the same table
 * irq.c keeps, and what would be irqfds and ioeventfds in KVM is
 * recorded here for the tests to look at. Single-threaded use. */
#ifndef ITSY_TESTS_FAKE_IRQ_H
#define ITSY_TESTS_FAKE_IRQ_H

#include <stdint.h>

#define FAKE_IRQ_DOORBELLS	64

struct fake_doorbell {
	uint64_t addr;
	int fd;		/* -1: a free slot */
};

struct fake_irq {
	int irqfds;		/* bound now */
	unsigned msi_sets;	/* irq_msi_set() calls */
	struct fake_doorbell door[FAKE_IRQ_DOORBELLS];
};

extern struct fake_irq fake_irq;

void fake_irq_reset(void);
/* The eventfd bound at doorbell @addr, or -1. */
int fake_irq_doorbell(uint64_t addr);

#endif
