/* What a VM is built from: the machine, and its devices as the user named
 * them. Filled from the command line (vmm/front/cli.h) or from a saved
 * state's "config" section (migration/snapshot.h), read by the machine
 * builder (vmm/front/machine.h). Portable. */
#ifndef ITSY_CONFIG_H
#define ITSY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/sandbox.h"

enum kernel_format { KERNEL_IMAGE, KERNEL_RAW };
enum console_kind { CONSOLE_SERIAL, CONSOLE_VIRTIO };

#define CONFIG_SVE_HOST		0
#define CONFIG_SVE_OFF		(-1)
#define CONFIG_SVE_VL_MAX	2048	/* bits, the architecture's longest */

#define CONFIG_MAX_DEVICES	16
#define CONFIG_ARG_MAX		255	/* bytes of a device's option value */

struct regset_list;

/* One device: its kind (a name of devices/kind.h) and the value of the
 * option that added it, as the user wrote it ("" when it takes none). */
struct device_config {
	const char *kind;
	char arg[CONFIG_ARG_MAX + 1];
};

struct run_config {
	const char *kernel;
	const char *initrd;		/* NULL: none */
	const char *cmdline;		/* NULL: empty bootargs */
	unsigned cpus;
	uint64_t mem;			/* bytes */
	enum kernel_format kernel_format;
	int pmu;
	int no_pvtime;			/* --no-pvtime: no PV stolen time */
	/* SVE: the longest vector length in bits (--sve-vl), CONFIG_SVE_HOST
	 * for the host's longest, CONFIG_SVE_OFF for none. The board puts in
	 * what the guest got (arch/arm64/board.h). */
	int sve_vl;
	int watchdog;			/* arm the watchdog at power-on */
	enum console_kind console;	/* where the terminal is connected */
	/* In the order they are plugged: PCI slot 1, 2, ... */
	struct device_config devices[CONFIG_MAX_DEVICES];
	unsigned ndevices;
	const char *api_socket;		/* NULL: no control socket */
	const char *profile_path;	/* --profile: a pool profile file, or NULL */
	const struct regset_list *profile;	/* its contents, read by main */
	enum sandbox_mode seccomp;	/* --seccomp, default kill */
};

/* What the machine allows (the board says: arch/arm64/board.h). */
struct config_limits {
	unsigned max_cpus;
	uint64_t max_mem;
};

/* Append a device of @kind with @arg. -ENOSPC when the VM is full,
 * -E2BIG when @arg is longer than CONFIG_ARG_MAX. */
int config_add_device(struct run_config *c, const char *kind, const char *arg);

/* How many devices of @kind @c has. */
unsigned config_count(const struct run_config *c, const char *kind);

/* Give the first @n devices of @kind, in order, the values @args (e.g.
 * disk paths given to restore): -E2BIG for a value too long, -ERANGE when
 * @c has fewer than @n of them. */
int config_override(struct run_config *c, const char *kind, const char *const *args,
		    unsigned n);

#endif
