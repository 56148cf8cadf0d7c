/* The "config" section of a saved state (snapshot files, the BEGIN of a
 * migration stream): how to build the VM again. Portable, unit-tested.
 *
 * Version 2 (written now): the machine's settings and each device as its
 * kind's name and the value of the option that added it, in plug order
 * (so PCI slot i + 1). Version 1 (itsy before device kinds) had fixed
 * fields per kind; it still loads, its devices in the order that version
 * plugged them: disks, NICs, vsock, rng, then virtio-console.
 *
 * The key numbers are in saved files: never change one (test_state_keys). */
#ifndef ITSY_CONFIG_STATE_H
#define ITSY_CONFIG_STATE_H

#include <stddef.h>

#define CONFIG_STATE_VERSION	2

enum config_state_key {
	CFG_CPUS = 1, CFG_MEM = 2, CFG_PMU = 3, CFG_WATCHDOG = 4, CFG_CONSOLE = 6,
	CFG_SVE_VL = 0x11,	/* the longest SVE vector length, bits; absent or 0: no SVE */
	CFG_NDEVICES = 0x10,				/* version 2 */
	CFG_DEV_KIND = 0x300, CFG_DEV_ARG = 0x340,	/* + device index, version 2 */
	/* Version 1 only: */
	CFG_RNG = 5, CFG_VSOCK = 7, CFG_NDISKS = 8, CFG_NNICS = 9,
	CFG_DISK_PATH = 0x100, CFG_DISK_RO = 0x140,		/* + disk index */
	CFG_NIC_TAP = 0x200, CFG_NIC_MAC = 0x240, CFG_NIC_HAS_MAC = 0x280,	/* + NIC index */
};

struct regset;
struct run_config;

/* @c as a version-2 section. 0 or -ENOMEM. */
int config_state_save(const struct run_config *c, struct regset *s);

/* A section of @version (1 or 2) into @c, which is zeroed first. Device
 * kinds must be known (devices/kind.h). 0, or -EINVAL with a sentence
 * naming what is wrong in @err. */
int config_state_load(const struct regset *s, unsigned version, struct run_config *c,
		      char *err, size_t len);

#endif
