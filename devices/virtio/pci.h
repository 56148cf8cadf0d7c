/* The virtio-pci (modern, virtio 1.x) transport: one PCI function per
 * device, with the common, notify, ISR and device configuration structures
 * and the MSI-X table in one 64-bit memory BAR.
 *
 * Interrupts: every MSI-X vector has a KVM MSI route whose DeviceID is the
 * function's requester id (so it goes through the ITS) and an irqfd; the
 * route follows the guest's table writes. Queue notifications arrive on
 * KVM ioeventfds at the notify addresses and wake the device's thread. */
#ifndef ITSY_VIRTIO_PCI_H
#define ITSY_VIRTIO_PCI_H

struct vm;
struct pci_host;
struct virtio_backend;

/* Create the function for backend @be (state @priv) and plug it into @h. */
int virtio_pci_create(struct vm *vm, struct pci_host *h,
		      const struct virtio_backend *be, void *priv);

#endif
