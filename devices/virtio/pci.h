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

/* Saved state of a "dev.N.virtio-pci" section, version 1: keyed fields.
 * The numbers are in saved files: never change one (test_state_keys.c). */
enum virtio_pci_state_key {
	K_CFG = 1,		/* PCI config space, 256 bytes */
	K_MSIX_TABLE = 2,	/* MSI-X table, le32 words */
	K_MSIX_PBA = 3,		/* pending bits, le64 words */
	/* Little-endian scalars, consecutive (saved and loaded in order): */
	K_DFSELECT = 4, K_GFSELECT = 5, K_FEATURES = 6, K_CONFIG_VECTOR = 7, K_QUEUE_SEL = 8,
	K_STATUS = 9, K_ISR = 10, K_GENERATION = 11,
	K_QUEUE = 0x100,	/* + 16 * queue + one of enum virtio_pci_queue_field */
};
/* Part of a queue's key, so in saved files too; consecutive. */
enum virtio_pci_queue_field {
	Q_SIZE = 0, Q_VECTOR = 1, Q_ENABLE = 2, Q_DESC = 3, Q_AVAIL = 4, Q_USED = 5,
	Q_LAST_AVAIL = 6, Q_USED_IDX = 7,
};

struct vm;
struct pci_host;
struct virtio_backend;

/* Create the function for backend @be (state @priv) and plug it into @h,
 * in its next free slot; its saved state is named "@kind@SLOT" (two hex
 * digits, e.g. "virtio-blk@01"). */
int virtio_pci_create(struct vm *vm, struct pci_host *h, const char *kind,
		      const struct virtio_backend *be, void *priv);

#endif
