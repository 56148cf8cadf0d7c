/* The guest hypercalls itsy answers itself: KVM forwards them to userspace
 * (KVM_EXIT_HYPERCALL) through the VM's SMCCC filter (KVM_ARM_VM_SMCCC_CTRL,
 * Linux 6.4). Today the two target-implementation calls
 * (arch/arm64/impl.h), for a guest whose KVM_REG_ARM_VENDOR_HYP_BMAP_2
 * offers them. Their answers are part of the guest's state: the list
 * travels in its snapshots and migrations (set COMPAT_IMPL). */
#ifndef ITSY_ARM64_HYPERCALL_H
#define ITSY_ARM64_HYPERCALL_H

struct vm;
struct regset;
struct regset_list;

/* If vCPU 0 offers the target-implementation calls, answer them from now
 * on with @list (a COMPAT_IMPL set; NULL or empty: the implementation the
 * VM shows). Before any vCPU ran (KVM takes a filter only then), after
 * the vCPU registers were set (a profile, a restore). 0 (also when not
 * offered), -EINVAL for a bad list, -errno from KVM. */
int hypercall_serve(struct vm *vm, const struct regset *list);

/* The list being answered, as a COMPAT_IMPL set in @out, if any. -ENOMEM. */
int hypercall_save(struct vm *vm, struct regset_list *out);

#endif
