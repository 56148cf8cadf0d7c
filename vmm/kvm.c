#include "vmm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ioctl() result as 0/value or -errno. */
static int xioctl(int fd, unsigned long req, unsigned long arg)
{
	int rc = ioctl(fd, req, arg);

	return rc < 0 ? -errno : rc;
}

int kvm_open(struct kvm *k)
{
	int rc;

	k->vm_fd = -1;
	k->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->sys_fd < 0)
		return -errno;
	rc = xioctl(k->sys_fd, KVM_GET_API_VERSION, 0);
	if (rc != KVM_API_VERSION)
		return rc < 0 ? rc : -ENOTSUP;
	k->run_size = xioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	return k->run_size < 0 ? k->run_size : 0;
}

int kvm_create_vm(struct kvm *k, unsigned long type)
{
	int fd = xioctl(k->sys_fd, KVM_CREATE_VM, type);

	if (fd >= 0)
		k->vm_fd = fd;
	return fd < 0 ? fd : 0;
}

int kvm_check(const struct kvm *k, int vm, long cap)
{
	return xioctl(vm ? k->vm_fd : k->sys_fd, KVM_CHECK_EXTENSION, cap);
}

int kvm_set_memory_flags(const struct kvm *k, uint32_t slot, uint64_t gpa,
			 uint64_t size, void *hva, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return xioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, (unsigned long)&r);
}

int kvm_set_memory(const struct kvm *k, uint32_t slot, uint64_t gpa,
		   uint64_t size, void *hva)
{
	return kvm_set_memory_flags(k, slot, gpa, size, hva, 0);
}

int kvm_enable_cap(const struct kvm *k, uint32_t cap, uint64_t arg)
{
	struct kvm_enable_cap c = { .cap = cap, .args = { arg } };

	return xioctl(k->vm_fd, KVM_ENABLE_CAP, (unsigned long)&c);
}

int kvm_vm_ioctl(const struct kvm *k, unsigned long req, void *arg)
{
	return xioctl(k->vm_fd, req, (unsigned long)arg);
}

int kvm_irq_line(const struct kvm *k, uint32_t irq, int level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	return xioctl(k->vm_fd, KVM_IRQ_LINE, (unsigned long)&l);
}

int kvm_create_device(const struct kvm *k, uint32_t type)
{
	struct kvm_create_device d = { .type = type };
	int rc = xioctl(k->vm_fd, KVM_CREATE_DEVICE, (unsigned long)&d);

	return rc < 0 ? rc : (int)d.fd;
}

int kvm_device_set(int fd, uint32_t group, uint64_t attr, const void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };

	return xioctl(fd, KVM_SET_DEVICE_ATTR, (unsigned long)&a);
}

int kvm_device_get(int fd, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };

	return xioctl(fd, KVM_GET_DEVICE_ATTR, (unsigned long)&a);
}
