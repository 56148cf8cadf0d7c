/* PV stolen time for guests (Documentation/virt/kvm/arm/pvtime.rst and
 * the KVM_ARM_VCPU_PVTIME_CTRL group of devices/vcpu.rst): each vCPU's
 * 64-byte structure, which KVM keeps up to date, in a region of the
 * memory map that is not RAM (MM_PVTIME, memslot PVTIME_SLOT). Its saved
 * form is arch/arm64/pvtime_state.h.
 *
 * Ordering, all before any vCPU first runs: the region's memslot, then
 * each vCPU's IPA (KVM refuses a second one with -EEXIST, so a VM
 * registers once: at creation for a new guest, in board_restore() for a
 * restored one, after the saved structures were written back). */
#ifndef ITSY_ARM64_PVTIME_H
#define ITSY_ARM64_PVTIME_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct regset;
struct regset_list;

#define PVTIME_SLOT	1	/* slot 0 is guest RAM */

struct pvtime {
	uint8_t *hva;		/* the region, or NULL where KVM has no stolen time */
	int on;			/* the guest has it: every vCPU's IPA is registered */
};

/* The Revision this host's KVM writes into a stolen-time structure.
 * Userspace cannot ask for it, so it is measured: a throw-away VM's
 * vCPU calls PV_TIME_ST and then PSCI SYSTEM_OFF, and the Revision KVM
 * wrote is read back. Once per process (then cached): call it first at
 * start-up, before the process is confined (it makes a VM). -ENOTSUP
 * where KVM has no KVM_CAP_STEAL_TIME or wrote nothing, else -errno. */
int pvtime_host_revision(uint32_t *rev);

/* Start that measure on a thread of its own, to be taken by the first
 * pvtime_host_revision(): it costs a VM, which the caller's start-up can
 * overlap (reading the kernel and initrd). Main thread, start-up only. */
void pvtime_measure_start(void);

/* Map the region and hand it to KVM, where it has stolen time (else
 * p->hva stays NULL and this returns 0). -errno. */
int pvtime_create(struct vm *vm, struct pvtime *p);

/* Register every vCPU's structure with KVM. -ENOTSUP without a region. */
int pvtime_enable(struct vm *vm, struct pvtime *p);

/* If the guest has stolen time, its structures as section PVTIME_SECTION.
 * The vCPUs must be paused (KVM writes the structures as they run). */
int pvtime_save(struct vm *vm, const struct pvtime *p, struct regset_list *out);

/* Write the saved section @s back and register the vCPUs (pvtime_enable).
 * -EINVAL with a sentence in @err for a bad section or a host without
 * stolen time. */
int pvtime_restore(struct vm *vm, struct pvtime *p, const struct regset *s, char *err,
		   size_t len);

#endif
