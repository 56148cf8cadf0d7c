/* SVE for guests (arch/arm64/sve.h). */
#include "arch/arm64/sve.h"
#include "arch/arm64/idreg.h"
#include "vmm/config.h"
#include "vmm/kvm.h"
#include "vmm/vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#define VQ_BITS		128	/* a vector quadword */

int sve_supported(const struct kvm *k)
{
	return kvm_check(k, 0, KVM_CAP_ARM_SVE) > 0;
}

static int vls_access(struct vcpu *v, unsigned long req, uint64_t *vls)
{
	struct kvm_one_reg r = { .id = KVM_REG_ARM64_SVE_VLS, .addr = (uintptr_t)vls };

	return ioctl(v->fd, req, &r) ? -errno : 0;
}

/* @vls without the lengths above @max_vq; the longest left (0: none). */
static unsigned cut(uint64_t *vls, unsigned max_vq)
{
	unsigned top = 0;

	for (unsigned vq = 1; vq <= KVM_ARM64_SVE_VLS_WORDS * 64; vq++) {
		uint64_t bit = 1ull << ((vq - 1) % 64);

		if (vq > max_vq)
			vls[(vq - 1) / 64] &= ~bit;
		else if (vls[(vq - 1) / 64] & bit)
			top = vq;
	}
	return top;
}

int sve_finalize(struct vcpu *v, int *vl, char *err, size_t len)
{
	uint64_t vls[KVM_ARM64_SVE_VLS_WORDS], all[KVM_ARM64_SVE_VLS_WORDS];
	int what = KVM_ARM_VCPU_SVE, rc = vls_access(v, KVM_GET_ONE_REG, vls);
	unsigned top;
	char have[200];

	memcpy(all, vls, sizeof(vls));
	top = rc ? 0 : cut(vls, *vl > 0 ? (unsigned)*vl / VQ_BITS : ~0u);
	if (!rc && (!top || (*vl > 0 && top * VQ_BITS != (unsigned)*vl))) {
		snprintf(err, len, "SVE: the guest needs vector lengths up to %d bits; this host has %s",
			 *vl, idreg_sve_vls_text(all, sizeof(all), have, sizeof(have)));
		return -EINVAL;
	}
	/* Why before finalizing: KVM takes the lengths only until then. */
	rc = rc ? rc : vls_access(v, KVM_SET_ONE_REG, vls);
	rc = rc ? rc : (ioctl(v->fd, KVM_ARM_VCPU_FINALIZE, &what) ? -errno : 0);
	if (rc)
		snprintf(err, len, "SVE: setting the vector lengths: %s", strerror(-rc));
	else
		*vl = (int)(top * VQ_BITS);
	return rc;
}
