#include "arch/arm64/cpu.h"
#include "vmm/kvm.h"
#include "vmm/vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/ioctl.h>

#define REG_MPIDR_EL1	ARM64_SYS_REG(3, 0, 0, 0, 5)

static int vcpu_ioctl(struct vcpu *v, unsigned long req, void *arg)
{
	return ioctl(v->fd, req, arg) < 0 ? -errno : 0;
}

static int get_reg(struct vcpu *v, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };

	return vcpu_ioctl(v, KVM_GET_ONE_REG, &r);
}

static int set_reg(struct vcpu *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&val };

	return vcpu_ioctl(v, KVM_SET_ONE_REG, &r);
}

int cpu_init(const struct kvm *k, struct vcpu *v, int pmu, int sve)
{
	struct kvm_vcpu_init init = { 0 };

	if (ioctl(k->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		return -errno;
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (v->id != 0)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (pmu)
		init.features[0] |= 1u << KVM_ARM_VCPU_PMU_V3;
	if (sve)
		init.features[0] |= 1u << KVM_ARM_VCPU_SVE;
	return vcpu_ioctl(v, KVM_ARM_VCPU_INIT, &init);
}

int cpu_read_mpidr(struct vcpu *v, uint64_t *mpidr)
{
	return get_reg(v, REG_MPIDR_EL1, mpidr);
}

int cpu_set_entry(struct vcpu *v, uint64_t entry, uint64_t dtb)
{
	int rc = set_reg(v, CPU_CORE_REG(regs.pc), entry);

	if (!rc)
		rc = set_reg(v, CPU_CORE_REG(regs.regs[0]), dtb);
	for (int i = 1; i <= 3 && !rc; i++)
		rc = set_reg(v, CPU_CORE_REG(regs.regs[i]), 0);
	return rc;
}

static int pmu_attr(struct vcpu *v, uint64_t attr, void *val)
{
	struct kvm_device_attr a = {
		.group = KVM_ARM_VCPU_PMU_V3_CTRL, .attr = attr, .addr = (uintptr_t)val,
	};

	return vcpu_ioctl(v, KVM_SET_DEVICE_ATTR, &a);
}

int cpu_init_pmu(struct vcpu *v, uint32_t ppi)
{
	int irq = (int)ppi;
	int rc = pmu_attr(v, KVM_ARM_VCPU_PMU_V3_IRQ, &irq);

	return rc ? rc : pmu_attr(v, KVM_ARM_VCPU_PMU_V3_INIT, NULL);
}

uint64_t cpu_host_counter(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

uint64_t cpu_counter_freq(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

int cpu_counter_offset(struct vcpu *v, uint64_t *offset)
{
	uint64_t guest;
	int rc = get_reg(v, KVM_REG_ARM_TIMER_CNT, &guest);

	*offset = cpu_host_counter() - guest;
	return rc;
}

int cpu_describe(struct vcpu *v, char *buf, unsigned len)
{
	uint64_t pc, pstate;
	int rc = get_reg(v, CPU_CORE_REG(regs.pc), &pc);

	if (!rc)
		rc = get_reg(v, CPU_CORE_REG(regs.pstate), &pstate);
	if (!rc)
		snprintf(buf, len, "pc=0x%016llx pstate=0x%08llx (EL%llu)",
			 (unsigned long long)pc, (unsigned long long)pstate,
			 (unsigned long long)(pstate >> 2) & 3);
	return rc;
}
