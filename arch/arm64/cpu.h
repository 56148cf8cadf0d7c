/* arm64 vCPU set-up through KVM: features, boot registers, PMU. */
#ifndef ITSY_ARM64_CPU_H
#define ITSY_ARM64_CPU_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

/* The ONE_REG id of a 64-bit member of struct kvm_regs, e.g. regs.pc or
 * regs.regs[n]. */
#define CPU_CORE_REG(name) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			    (offsetof(struct kvm_regs, name) / sizeof(uint32_t)))

struct kvm;
struct vcpu;

/* KVM_ARM_VCPU_INIT with PSCI 0.2+, and PMUv3 and SVE if asked (SVE is
 * then finalized by sve_finalize, arch/arm64/sve.h); every vCPU but the
 * boot one starts powered off (the guest starts it with PSCI CPU_ON,
 * handled by KVM). */
int cpu_init(const struct kvm *k, struct vcpu *v, int pmu, int sve);

int cpu_read_mpidr(struct vcpu *v, uint64_t *mpidr);

/* Boot protocol: PC = @entry, x0 = @dtb, x1..x3 = 0. */
int cpu_set_entry(struct vcpu *v, uint64_t entry, uint64_t dtb);

/* Give the vCPU its PMUv3 overflow PPI and initialise it. Only after the
 * vGIC is initialised: KVM wires the PMU interrupt into it. */
int cpu_init_pmu(struct vcpu *v, uint32_t ppi);

/* The host's virtual counter and its frequency, read at EL0. */
uint64_t cpu_host_counter(void);
uint64_t cpu_counter_freq(void);

/* Host counter minus this vCPU's guest counter (KVM's CNTVOFF). */
int cpu_counter_offset(struct vcpu *v, uint64_t *offset);

/* "pc=... pstate=..." for diagnostics; the vCPU must be paused. */
int cpu_describe(struct vcpu *v, char *buf, unsigned len);

#endif
