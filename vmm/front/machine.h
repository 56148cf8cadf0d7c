/* The machine builder: a VM from a run configuration. The board
 * (arch/arm64/board.h) makes the VM, its RAM, vCPUs, interrupt controller,
 * the board's own devices and the PCIe host bridge, and boots the kernel;
 * then each device of the configuration is made by its kind
 * (devices/kind.h), in the configuration's order, so it gets the same PCI
 * slot on every host and in every restore. Start-up code: failures are
 * logged, and -errno returned. */
#ifndef ITSY_FRONT_MACHINE_H
#define ITSY_FRONT_MACHINE_H

#include <stddef.h>

struct vm;
struct run_config;

/* Check every device's value against its kind: 0, or -EINVAL with a
 * sentence in @err (an unknown kind, a bad value, too many of a kind). */
int machine_check(const struct run_config *cfg, char *err, size_t len);

/* The board, then, unless @memory_fd is BOARD_MEMORY_INCOMING (whose
 * devices come at the hand-over, with machine_attach()), the devices.
 * @memory_fd as for board_create(). */
int machine_build(struct vm *vm, struct run_config *cfg, int memory_fd);

/* The board's own devices and the configuration's, on a VM built with
 * BOARD_MEMORY_INCOMING (a migration's hand-over). */
int machine_attach(struct vm *vm, const struct run_config *cfg);

#endif
