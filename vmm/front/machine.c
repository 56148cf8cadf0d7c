#include "vmm/front/machine.h"
#include "arch/arm64/board.h"
#include "devices/kind.h"
#include "devices/virtio/pci.h"
#include "devices/virtio/virtio.h"
#include "vmm/config.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int machine_check(const struct run_config *cfg, char *err, size_t len)
{
	for (unsigned i = 0; i < cfg->ndevices; i++) {
		const struct device_config *d = &cfg->devices[i];
		const struct device_kind *k = device_kind_named(d->kind);
		int rc = 0;

		if (!k) {
			snprintf(err, len, "device %u: unknown kind '%s'", i, d->kind ? d->kind : "");
			return -EINVAL;
		}
		if (config_count(cfg, k->name) > k->max) {
			snprintf(err, len, "--%s: at most %u", k->option ? k->option : k->name, k->max);
			return -EINVAL;
		}
		if (k->check && (rc = k->check(d->arg, err, len)))
			return rc;
	}
	return 0;
}

static int plug_virtio(const struct device_env *env, const char *kind,
		       const struct virtio_backend *be, void *priv)
{
	int rc = virtio_pci_create(env->vm, env->bus, kind, be, priv);

	if (rc)
		log_msg("%s: cannot create the PCI device: %s", kind, strerror(-rc));
	return rc;
}

static int attach_devices(struct vm *vm, const struct run_config *cfg)
{
	struct device_env env = { vm, vm->console, plug_virtio, board_pci(vm) };
	char err[512];

	for (unsigned i = 0; i < cfg->ndevices; i++) {
		const struct device_kind *k = device_kind_named(cfg->devices[i].kind);
		int rc = k ? k->create(&env, cfg->devices[i].arg, err, sizeof(err)) : -EINVAL;

		if (rc) {
			log_msg("%s", k ? err : "a device of an unknown kind");
			return rc;
		}
	}
	return 0;
}

int machine_attach(struct vm *vm, const struct run_config *cfg)
{
	int rc = board_attach(vm, cfg);

	return rc ? rc : attach_devices(vm, cfg);
}

int machine_build(struct vm *vm, struct run_config *cfg, int memory_fd)
{
	int rc = board_create(vm, cfg, memory_fd);

	/* An incoming guest's devices come at the hand-over: until then its
	 * source holds their disks, tap and vsock CID. */
	if (!rc && memory_fd != BOARD_MEMORY_INCOMING)
		rc = attach_devices(vm, cfg);
	return rc;
}
