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

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE_BASE	0x1040	/* modern device id = base + virtio id */

/* Saved state of a "dev.N.virtio-pci" section, version 1: keyed fields. */
enum virtio_pci_state_key {
	K_CFG = 1,		/* PCI config space, 256 bytes */
	K_MSIX_TABLE,		/* MSI-X table, le32 words */
	K_MSIX_PBA,		/* pending bits, le64 words */
	K_DFSELECT, K_GFSELECT, K_FEATURES, K_CONFIG_VECTOR, K_QUEUE_SEL,
	K_STATUS, K_ISR, K_GENERATION,
	K_QUEUE = 0x100,	/* + 16 * queue + one of enum virtio_pci_queue_field */
};
enum virtio_pci_queue_field {
	Q_SIZE, Q_VECTOR, Q_ENABLE, Q_DESC, Q_AVAIL, Q_USED, Q_LAST_AVAIL, Q_USED_IDX
};

struct vm;
struct pci_host;
struct virtio_backend;

/* Create the function for backend @be (state @priv) and plug it into @h. */
int virtio_pci_create(struct vm *vm, struct pci_host *h,
		      const struct virtio_backend *be, void *priv);

#endif
