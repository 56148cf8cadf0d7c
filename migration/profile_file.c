#include "migration/profile_file.h"
#include "arch/arm64/abi.h"
#include "arch/arm64/compat.h"
#include "vmm/le.h"
#include "vmm/log.h"
#include "vmm/regset.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long long ull;

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

#define fail	log_err

static struct regset *find_set(const struct regset_list *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i].set;
	return NULL;
}

/* ---- hex ---- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "0x" and 1 to 16 hex digits. */
static int parse_hex64(const char *s, uint64_t *v)
{
	size_t n;

	if (strncmp(s, "0x", 2))
		return -EINVAL;
	s += 2;
	n = strlen(s);
	if (!n || n > 16)
		return -EINVAL;
	*v = 0;
	for (; *s; s++) {
		if (hex_digit(*s) < 0)
			return -EINVAL;
		*v = *v << 4 | (uint64_t)hex_digit(*s);
	}
	return 0;
}

/* "bytes:" and two hex digits per byte, into @out (REGSET_MAX_VALUE). */
static int parse_bytes(const char *s, uint8_t *out, uint32_t *len)
{
	size_t n;

	if (strncmp(s, "bytes:", 6))
		return -EINVAL;
	s += 6;
	n = strlen(s);
	if (n % 2 || n / 2 > REGSET_MAX_VALUE)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = (uint32_t)(n / 2);
	return 0;
}

static uint64_t le_value(const uint8_t *val, uint32_t len)
{
	return le_get(val, len < 8 ? len : 8);
}

/* A register value as the format writes it: a new JSON string. */
static json_t *value_json(const uint8_t *val, uint32_t len)
{
	char *s;
	json_t *j;

	if (len == 8) {
		char hex[19];

		snprintf(hex, sizeof(hex), "0x%016llx", (ull)le_value(val, len));
		return json_string(hex);
	}
	s = malloc(6 + 2 * (size_t)len + 1);
	if (!s)
		return NULL;
	memcpy(s, "bytes:", 6);
	for (uint32_t i = 0; i < len; i++)
		snprintf(s + 6 + 2 * i, 3, "%02x", val[i]);
	s[6 + 2 * len] = 0;
	j = json_string(s);
	free(s);
	return j;
}

/* The C string of a JSON string without NUL bytes in it, or NULL. */
static const char *plain_string(const json_t *j)
{
	const char *s = json_string_value(j);

	return s && strlen(s) == json_string_length(j) ? s : NULL;
}

/* ---- to JSON ---- */

/* Register id -> value, for "vcpu" and "writable". */
static json_t *regs_json(const struct regset *s)
{
	json_t *o = json_object();
	size_t pos = 0;
	uint64_t key;
	const uint8_t *val;
	uint32_t len;
	char id[19];

	while (o && regset_next(s, &pos, &key, &val, &len)) {
		snprintf(id, sizeof(id), "0x%016llx", (ull)key);
		if (json_object_set_new(o, id, value_json(val, len))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

json_t *profile_to_json(const struct regset_list *p, char *err, size_t errlen)
{
	const struct regset *abi = find_set(p, "abi"), *vcpu = find_set(p, "vcpu.0");
	const struct regset *wr = find_set(p, COMPAT_WRITABLE);
	json_t *j = json_object(), *a;
	int bad;

	if (!abi || !vcpu) {
		json_decref(j);
		fail(err, errlen, 0, "the profile has no '%s' set", abi ? "vcpu.0" : "abi");
		return NULL;
	}
	err[0] = 0;
	a = abi_to_json(abi, ABI_JSON_STRICT, err, errlen);
	bad = !j || !a || json_object_set_new(j, "format", json_string(PROFILE_FILE_FORMAT)) ||
	      json_object_set_new(j, "version", json_integer(PROFILE_FILE_VERSION)) ||
	      json_object_set_new(j, "arch", json_string(PROFILE_FILE_ARCH)) ||
	      json_object_set(j, "abi", a) ||
	      json_object_set_new(j, "vcpu", regs_json(vcpu)) ||
	      (wr && json_object_set_new(j, "writable", regs_json(wr)));
	json_decref(a);	/* j holds it now, if all went well */
	if (!bad)
		return j;
	json_decref(j);
	if (!err[0])
		fail(err, errlen, 0, "out of memory");
	return NULL;
}

/* ---- from JSON ---- */

static int reg_from(const char *sec, const char *key, json_t *v, struct regset *s,
		    uint8_t *buf, char *err, size_t errlen)
{
	const char *str = plain_string(v);
	uint64_t id, x;
	uint32_t len = 8;

	if (parse_hex64(key, &id))
		return fail(err, errlen, -EINVAL, "%s: bad register id '%.40s'", sec, key);
	if (regset_has(s, id))
		return fail(err, errlen, -EINVAL, "%s: register 0x%016llx appears twice", sec,
			    (ull)id);
	if (str && !parse_hex64(str, &x))
		for (unsigned i = 0; i < 8; i++)
			buf[i] = (uint8_t)(x >> (8 * i));
	else if (!str || parse_bytes(str, buf, &len))
		return fail(err, errlen, -EINVAL, "%s[\"%.40s\"]: bad value '%.40s'", sec, key,
			    str ? str : "(not a string)");
	return regset_put(s, id, buf, len) ? fail(err, errlen, -ENOMEM, "out of memory") : 0;
}

static int regs_from(const char *sec, json_t *o, struct regset *s, char *err, size_t errlen)
{
	uint8_t *buf = malloc(REGSET_MAX_VALUE);
	const char *key;
	json_t *v;
	int rc = buf ? 0 : fail(err, errlen, -ENOMEM, "out of memory");

	json_object_foreach(o, key, v) {
		rc = rc ? rc : reg_from(sec, key, v, s, buf, err, errlen);
		if (rc)
			break;
	}
	free(buf);
	return rc;
}

static int check_header(json_t *j, char *err, size_t errlen)
{
	const char *format = plain_string(json_object_get(j, "format"));
	const char *arch = plain_string(json_object_get(j, "arch"));
	json_t *version = json_object_get(j, "version");

	if (!json_is_object(j))
		return fail(err, errlen, -EINVAL, "not a JSON object");
	if (!format || strcmp(format, PROFILE_FILE_FORMAT))
		return fail(err, errlen, -EINVAL, "format: '%.40s' is not '%s'",
			    format ? format : "(none)", PROFILE_FILE_FORMAT);
	if (!json_is_integer(version))
		return fail(err, errlen, -EINVAL, "version: not an integer");
	if (json_integer_value(version) != PROFILE_FILE_VERSION)
		return fail(err, errlen, -EINVAL, "version %lld is not supported (this itsy reads "
			    "version %d)", (long long)json_integer_value(version), PROFILE_FILE_VERSION);
	if (!arch || strcmp(arch, PROFILE_FILE_ARCH))
		return fail(err, errlen, -EINVAL, "arch: '%.40s' profiles are not for this itsy (%s)",
			    arch ? arch : "(none)", PROFILE_FILE_ARCH);
	return 0;
}

static int check_keys(json_t *j, char *err, size_t errlen)
{
	static const char *const known[] = { "format", "version", "arch", "abi", "vcpu", "writable" };
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(j, key, v) {
		for (i = 0; i < ARRAY_LEN(known) && strcmp(key, known[i]); i++)
			;
		if (i == ARRAY_LEN(known))
			return fail(err, errlen, -EINVAL, "unknown key '%.40s'", key);
		if (i >= 3 && !json_is_object(v))
			return fail(err, errlen, -EINVAL, "%s: not an object", key);
	}
	if (!json_object_get(j, "abi") || !json_object_get(j, "vcpu"))
		return fail(err, errlen, -EINVAL, "no '%s' object",
			    json_object_get(j, "abi") ? "vcpu" : "abi");
	return 0;
}

/* Add set @name to @p and fill it from @o, section @sec of the file. */
static int section_from(struct regset_list *p, const char *name, const char *sec, json_t *o,
			char *err, size_t errlen)
{
	struct regset *s = regset_list_add(p, name, 1);

	if (!s)
		return fail(err, errlen, -ENOMEM, "out of memory");
	if (!strcmp(sec, "abi"))
		return abi_from_json(o, s, ABI_JSON_STRICT, err, errlen);
	return regs_from(sec, o, s, err, errlen);
}

int profile_from_json(json_t *j, struct regset_list *p, char *err, size_t errlen)
{
	json_t *wr = json_object_get(j, "writable");
	int rc;

	if (p->n)
		return fail(err, errlen, -EINVAL, "the list for the profile is not empty");
	rc = check_header(j, err, errlen);
	rc = rc ? rc : check_keys(j, err, errlen);
	rc = rc ? rc : section_from(p, "abi", "abi", json_object_get(j, "abi"), err, errlen);
	rc = rc ? rc : section_from(p, "vcpu.0", "vcpu", json_object_get(j, "vcpu"), err, errlen);
	if (!rc && wr)
		rc = section_from(p, COMPAT_WRITABLE, "writable", wr, err, errlen);
	if (rc)
		regset_list_free(p);
	return rc;
}

/* ---- files ---- */

int profile_file_write(const struct regset_list *p, FILE *out, char *err, size_t errlen)
{
	json_t *j = profile_to_json(p, err, errlen);
	int rc;

	if (!j)
		return -EINVAL;
	errno = 0;
	rc = json_dumpf(j, out, JSON_INDENT(2));
	json_decref(j);
	if (rc || fputc('\n', out) == EOF || fflush(out)) {
		rc = errno ? -errno : -EIO;
		return fail(err, errlen, rc, "writing the profile: %s", strerror(-rc));
	}
	return 0;
}

int profile_file_read(const char *path, struct regset_list *p, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	json_error_t je;
	json_t *j;
	char why[256];
	int rc;

	if (!f) {
		rc = -errno;
		return fail(err, errlen, rc, "%s: %s", path, strerror(-rc));
	}
	j = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!j)
		return fail(err, errlen, -EINVAL, "%s: line %d column %d: %s", path, je.line,
			    je.column, je.text);
	rc = profile_from_json(j, p, why, sizeof(why));
	json_decref(j);
	return rc ? fail(err, errlen, rc, "%s: %s", path, why) : 0;
}
