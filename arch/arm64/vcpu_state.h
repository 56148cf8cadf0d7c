/* A vCPU's architectural state through KVM: every register KVM lists for
 * it (KVM_GET_REG_LIST: core, system, timer, firmware pseudo-registers,
 * SVE and pointer-auth when present), keyed by KVM register id, plus its
 * mp_state. The vCPU must be paused. */
#ifndef ITSY_ARM64_VCPU_STATE_H
#define ITSY_ARM64_VCPU_STATE_H

#include <stddef.h>
#include <stdint.h>

struct vcpu;
struct regset;

/* Key of the PSCI power state (KVM_GET_MP_STATE) in a vCPU's set: not a
 * KVM register id (those have the architecture in their top bits). */
#define VCPU_KEY_MP_STATE	1ull

/* How the guest's counter moves across a save/restore. */
enum vcpu_time { VCPU_TIME_CATCH_UP, VCPU_TIME_FREEZE };

int vcpu_state_save(struct vcpu *v, struct regset *out);

/* KVM_GET_ONE_REG or KVM_SET_ONE_REG (@req) of register @id at @val. */
int vcpu_state_one_reg(struct vcpu *v, unsigned long req, uint64_t id, void *val);

/* Write the set back. With VCPU_TIME_CATCH_UP the virtual counter is moved
 * on by @elapsed_ticks (the time spent on disk). An ID register this host
 * will not set is accepted when the host's value has every feature of
 * @idregs' (what the guest saw at boot; the saved value if NULL). A
 * register this host lacks is skipped when compat_reg_droppable(). On
 * failure, -errno and a sentence in @err naming the register and both
 * values. */
int vcpu_state_restore(struct vcpu *v, const struct regset *in, const struct regset *idregs,
		       enum vcpu_time time, uint64_t elapsed_ticks, char *err, size_t errlen);

/* The ID registers of @v's set @in, into @out. */
int vcpu_state_idregs(const struct regset *in, struct regset *out);

#endif
