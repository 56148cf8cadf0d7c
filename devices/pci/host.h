/* The PCIe host bridge (pci-host-ecam-generic): the ECAM window on the MMIO
 * bus, decoded by devices/pci/ecam.c, with functions plugged into bus 0.
 *
 * Locking: one lock serialises all PCI state of the host's functions
 * (config space, BAR decoding, MSI-X tables). ECAM accesses take it; a
 * device takes it (pci_host_lock) around its own BAR accesses and its
 * interrupt delivery. A function's on_bar_change runs with it held. */
#ifndef ITSY_PCI_HOST_H
#define ITSY_PCI_HOST_H

#include <pthread.h>
#include <stdint.h>

struct vm;
struct pci_function;
struct pci_host;

int pci_host_create(struct vm *vm, uint64_t ecam_base, uint64_t size,
		    struct pci_host **out);

/* Plug @f into the next free slot of bus 0 (function 0 of devices 1..31);
 * *@devfn gets its dev << 3 | fn. -ENOSPC when the bus is full. */
int pci_host_plug(struct pci_host *h, struct pci_function *f, unsigned *devfn);

pthread_mutex_t *pci_host_lock(struct pci_host *h);

#endif
