#include "devices/pci/host.h"
#include "devices/pci/ecam.h"
#include "vmm/vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct pci_host {
	pthread_mutex_t lock;
	struct ecam ecam;
	unsigned next_dev;	/* slot 0 stays empty: no host bridge function */
};

static void ecam_mmio(void *opaque, uint64_t off, uint8_t *data, unsigned len,
		      int is_write)
{
	struct pci_host *h = opaque;
	uint32_t v = 0;

	/* Config accesses are at most 32 bits wide (PCIe 7.2.2): a wider one
	 * is not one, and reads all ones like an absent function. */
	if (len > 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	memcpy(&v, data, len);
	pthread_mutex_lock(&h->lock);
	if (is_write)
		ecam_write(&h->ecam, off, len, v);
	else
		v = ecam_read(&h->ecam, off, len);
	pthread_mutex_unlock(&h->lock);
	if (!is_write)
		memcpy(data, &v, len);
}

int pci_host_create(struct vm *vm, uint64_t ecam_base, uint64_t size,
		    struct pci_host **out)
{
	struct pci_host *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	ecam_init(&h->ecam);
	h->next_dev = 1;
	*out = h;
	return mmio_register(&vm->mmio, ecam_base, size, ecam_mmio, h);
}

int pci_host_plug(struct pci_host *h, struct pci_function *f, unsigned *devfn)
{
	int rc = -ENOSPC;

	pthread_mutex_lock(&h->lock);
	if (h->next_dev < 32) {
		*devfn = h->next_dev++ << 3;
		rc = ecam_register(&h->ecam, *devfn, f);
	}
	pthread_mutex_unlock(&h->lock);
	return rc;
}

pthread_mutex_t *pci_host_lock(struct pci_host *h)
{
	return &h->lock;
}
