/* A kind of device the user adds to a VM with an option of `itsy run`
 * (--disk, --net, ...): everything about it lives with the device, in its
 * own folder, and one table lists the kinds (devices/kind.c); the machine
 * builder (vmm/front/machine.c) and the command line know nothing else of
 * them.
 *
 * A kind describes:
 *  - its option: name, syntax, help; check() validates a value without
 *    side effects (a file may be looked at), so `itsy run` refuses bad
 *    input before it builds anything;
 *  - how create() makes one device from that value on a machine
 *    (struct device_env: the VM, and how a virtio backend is put on the
 *    machine's PCIe bus);
 *  - how describe() tells a person about it (`itsy inspect`).
 * The value is kept as the user gave it ("disk.img,ro"): it is what the
 * VM's configuration records (snapshots, migration streams), so a device
 * is rebuilt from the same words on restore. A device's saved state is
 * named by its kind and where it sits ("virtio-blk@01", its PCI slot),
 * never by the order devices were made in. */
#ifndef ITSY_DEVICE_KIND_H
#define ITSY_DEVICE_KIND_H

#include <stddef.h>

struct vm;
struct console;
struct virtio_backend;

/* What a kind's create() gets from the machine. */
struct device_env {
	struct vm *vm;
	struct console *console;	/* the user's terminal */
	/* Put @be (state @priv) on the PCIe bus as a virtio-pci function;
	 * @kind names its saved state. 0 or -errno. */
	int (*plug_virtio)(const struct device_env *env, const char *kind,
			   const struct virtio_backend *be, void *priv);
	void *bus;			/* for plug_virtio */
};

struct device_kind {
	const char *name;	/* "virtio-blk": saved state, inspect, config */
	const char *option;	/* "disk" for --disk; NULL: not added by an option */
	const char *syntax;	/* "PATH[,ro]", or NULL when the option takes no value */
	const char *help;	/* one line for the usage text */
	unsigned max;		/* devices of this kind a VM may have */
	/* @arg ("" without a value): 0, or -EINVAL with a sentence naming the
	 * option in @err. Optional. */
	int (*check)(const char *arg, char *err, size_t len);
	/* Make the device. -errno with a sentence in @err. */
	int (*create)(const struct device_env *env, const char *arg, char *err, size_t len);
	/* @arg for a person, e.g. "disk.img (read-only)". */
	void (*describe)(const char *arg, char *out, size_t len);
};

/* The kinds, one table (devices/kind.c): the @i-th, or NULL past the
 * last; the one called @name, or NULL. */
const struct device_kind *device_kind_at(unsigned i);
const struct device_kind *device_kind_named(const char *name);

#endif
