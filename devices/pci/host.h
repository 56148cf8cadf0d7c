/* The PCIe host bridge's ECAM window (pci-host-ecam-generic). Until devices
 * are plugged in, every function reads as absent (all-ones). */
#ifndef ITSY_PCI_HOST_H
#define ITSY_PCI_HOST_H

#include <stdint.h>

struct vm;

int pci_host_attach(struct vm *vm, uint64_t ecam_base, uint64_t size);

#endif
