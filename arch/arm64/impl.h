/* Target implementations: the CPUs a guest is told it may run on, through
 * KVM's vendor hypercalls DISCOVER_IMPL_VER and DISCOVER_IMPL_CPUS
 * (Documentation/virt/kvm/arm/hypercalls.rst, Linux 6.15). A guest kernel
 * that asks applies the errata workarounds of every implementation in the
 * list, whatever MIDR_EL1 it sees: a pool guest is then safe on each of
 * the pool's CPUs. KVM offers the calls (the bits of
 * KVM_REG_ARM_VENDOR_HYP_BMAP_2) but does not answer them; the VMM does,
 * through the SMCCC filter (board.c forwards them; this module answers).
 *
 * The list, in a pool profile and in a guest's saved state, is the set
 * COMPAT_IMPL (arch/arm64/compat.h): key i (0..n-1, n <= COMPAT_IMPL_MAX)
 * holds MIDR_EL1, REVIDR_EL1 and AIDR_EL1 of implementation i as three
 * little-endian u64. Portable. */
#ifndef ITSY_ARM64_IMPL_H
#define ITSY_ARM64_IMPL_H

#include <stdint.h>

struct regset;

/* SMCCC function ids: fast calls, SMC64, owner "vendor hypervisor". */
#define IMPL_FUNC_VER	0xc6000040u
#define IMPL_FUNC_CPUS	0xc6000041u

/* KVM_REG_ARM_VENDOR_HYP_BMAP_2's bits for the two calls. */
#define IMPL_BMAP_BITS	3u

struct impl_cpu {
	uint64_t midr, revidr, aidr;
};

/* The answer (x0..x3 into @ret) to SMCCC call @func with first argument
 * @arg1, for the list @l of @n: version 1.0 and the count; an entry, or
 * INVALID_PARAMETER for an index past the list. -ENOENT: @func is
 * neither call. */
int impl_answer(const struct impl_cpu *l, unsigned n, uint32_t func, uint64_t arg1,
		uint64_t ret[4]);

/* @s (a COMPAT_IMPL set) into @l (room for COMPAT_IMPL_MAX): the count, or
 * -EINVAL when its keys are not 0..n-1, a value is not 24 bytes, or it
 * holds more than COMPAT_IMPL_MAX. */
int impl_from_set(const struct regset *s, struct impl_cpu *l);

/* Append @c to the list @l of *@n unless it is there already: 0, or
 * -ENOSPC past COMPAT_IMPL_MAX. */
int impl_add(struct impl_cpu *l, unsigned *n, const struct impl_cpu *c);

/* The list @l of @n into the empty set @s. -ENOMEM. */
int impl_to_set(const struct impl_cpu *l, unsigned n, struct regset *s);

#endif
