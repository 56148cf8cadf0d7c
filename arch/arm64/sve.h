/* SVE for guests (Documentation/virt/kvm/api.rst: KVM_ARM_VCPU_SVE,
 * KVM_REG_ARM64_SVE_VLS, KVM_ARM_VCPU_FINALIZE).
 *
 * Ordering, per vCPU: KVM_ARM_VCPU_INIT asks for SVE; the vector lengths
 * are written (the VLS pseudo-register) only before KVM_ARM_VCPU_FINALIZE;
 * finalizing comes before the vCPU runs and before KVM lists or reads any
 * of its registers. So a restored guest's lengths must be known when its
 * vCPUs are made: they travel in the "config" section (CFG_SVE_VL).
 *
 * KVM takes no arbitrary set of lengths, only the host's lengths up to a
 * longest one. A guest's SVE is therefore named by its longest vector
 * length, in bits; two hosts can take the same guest when their lengths
 * up to that one are the same (compat.c compares the VLS register). */
#ifndef ITSY_ARM64_SVE_H
#define ITSY_ARM64_SVE_H

#include <stddef.h>
#include <stdint.h>

struct kvm;
struct vcpu;

/* Whether this host's KVM gives vCPUs SVE (KVM_CAP_ARM_SVE). */
int sve_supported(const struct kvm *k);

/* After KVM_ARM_VCPU_INIT with SVE: keep the host's lengths up to
 * *@vl bits (CONFIG_SVE_HOST: all of them), finalize, and set *@vl to
 * the longest kept. -EINVAL with a sentence in @err naming the lengths
 * when the host has no length of *@vl bits. */
int sve_finalize(struct vcpu *v, int *vl, char *err, size_t len);

#endif
