#include "arch/arm64/impl.h"
#include "arch/arm64/compat.h"
#include "vmm/le.h"
#include "vmm/regset.h"

#include <errno.h>
#include <string.h>

#define IMPL_VALUE_LEN	24

/* SMCCC return codes (the SMC Calling Convention). */
#define SMCCC_SUCCESS		0ull
#define SMCCC_INVALID_PARAMETER	((uint64_t)-3)

/* Version 1.0: major in bits 31..16, minor in 15..0. */
#define IMPL_VERSION	0x10000ull

int impl_answer(const struct impl_cpu *l, unsigned n, uint32_t func, uint64_t arg1,
		uint64_t ret[4])
{
	memset(ret, 0, 4 * sizeof(ret[0]));
	if (func == IMPL_FUNC_VER) {
		ret[1] = IMPL_VERSION;
		ret[2] = n;
		return 0;
	}
	if (func != IMPL_FUNC_CPUS)
		return -ENOENT;
	if (arg1 >= n) {
		ret[0] = SMCCC_INVALID_PARAMETER;
		return 0;
	}
	ret[1] = l[arg1].midr;
	ret[2] = l[arg1].revidr;
	ret[3] = l[arg1].aidr;
	return 0;
}

int impl_from_set(const struct regset *s, struct impl_cpu *l)
{
	unsigned n = 0;
	uint32_t len;
	const uint8_t *v;

	while (s && (v = regset_get(s, n, &len))) {
		if (len != IMPL_VALUE_LEN || n == COMPAT_IMPL_MAX)
			return -EINVAL;
		l[n].midr = le_get(v, 8);
		l[n].revidr = le_get(v + 8, 8);
		l[n].aidr = le_get(v + 16, 8);
		n++;
	}
	/* Every key was one of 0..n-1. */
	return s && s->count != n ? -EINVAL : (int)n;
}

int impl_add(struct impl_cpu *l, unsigned *n, const struct impl_cpu *c)
{
	for (unsigned i = 0; i < *n; i++)
		if (!memcmp(&l[i], c, sizeof(*c)))
			return 0;
	if (*n == COMPAT_IMPL_MAX)
		return -ENOSPC;
	l[(*n)++] = *c;
	return 0;
}

int impl_to_set(const struct impl_cpu *l, unsigned n, struct regset *s)
{
	uint8_t v[IMPL_VALUE_LEN];
	int rc = 0;

	for (unsigned i = 0; !rc && i < n; i++) {
		le_put(v, l[i].midr, 8);
		le_put(v + 8, l[i].revidr, 8);
		le_put(v + 16, l[i].aidr, 8);
		rc = regset_put(s, i, v, sizeof(v));
	}
	return rc;
}
