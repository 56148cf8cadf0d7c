/* The arm64 virtual board: builds a ready-to-run VM from a run config
 * (KVM VM, RAM, vCPUs, vGIC + ITS, devices, kernel, initrd, device tree).
 * Start-up code: it logs what went wrong and returns -errno. */
#ifndef ITSY_ARM64_BOARD_H
#define ITSY_ARM64_BOARD_H

struct vm;
struct run_config;
struct cli_limits;

int board_create(struct vm *vm, const struct run_config *cfg);

/* The limits the memory map puts on --cpus and --mem. */
void board_limits(struct cli_limits *lim);

#endif
