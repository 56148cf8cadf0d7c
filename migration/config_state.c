#include "migration/config_state.h"
#include "arch/arm64/memmap.h"
#include "devices/kind.h"
#include "vmm/config.h"
#include "vmm/log.h"
#include "vmm/regset.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Bounds of version 1's per-kind ranges. */
#define V1_MAX_DISKS	8
#define V1_MAX_NICS	4

/* A sentence in @err, and -EINVAL. */
#define fail(err, len, ...)	log_err(err, len, -EINVAL, __VA_ARGS__)

static int put_str(struct regset *s, uint64_t key, const char *v)
{
	return regset_put(s, key, v, (uint32_t)strlen(v));
}

int config_state_save(const struct run_config *c, struct regset *s)
{
	int rc = regset_put_uint(s, CFG_CPUS, c->cpus, 4);

	rc = rc ? rc : regset_put_uint(s, CFG_MEM, c->mem, 8);
	rc = rc ? rc : regset_put_uint(s, CFG_PMU, c->pmu, 1);
	rc = rc ? rc : regset_put_uint(s, CFG_WATCHDOG, c->watchdog, 1);
	rc = rc ? rc : regset_put_uint(s, CFG_CONSOLE, c->console, 1);
	/* Only with SVE: a guest without writes what itsy wrote before SVE. */
	if (!rc && c->sve_vl > 0)
		rc = regset_put_uint(s, CFG_SVE_VL, (uint64_t)c->sve_vl, 4);
	rc = rc ? rc : regset_put_uint(s, CFG_NDEVICES, c->ndevices, 4);
	for (unsigned i = 0; !rc && i < c->ndevices; i++) {
		rc = put_str(s, CFG_DEV_KIND + i, c->devices[i].kind);
		rc = rc ? rc : put_str(s, CFG_DEV_ARG + i, c->devices[i].arg);
	}
	return rc;
}

static uint64_t get_uint(const struct regset *s, uint64_t key)
{
	return regset_uint_or0(s, key);
}

/* The string under @key into @out (at most @size - 1 bytes): 0 or -EINVAL. */
static int get_str(const struct regset *s, uint64_t key, char *out, size_t size)
{
	uint32_t n;
	const uint8_t *p = regset_get(s, key, &n);

	if (!p || n >= size || memchr(p, 0, n))
		return -EINVAL;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

/* A device from its kind's name and value, as the saved state says. */
static int add(struct run_config *c, const char *kind, const char *arg, char *err, size_t len)
{
	const struct device_kind *k = device_kind_named(kind);

	if (!k)
		return fail(err, len, "section 'config': unknown device kind '%s'", kind);
	if (config_add_device(c, k->name, arg))
		return fail(err, len, "section 'config': too many devices, or a value too long");
	return 0;
}

static int load_v2(const struct regset *s, struct run_config *c, char *err, size_t len)
{
	uint64_t n = get_uint(s, CFG_NDEVICES);
	char kind[32], arg[CONFIG_ARG_MAX + 1];
	int rc = 0;

	if (n > CONFIG_MAX_DEVICES)
		return fail(err, len, "section 'config': %llu devices (at most %d)",
			    (unsigned long long)n, CONFIG_MAX_DEVICES);
	for (unsigned i = 0; !rc && i < n; i++) {
		if (get_str(s, CFG_DEV_KIND + i, kind, sizeof(kind)) ||
		    get_str(s, CFG_DEV_ARG + i, arg, sizeof(arg)))
			return fail(err, len, "section 'config': device %u is incomplete", i);
		rc = add(c, kind, arg, err, len);
	}
	return rc;
}

/* Version 1's disk and NIC entries as the options that made them. */
static int load_v1_disks(const struct regset *s, struct run_config *c, char *err, size_t len)
{
	char path[CONFIG_ARG_MAX - 2], arg[CONFIG_ARG_MAX + 1];
	uint64_t n = get_uint(s, CFG_NDISKS);
	int rc = 0;

	if (n > V1_MAX_DISKS)
		return fail(err, len, "section 'config': values out of range");
	for (unsigned i = 0; !rc && i < n; i++) {
		if (get_str(s, CFG_DISK_PATH + i, path, sizeof(path)))
			return fail(err, len, "section 'config': disk %u has no path", i);
		snprintf(arg, sizeof(arg), "%s%s", path, get_uint(s, CFG_DISK_RO + i) ? ",ro" : "");
		rc = add(c, "virtio-blk", arg, err, len);
	}
	return rc;
}

static int load_v1_nics(const struct regset *s, struct run_config *c, char *err, size_t len)
{
	char tap[16], arg[64];
	uint64_t n = get_uint(s, CFG_NNICS);
	const uint8_t *m;
	uint32_t mlen;
	int rc = 0;

	if (n > V1_MAX_NICS)
		return fail(err, len, "section 'config': values out of range");
	for (unsigned i = 0; !rc && i < n; i++) {
		if (get_str(s, CFG_NIC_TAP + i, tap, sizeof(tap)))
			return fail(err, len, "section 'config': NIC %u has no tap", i);
		m = regset_get(s, CFG_NIC_MAC + i, &mlen);
		if (get_uint(s, CFG_NIC_HAS_MAC + i) && m && mlen == 6)
			snprintf(arg, sizeof(arg), "tap=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x", tap,
				 m[0], m[1], m[2], m[3], m[4], m[5]);
		else
			snprintf(arg, sizeof(arg), "tap=%s", tap);
		rc = add(c, "virtio-net", arg, err, len);
	}
	return rc;
}

static int load_v1(const struct regset *s, struct run_config *c, char *err, size_t len)
{
	uint64_t cid = get_uint(s, CFG_VSOCK);
	char arg[32];
	int rc = load_v1_disks(s, c, err, len);

	rc = rc ? rc : load_v1_nics(s, c, err, len);
	if (!rc && cid) {
		snprintf(arg, sizeof(arg), "cid=%llu", (unsigned long long)cid);
		rc = add(c, "virtio-vsock", arg, err, len);
	}
	if (!rc && get_uint(s, CFG_RNG))
		rc = add(c, "virtio-rng", "", err, len);
	if (!rc && c->console == CONSOLE_VIRTIO)
		rc = add(c, "virtio-console", "", err, len);
	return rc;
}

int config_state_load(const struct regset *s, unsigned version, struct run_config *c,
		      char *err, size_t len)
{
	uint64_t sve;

	memset(c, 0, sizeof(*c));
	c->cpus = (unsigned)get_uint(s, CFG_CPUS);
	c->mem = get_uint(s, CFG_MEM);
	c->pmu = !!get_uint(s, CFG_PMU);
	c->watchdog = !!get_uint(s, CFG_WATCHDOG);
	c->console = get_uint(s, CFG_CONSOLE) == CONSOLE_VIRTIO ? CONSOLE_VIRTIO : CONSOLE_SERIAL;
	sve = get_uint(s, CFG_SVE_VL);
	c->sve_vl = sve ? (int)sve : CONFIG_SVE_OFF;	/* absent: a guest without SVE */
	if (!c->cpus || c->cpus > MEMMAP_MAX_CPUS || !c->mem || sve % 128 || sve > CONFIG_SVE_VL_MAX)
		return fail(err, len, "section 'config': values out of range");
	if (version == 1)
		return load_v1(s, c, err, len);
	if (version == 2)
		return load_v2(s, c, err, len);
	return fail(err, len, "section 'config': version %u (this itsy reads 1 and 2)", version);
}
