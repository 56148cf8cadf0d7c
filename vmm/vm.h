/* The virtual machine: KVM handles, guest RAM, the MMIO bus, the vCPUs,
 * and how the VM ends. Any thread may ask the VM to end; the first request
 * wins and the main loop (vm_run) acts on it. */
#ifndef ITSY_VM_H
#define ITSY_VM_H

#include <stdint.h>

#include "vmm/device.h"
#include "vmm/irq.h"
#include "vmm/kvm.h"
#include "vmm/mem.h"
#include "vmm/mmio.h"
#include "vmm/vcpu.h"

/* Process exit status, by cause. */
enum vm_exit {
	VM_EXIT_POWEROFF = 0,	/* PSCI SYSTEM_OFF, or the user quit */
	VM_EXIT_ERROR = 1,	/* bad input or a host-side failure */
	VM_EXIT_RESET = 2,	/* PSCI SYSTEM_RESET */
	VM_EXIT_PANIC = 3,	/* the guest kernel panicked or crashed */
	VM_EXIT_VCPU = 4,	/* KVM could not run a vCPU */
	VM_EXIT_HUNG = 5,	/* the guest stopped refreshing its watchdog */
	VM_EXIT_SANDBOX = 6,	/* a thread made a call its seccomp filter forbids */
};

#define VM_MAX_WATCHES 8

/* A file descriptor the main loop polls for a device. */
struct vm_watch {
	int fd;
	void (*fn)(void *ctx);	/* called on the main thread when readable */
	void *ctx;
};

struct console;

struct vm {
	struct kvm kvm;
	struct guest_mem ram;
	struct mmio_bus mmio;
	struct irq_routes routes;	/* MSI routes of the devices */
	struct device devices[VM_MAX_DEVICES];
	unsigned ndevices;
	struct vcpu *vcpus;
	unsigned ncpus;
	struct vcpu_barrier barrier;
	struct console *console;
	const struct run_config *cfg;	/* what the VM was built from */
	void *arch;		/* the board's own state (interrupt controller) */
	struct vm_watch watches[VM_MAX_WATCHES];
	unsigned nwatches;
	int exit_fd;		/* eventfd, readable once an exit was requested */
	int exit_code;
	char exit_msg[256];
	int paused;		/* paused through the API (main thread only) */
	uint64_t start_ns;	/* process start (clock_ns), for ITSY_STATS */
	uint64_t first_run_ns;	/* vCPU 0 first entered KVM_RUN */
	uint64_t load_ns;	/* spent reading (and inflating) kernel and initrd */
	/* Set by the board: one line about vCPU @v (e.g. its PC) for dumps. */
	int (*describe_vcpu)(struct vcpu *v, char *buf, unsigned len);
	/* Set by the board: answer the SMCCC call KVM forwarded
	 * (KVM_EXIT_HYPERCALL) on @v's thread; 0 to re-enter the guest. */
	int (*hypercall)(struct vcpu *v);
};

int vm_init(struct vm *vm);

/* Ask the VM to end with @code; later requests are ignored. Thread-safe. */
void vm_request_exit(struct vm *vm, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Have the main loop call @fn(@ctx) whenever @fd is readable. Before
 * vm_run() only. -ENOSPC when full. */
int vm_watch_fd(struct vm *vm, int fd, void (*fn)(void *ctx), void *ctx);

/* Stop the guest: vCPUs parked outside KVM_RUN, then devices quiesced
 * (why this order: a running vCPU could kick a device again). Returns the
 * nanoseconds it took, or -errno. vm_resume() undoes it, devices first. */
int64_t vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);

/* Start the vCPUs and serve the console until the VM ends; returns the
 * process exit status after printing why the VM ended. */
int vm_run(struct vm *vm);

#endif
