/* Thin, errno-returning wrappers over the /dev/kvm, VM and device ioctls.
 * Every function returns 0 (or a non-negative fd/value) or -errno. */
#ifndef ITSY_KVM_H
#define ITSY_KVM_H

#include <stdint.h>

struct kvm {
	int sys_fd;		/* /dev/kvm */
	int vm_fd;
	int run_size;		/* bytes to mmap for each vCPU's struct kvm_run */
};

int kvm_open(struct kvm *k);
int kvm_create_vm(struct kvm *k, unsigned long type);
/* KVM_CHECK_EXTENSION on /dev/kvm (@vm 0) or on the VM fd (@vm 1). */
int kvm_check(const struct kvm *k, int vm, long cap);
int kvm_set_memory(const struct kvm *k, uint32_t slot, uint64_t gpa,
		   uint64_t size, void *hva);
/* The same with KVM_MEM_* @flags (e.g. dirty logging) for an existing slot. */
int kvm_set_memory_flags(const struct kvm *k, uint32_t slot, uint64_t gpa,
			 uint64_t size, void *hva, uint32_t flags);
/* KVM_ENABLE_CAP on the VM with one argument. */
int kvm_enable_cap(const struct kvm *k, uint32_t cap, uint64_t arg);
/* Any other VM ioctl taking a pointer. */
int kvm_vm_ioctl(const struct kvm *k, unsigned long req, void *arg);
/* KVM_IRQ_LINE with an arch-encoded @irq. */
int kvm_irq_line(const struct kvm *k, uint32_t irq, int level);

/* In-kernel devices (vGIC, ITS) and their attributes. */
int kvm_create_device(const struct kvm *k, uint32_t type);
int kvm_device_set(int fd, uint32_t group, uint64_t attr, const void *val);
int kvm_device_get(int fd, uint32_t group, uint64_t attr, void *val);

#endif
