#include "arch/arm64/hypercall.h"
#include "arch/arm64/board.h"
#include "arch/arm64/compat.h"
#include "arch/arm64/cpu.h"
#include "arch/arm64/idreg.h"
#include "arch/arm64/impl.h"
#include "arch/arm64/vcpu_state.h"
#include "vmm/log.h"
#include "vmm/regset.h"
#include "vmm/vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <sys/ioctl.h>


static struct arm64_vm *arm(struct vm *vm)
{
	return vm->arch;
}

/* On the vCPU's thread: x1 is the argument, x0..x3 the answer. */
static int answer(struct vcpu *v)
{
	struct arm64_vm *a = arm(v->vm);
	uint64_t arg1 = 0, ret[4];
	int rc = vcpu_state_one_reg(v, KVM_GET_ONE_REG, CPU_CORE_REG(regs.regs[1]), &arg1);

	if (!rc)
		rc = impl_answer(a->impl, a->nimpl, (uint32_t)v->run->hypercall.nr, arg1, ret);
	for (unsigned i = 0; !rc && i < 4; i++)
		rc = vcpu_state_one_reg(v, KVM_SET_ONE_REG, CPU_CORE_REG(regs.regs[i]), &ret[i]);
	return rc;
}

/* KVM forwards these calls to us from now on. */
static int forward(struct vm *vm, uint32_t base, uint32_t n)
{
	struct kvm_smccc_filter f = {
		.base = base, .nr_functions = n, .action = KVM_SMCCC_FILTER_FWD_TO_USER,
	};
	struct kvm_device_attr attr = {
		.group = KVM_ARM_VM_SMCCC_CTRL, .attr = KVM_ARM_VM_SMCCC_FILTER,
		.addr = (uintptr_t)&f,
	};

	return ioctl(vm->kvm.vm_fd, KVM_SET_DEVICE_ATTR, &attr) ? -errno : 0;
}

/* The implementation the VM shows, as the one entry of the list. */
static int own_impl(struct vm *vm, struct impl_cpu *c)
{
	struct vcpu *v = &vm->vcpus[0];
	int rc = vcpu_state_one_reg(v, KVM_GET_ONE_REG, IDREG_MIDR_EL1, &c->midr);

	rc = rc ? rc : vcpu_state_one_reg(v, KVM_GET_ONE_REG, IDREG_REVIDR_EL1, &c->revidr);
	rc = rc ? rc : vcpu_state_one_reg(v, KVM_GET_ONE_REG, IDREG_AIDR_EL1, &c->aidr);
	return rc ? rc : 1;
}

int hypercall_serve(struct vm *vm, const struct regset *list)
{
	struct arm64_vm *a = arm(vm);
	uint64_t bmap = 0;
	int n, rc;

	if (vcpu_state_one_reg(&vm->vcpus[0], KVM_GET_ONE_REG, KVM_REG_ARM_VENDOR_HYP_BMAP_2, &bmap) ||
	    !(bmap & IMPL_BMAP_BITS))
		return 0;	/* not offered: KVM refuses the calls itself */
	n = list && list->count ? impl_from_set(list, a->impl) : own_impl(vm, a->impl);
	if (n <= 0)
		return n ? n : -EINVAL;
	rc = forward(vm, IMPL_FUNC_VER, IMPL_FUNC_CPUS - IMPL_FUNC_VER + 1);
	if (rc)
		return rc;
	a->nimpl = (unsigned)n;
	vm->hypercall = answer;
	return 0;
}

int hypercall_save(struct vm *vm, struct regset_list *out)
{
	struct arm64_vm *a = arm(vm);
	struct regset *s;

	if (!a->nimpl)
		return 0;
	s = regset_list_add(out, COMPAT_IMPL, 1);
	return s ? impl_to_set(a->impl, a->nimpl, s) : -ENOMEM;
}
