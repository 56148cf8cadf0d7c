#include "devices/pci/host.h"
#include "vmm/vm.h"

#include <string.h>

static void ecam_mmio(void *opaque, uint64_t off, uint8_t *data, unsigned len,
		      int is_write)
{
	(void)opaque;
	(void)off;
	if (!is_write)
		memset(data, 0xff, len);	/* no function here: vendor id 0xffff */
}

int pci_host_attach(struct vm *vm, uint64_t ecam_base, uint64_t size)
{
	return mmio_register(&vm->mmio, ecam_base, size, ecam_mmio, NULL);
}
