/* The arm64 virtual board: from a run config, the KVM VM, RAM, vCPUs,
 * vGIC + ITS, the board's own devices (UART, RTC, watchdog, the PCIe host
 * bridge), kernel, initrd and device tree. The configuration's devices
 * (disks, NICs, ...) are the machine builder's (vmm/front/machine.h).
 * Start-up code: it logs what went wrong and returns -errno. */
#ifndef ITSY_ARM64_BOARD_H
#define ITSY_ARM64_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arm64/compat.h"
#include "arch/arm64/gic.h"
#include "arch/arm64/impl.h"
#include "arch/arm64/memmap.h"
#include "arch/arm64/pvtime.h"
#include "arch/arm64/vcpu_state.h"
#include "vmm/regset.h"

struct vm;
struct pci_host;
struct run_config;
struct config_limits;
struct regset_list;

/* With board_create(): build the VM for state that comes later (a
 * migration): fresh zeroed RAM, no kernel, initrd or device tree. */
#define BOARD_MEMORY_INCOMING	(-2)

/* What the board keeps about a VM (vm->arch). */
struct arm64_vm {
	struct gic gic;
	struct pci_host *pci;
	uint64_t mpidr[MEMMAP_MAX_CPUS];	/* each vCPU's, as KVM reports it */
	/* What the guest needs from a host (arch/arm64/profile.h), read
	 * before its vCPUs first ran: KVM will not answer GIC or vCPU
	 * register reads while they run, and a migration decides first. */
	struct regset_list needs;
	/* The target implementations its guest is told of, if it is
	 * (arch/arm64/hypercall.h). */
	struct impl_cpu impl[COMPAT_IMPL_MAX];
	unsigned nimpl;
	struct pvtime pvtime;	/* PV stolen time (arch/arm64/pvtime.h) */
};

/* Build the VM. With @memory_fd >= 0 it is a restore: guest RAM is that
 * file, mapped privately, and no kernel, initrd or device tree is loaded
 * (the state is written afterwards with board_restore()). With
 * BOARD_MEMORY_INCOMING the same, on fresh RAM. What was left to the host
 * is filled in @cfg as the guest got it (sve_vl), so that the saved
 * configuration builds the same guest elsewhere. */
int board_create(struct vm *vm, struct run_config *cfg, int memory_fd);

/* The board's own devices (UART, RTC, watchdog) and the PCIe host bridge:
 * board_create() makes them, but for BOARD_MEMORY_INCOMING (the builder
 * calls this at the hand-over then). -errno, logged. */
int board_attach(struct vm *vm, const struct run_config *cfg);

/* The PCIe host bridge of a VM board_create() built, for the devices of
 * its configuration (vmm/front/machine.h plugs them). */
struct pci_host *board_pci(struct vm *vm);

/* The paused VM's arm64 state as named sets: "abi" (arch/arm64/abi.h),
 * "gic.*", "its", "vcpu.N". */
int board_save(struct vm *vm, struct regset_list *out, char *err, size_t errlen);

/* Check the saved ABI values against this host before anything is
 * written: -EINVAL with a sentence naming the register and both values.
 * @host: this host's profile if already probed on @vm, else NULL. */
int board_check_abi(struct vm *vm, const struct regset_list *in, const struct regset_list *host,
		    char *err, size_t errlen);

/* Write the arm64 state back in the documented order: GIC (distributor,
 * redistributors, ITS), then the vCPUs. */
int board_restore(struct vm *vm, const struct regset_list *in, enum vcpu_time time,
		  uint64_t elapsed_ns, char *err, size_t errlen);

/* Record the guest's needs (below) now; @idregs: the ID registers it saw
 * at boot, or NULL to take vCPU 0's current ones; @vcpu0: vCPU 0's
 * registers as just restored, or NULL to read them from KVM. -errno. */
int board_record_needs(struct vm *vm, const struct regset *idregs, const struct regset *vcpu0);

/* The guest's needs (abi, vcpu.0, guest.idregs) as of its creation or
 * restore, for a migration's compatibility check. */
const struct regset_list *board_needs(struct vm *vm);

/* The limits the memory map puts on --cpus and --mem. */
void board_limits(struct config_limits *lim);

#endif
