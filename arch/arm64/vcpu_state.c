#include "arch/arm64/vcpu_state.h"
#include "arch/arm64/compat.h"
#include "vmm/log.h"
#include "vmm/regset.h"
#include "vmm/vcpu.h"

#include <endian.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

static uint32_t reg_size(uint64_t id)
{
	return 1u << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

static struct kvm_reg_list *reg_list(struct vcpu *v)
{
	struct kvm_reg_list probe = { .n = 0 }, *l;

	/* The first call fails with E2BIG and says how many there are. */
	if (ioctl(v->fd, KVM_GET_REG_LIST, &probe) == 0 || errno != E2BIG)
		return NULL;
	l = malloc(sizeof(*l) + probe.n * sizeof(l->reg[0]));
	if (!l)
		return NULL;
	l->n = probe.n;
	if (ioctl(v->fd, KVM_GET_REG_LIST, l)) {
		free(l);
		return NULL;
	}
	return l;
}

int vcpu_state_one_reg(struct vcpu *v, unsigned long req, uint64_t id, void *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };

	return ioctl(v->fd, req, &r) ? -errno : 0;
}

int vcpu_state_save(struct vcpu *v, struct regset *out)
{
	struct kvm_reg_list *l = reg_list(v);
	struct kvm_mp_state mp;
	uint8_t val[REGSET_MAX_VALUE];
	int rc = l ? 0 : -EIO;

	for (uint64_t i = 0; l && !rc && i < l->n; i++) {
		if (reg_size(l->reg[i]) > sizeof(val))
			rc = -E2BIG;
		if (!rc)
			rc = vcpu_state_one_reg(v, KVM_GET_ONE_REG, l->reg[i], val);
		if (!rc)
			rc = regset_put(out, l->reg[i], val, reg_size(l->reg[i]));
	}
	free(l);
	if (!rc)
		rc = ioctl(v->fd, KVM_GET_MP_STATE, &mp) ? -errno : 0;
	return rc ? rc : regset_put_uint(out, VCPU_KEY_MP_STATE, mp.mp_state, 4);
}

static void describe(char *err, size_t len, struct vcpu *v, uint64_t id,
		     const uint8_t *want, uint32_t size, int rc)
{
	uint64_t saved = 0, here = 0;
	char name[64];

	memcpy(&saved, want, size < 8 ? size : 8);
	vcpu_state_one_reg(v, KVM_GET_ONE_REG, id, &here);	/* best effort, for the message */
	snprintf(err, len, "vCPU %u: register %s: saved value 0x%llx, this host "
		 "has 0x%llx and refused the saved one (%s)", v->id,
		 vcpu_reg_name(id, name, sizeof(name)), (unsigned long long)saved,
		 (unsigned long long)here, strerror(-rc));
}

int vcpu_state_idregs(const struct regset *in, struct regset *out)
{
	size_t pos = 0;
	uint64_t key;
	const uint8_t *val;
	uint32_t n;
	int rc = 0;

	while (!rc && regset_next(in, &pos, &key, &val, &n))
		if (vcpu_reg_is_id(key))
			rc = regset_put(out, key, val, n);
	return rc;
}

/* A newer host may refuse to hide a feature the older one did not show
 * (the field is not writable). A guest that already booted does not look
 * again, so a host value that only adds features is accepted; a host that
 * lacks one the guest saw is not. */
static int id_reg_acceptable(struct vcpu *v, uint64_t id, const uint8_t *val,
			     const struct regset *idregs)
{
	uint64_t saw, here = 0;

	memcpy(&saw, val, 8);
	saw = le64toh(saw);
	if (idregs && regset_has(idregs, id))
		saw = regset_uint_or0(idregs, id);
	if (!vcpu_reg_is_id(id) || vcpu_state_one_reg(v, KVM_GET_ONE_REG, id, &here) ||
	    !vcpu_id_fields_superset(here, saw))
		return 0;
	if (v->id == 0)
		log_msg("ID register 0x%016llx: this host adds features the guest did not see "
			"(0x%llx, saw 0x%llx at boot); the guest keeps to what it saw",
			(unsigned long long)id, (unsigned long long)here, (unsigned long long)saw);
	return 1;
}

static int put_reg(struct vcpu *v, uint64_t id, const uint8_t *val, uint32_t len,
		   const struct regset *idregs, const struct regset *set, char *err, size_t errlen)
{
	uint8_t cur[REGSET_MAX_VALUE];
	int rc;

	if (len != reg_size(id)) {
		snprintf(err, errlen, "vCPU %u: register 0x%016llx has %u bytes saved, %u here",
			 v->id, (unsigned long long)id, len, reg_size(id));
		return -EINVAL;
	}
	/* Write first, read only on refusal: one ioctl per register on the
	 * common path (restore time is migration downtime). Read-only
	 * registers (IDs on older kernels) take their own value, and refuse
	 * another one that may still be acceptable. */
	rc = vcpu_state_one_reg(v, KVM_SET_ONE_REG, id, (void *)val);
	if (!rc)
		return 0;
	if (rc == -ENOENT && compat_reg_droppable(id, val, len, idregs, set))
		return 0;	/* this host has no such register, and nothing is lost */
	if (vcpu_state_one_reg(v, KVM_GET_ONE_REG, id, cur) == 0 && !memcmp(cur, val, len))
		return 0;
	if (len == 8 && id_reg_acceptable(v, id, val, idregs))
		return 0;
	describe(err, errlen, v, id, val, len, rc);
	return rc;
}

int vcpu_state_restore(struct vcpu *v, const struct regset *in, const struct regset *idregs,
		       enum vcpu_time time, uint64_t elapsed_ticks, char *err, size_t errlen)
{
	size_t pos = 0;
	uint64_t key, mp;
	const uint8_t *val;
	uint32_t len;
	int rc = 0;

	while (!rc && regset_next(in, &pos, &key, &val, &len)) {
		uint64_t cnt;

		if (key == VCPU_KEY_MP_STATE)
			continue;
		if (key != KVM_REG_ARM_TIMER_CNT || time == VCPU_TIME_FREEZE || len != 8) {
			rc = put_reg(v, key, val, len, idregs, in, err, errlen);
			continue;
		}
		/* The guest's clock catches up with the time it spent saved. */
		memcpy(&cnt, val, 8);
		cnt = htole64(le64toh(cnt) + elapsed_ticks);
		rc = put_reg(v, key, (uint8_t *)&cnt, 8, idregs, in, err, errlen);
	}
	if (!rc && !regset_get_uint(in, VCPU_KEY_MP_STATE, &mp)) {
		struct kvm_mp_state st = { .mp_state = (uint32_t)mp };

		rc = ioctl(v->fd, KVM_SET_MP_STATE, &st) ? -errno : 0;
		if (rc)
			snprintf(err, errlen, "vCPU %u: mp_state %llu: %s", v->id,
				 (unsigned long long)mp, strerror(-rc));
	}
	return rc;
}
