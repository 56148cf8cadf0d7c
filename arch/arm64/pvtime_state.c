/* PV stolen time's saved form (arch/arm64/pvtime_state.h). */
#include "arch/arm64/pvtime_state.h"
#include "vmm/le.h"
#include "vmm/regset.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define OFF_REV		0
#define OFF_ATTR	4
#define OFF_STOLEN	8

static const uint8_t *field(const uint8_t *region, unsigned cpu, unsigned off)
{
	return region + (size_t)cpu * PVTIME_STRIDE + off;
}

uint32_t pvtime_revision_of(const uint8_t *region, unsigned cpu)
{
	return (uint32_t)le_get(field(region, cpu, OFF_REV), 4);
}

/* Why one atomic load: KVM may update the field while a vCPU runs. */
uint64_t pvtime_stolen_of(const uint8_t *region, unsigned cpu)
{
	uint64_t v = __atomic_load_n((const uint64_t *)field(region, cpu, OFF_STOLEN),
				     __ATOMIC_RELAXED);

	return le_get((const uint8_t *)&v, 8);
}

int pvtime_state_save(const uint8_t *region, uint64_t base, unsigned ncpus, struct regset *s)
{
	int rc = regset_put_uint(s, PVT_BASE, base, 8);

	rc = rc ? rc : regset_put_uint(s, PVT_NCPUS, ncpus, 4);
	for (unsigned i = 0; !rc && i < ncpus; i++) {
		rc = regset_put_uint(s, PVT_REV + i, pvtime_revision_of(region, i), 4);
		rc = rc ? rc : regset_put_uint(s, PVT_ATTR + i, le_get(field(region, i, OFF_ATTR), 4), 4);
		rc = rc ? rc : regset_put_uint(s, PVT_STOLEN + i, pvtime_stolen_of(region, i), 8);
	}
	return rc;
}

/* The integer of exactly @n bytes under @key. */
static int get_exact(const struct regset *s, uint64_t key, uint32_t n, uint64_t *v)
{
	uint32_t len;

	return regset_get(s, key, &len) && len == n ? regset_get_uint(s, key, v) : -EINVAL;
}

#define REFUSE(err, len, fmt, ...) \
	(snprintf((err), (len), "section '%s': " fmt, PVTIME_SECTION, __VA_ARGS__), -EINVAL)

static int check(const struct regset *s, uint64_t base, unsigned ncpus, char *err, size_t len)
{
	uint64_t v;

	if (get_exact(s, PVT_BASE, 8, &v))
		return REFUSE(err, len, "%s", "the region's address is missing or not 8 bytes");
	if (v != base)
		return REFUSE(err, len, "the region is at 0x%llx, this itsy puts it at 0x%llx",
			      (unsigned long long)v, (unsigned long long)base);
	if (get_exact(s, PVT_NCPUS, 4, &v) || v != ncpus)
		return REFUSE(err, len, "it is not for %u vCPUs", ncpus);
	for (unsigned i = 0; i < ncpus; i++)
		if (get_exact(s, PVT_REV + i, 4, &v) || get_exact(s, PVT_ATTR + i, 4, &v) ||
		    get_exact(s, PVT_STOLEN + i, 8, &v))
			return REFUSE(err, len, "vCPU %u's fields are missing or not of their sizes", i);
	return 0;
}

int pvtime_state_load(const struct regset *s, uint64_t base, unsigned ncpus, uint8_t *region,
		      char *err, size_t len)
{
	int rc = check(s, base, ncpus, err, len);

	for (unsigned i = 0; !rc && i < ncpus; i++) {
		uint8_t *p = region + (size_t)i * PVTIME_STRIDE;

		memset(p, 0, PVTIME_STRIDE);
		le_put(p + OFF_REV, regset_uint_or0(s, PVT_REV + i), 4);
		le_put(p + OFF_ATTR, regset_uint_or0(s, PVT_ATTR + i), 4);
		le_put(p + OFF_STOLEN, regset_uint_or0(s, PVT_STOLEN + i), 8);
	}
	return rc;
}
