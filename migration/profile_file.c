#include "migration/profile_file.h"
#include "arch/arm64/abi.h"
#include "arch/arm64/compat.h"
#include "arch/arm64/impl.h"
#include "arch/arm64/idreg.h"
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

static json_t *hex64_json(uint64_t v)
{
	char hex[19];

	snprintf(hex, sizeof(hex), "0x%016llx", (ull)v);
	return json_string(hex);
}

/* A register value as the format writes it: a new JSON string. */
static json_t *value_json(const uint8_t *val, uint32_t len)
{
	char *s;
	json_t *j;

	if (len == 8)
		return hex64_json(le_value(val, len));
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

/* ---- the named parts of a register (arch/arm64/idreg.h) ---- */

/* An ID register's 4-bit fields or a firmware bitmap's bits: how the
 * file names them and what a value of one is. */
struct parts {
	const char *key;	/* of the register's object: "fields" or "bits" */
	unsigned n, width;	/* how many, and of how many bits */
	const char *(*name)(uint64_t id, unsigned i);
	int (*lookup)(uint64_t id, const char *name);
};

static const struct parts id_fields = { "fields", 16, 4, idreg_field_name, idreg_field_lookup };
static const struct parts fw_bits = { "bits", 64, 1, idreg_bit_name, idreg_bit_lookup };

static uint64_t part_mask(const struct parts *k)
{
	return (1ull << k->width) - 1;
}

static uint64_t part_get(const struct parts *k, uint64_t v, unsigned i)
{
	return v >> (k->width * i) & part_mask(k);
}

static uint64_t part_set(const struct parts *k, uint64_t v, unsigned i, uint64_t x)
{
	return (v & ~(part_mask(k) << (k->width * i))) | x << (k->width * i);
}

/* ---- implementations (COMPAT_IMPL, arch/arm64/impl.h) ---- */

/* An implementation's registers by name, in struct impl_cpu's order. */
static const char *const impl_regs[] = { "MIDR_EL1", "REVIDR_EL1", "AIDR_EL1" };

static uint64_t *impl_reg(struct impl_cpu *c, size_t r)
{
	uint64_t *const regs[] = { &c->midr, &c->revidr, &c->aidr };

	return regs[r];
}

/* The first implementation before @i in @l that is the same as l[@i], or -1. */
static int impl_seen(const struct impl_cpu *l, unsigned i)
{
	for (unsigned k = 0; k < i; k++)
		if (!memcmp(&l[k], &l[i], sizeof(l[i])))
			return (int)k;
	return -1;
}

/* ---- to JSON ---- */

/* @o["fields"] or @o["bits"]: the parts of @v the table names, if any. */
static int parts_json(json_t *o, const struct parts *k, uint64_t id, uint64_t v)
{
	json_t *p = json_object();
	uint64_t x;
	int bad = !p;

	for (unsigned i = 0; !bad && i < k->n; i++) {
		if (!k->name(id, i))
			continue;
		x = part_get(k, v, i);
		bad = json_object_set_new(p, k->name(id, i),
					  k->width == 1 ? json_boolean(x) : json_integer((json_int_t)x));
	}
	if (!bad && json_object_size(p))
		return json_object_set_new(o, k->key, p);
	json_decref(p);
	return bad ? -1 : 0;
}

/* A register the table names: {"id": ..., "value": ..., "fields"/"bits": ...}. */
static json_t *named_json(uint64_t id, uint64_t v)
{
	json_t *o = json_object();

	if (!o || json_object_set_new(o, "id", hex64_json(id)) ||
	    json_object_set_new(o, "value", hex64_json(v)) || parts_json(o, &id_fields, id, v) ||
	    parts_json(o, &fw_bits, id, v)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* One register into @o: by name if the table names it (all such are 8
 * bytes; a value of another size keeps its id), by id else. */
static int reg_json(json_t *o, uint64_t id, const uint8_t *val, uint32_t len)
{
	const char *name = len == 8 ? idreg_name(id) : NULL;
	char key[19];

	if (name)
		return json_object_set_new(o, name, named_json(id, le_value(val, len)));
	snprintf(key, sizeof(key), "0x%016llx", (ull)id);
	return json_object_set_new(o, key, value_json(val, len));
}

/* The registers of "vcpu" or "writable", in the set's order. */
static json_t *regs_json(const struct regset *s)
{
	json_t *o = json_object();
	size_t pos = 0;
	uint64_t key;
	const uint8_t *val;
	uint32_t len;

	while (o && regset_next(s, &pos, &key, &val, &len))
		if (reg_json(o, key, val, len)) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* One implementation: {"MIDR_EL1": ..., "REVIDR_EL1": ..., "AIDR_EL1": ...}. */
static json_t *impl_json(struct impl_cpu *c)
{
	json_t *o = json_object();

	for (size_t r = 0; o && r < ARRAY_LEN(impl_regs); r++)
		if (json_object_set_new(o, impl_regs[r], hex64_json(*impl_reg(c, r)))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* "implementations": the set's, key 0 first; NULL (with @err) for a set
 * itsy would not read back: not keys 0..n-1 of implementations, or one
 * twice. */
static json_t *impls_json(const struct regset *s, char *err, size_t errlen)
{
	struct impl_cpu l[COMPAT_IMPL_MAX];
	int n = impl_from_set(s, l);
	json_t *a = n < 0 ? NULL : json_array();

	if (n < 0)
		fail(err, errlen, -EINVAL, "the '%s' set is not a list of implementations", COMPAT_IMPL);
	for (int i = 0; a && i < n; i++)
		if (impl_seen(l, (unsigned)i) >= 0 || json_array_append_new(a, impl_json(&l[i]))) {
			fail(err, errlen, -EINVAL, "the '%s' set holds implementation %d twice",
			     COMPAT_IMPL, i);
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The optional members: "writable", "implementations" (if not empty). */
static int optional_json(json_t *j, const struct regset_list *p, char *err, size_t errlen)
{
	const struct regset *wr = find_set(p, COMPAT_WRITABLE), *impl = find_set(p, COMPAT_IMPL);

	return (wr && json_object_set_new(j, "writable", regs_json(wr))) ||
	       (impl && impl->count &&
		json_object_set_new(j, "implementations", impls_json(impl, err, errlen)));
}

json_t *profile_to_json(const struct regset_list *p, char *err, size_t errlen)
{
	const struct regset *abi = find_set(p, "abi"), *vcpu = find_set(p, "vcpu.0");
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
	      json_object_set_new(j, "vcpu", regs_json(vcpu)) || optional_json(j, p, err, errlen);
	json_decref(a);	/* j holds it now, if all went well */
	if (!bad)
		return j;
	json_decref(j);
	if (!err[0])
		fail(err, errlen, 0, "out of memory");
	return NULL;
}

/* ---- from JSON ---- */

/* Where a section's registers are read into, and what to tell of a bad one. */
struct reader {
	const char *sec;	/* "vcpu" or "writable" */
	struct regset *s;
	uint8_t *buf;		/* REGSET_MAX_VALUE bytes */
	char *err;
	size_t errlen;
};

/* "ID_AA64PFR0_EL1 (0x603000000013c020)" for a named one, the id else. */
static const char *reg_label(uint64_t id, char *buf, size_t len)
{
	if (idreg_name(id))
		snprintf(buf, len, "%s (0x%016llx)", idreg_name(id), (ull)id);
	else
		snprintf(buf, len, "0x%016llx", (ull)id);
	return buf;
}

static int reg_put(struct reader *r, uint64_t id, uint32_t len)
{
	char l[96];

	if (regset_has(r->s, id))
		return fail(r->err, r->errlen, -EINVAL, "%s: register %s appears twice (by name or "
			    "by id)", r->sec, reg_label(id, l, sizeof(l)));
	if (regset_put(r->s, id, r->buf, len))
		return fail(r->err, r->errlen, -ENOMEM, "out of memory");
	return 0;
}

/* Version 1's form, and version 2's for registers the table does not
 * name: "0x<id>": "0x<value>" or "bytes:...". */
static int id_reg_from(struct reader *r, const char *key, json_t *v)
{
	const char *str = plain_string(v);
	uint64_t id, x;
	uint32_t len = 8;

	if (parse_hex64(key, &id))
		return fail(r->err, r->errlen, -EINVAL, "%s: bad register id '%.40s'", r->sec, key);
	if (str && !parse_hex64(str, &x))
		le_put(r->buf, x, 8);
	else if (!str || parse_bytes(str, r->buf, &len))
		return fail(r->err, r->errlen, -EINVAL, "%s[\"%.40s\"]: bad value '%.40s'", r->sec,
			    key, str ? str : "(not a string)");
	return reg_put(r, id, len);
}

/* @key's place in @known (@n names), or @n if it is not there. */
static size_t name_index(const char *const *known, size_t n, const char *key)
{
	size_t i = 0;

	while (i < n && strcmp(key, known[i]))
		i++;
	return i;
}

/* A named register's object has these keys, and one of value, fields, bits. */
static int named_keys(struct reader *r, const char *name, json_t *o)
{
	static const char *const known[] = { "id", "value", "fields", "bits" };
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return fail(r->err, r->errlen, -EINVAL, "%s[\"%s\"]: not an object (\"id\", "
			    "\"value\", \"fields\" or \"bits\")", r->sec, name);
	json_object_foreach(o, key, v)
		if (name_index(known, ARRAY_LEN(known), key) == ARRAY_LEN(known))
			return fail(r->err, r->errlen, -EINVAL, "%s[\"%s\"]: unknown key '%.40s'",
				    r->sec, name, key);
	if (!json_object_get(o, "value") && !json_object_get(o, "fields") &&
	    !json_object_get(o, "bits"))
		return fail(r->err, r->errlen, -EINVAL, "%s[\"%s\"]: no value, fields or bits",
			    r->sec, name);
	return 0;
}

/* "id", if given, is the name's; "value", if given, 0x and hex. */
static int named_value(struct reader *r, const char *name, uint64_t id, json_t *o, uint64_t *x)
{
	json_t *jid = json_object_get(o, "id"), *jv = json_object_get(o, "value");
	const char *str = plain_string(jid);
	uint64_t given = 0;

	if (jid && (!str || parse_hex64(str, &given)))
		return fail(r->err, r->errlen, -EINVAL, "%s[\"%s\"]: bad id '%.40s'", r->sec, name,
			    str ? str : "(not a string)");
	if (jid && given != id)
		return fail(r->err, r->errlen, -EINVAL, "%s[\"%s\"]: id 0x%016llx is not %s's "
			    "(0x%016llx)", r->sec, name, (ull)given, name, (ull)id);
	str = plain_string(jv);
	*x = 0;
	if (jv && (!str || parse_hex64(str, x)))
		return fail(r->err, r->errlen, -EINVAL, "%s[\"%s\"]: bad value '%.40s' (a named "
			    "register's is \"0x\" and hex)", r->sec, name, str ? str : "(not a string)");
	return 0;
}

/* One part's value: an integer of @k's width (a field) or true/false (a bit). */
static int part_from(struct reader *r, const struct parts *k, const char *name, const char *part,
		     json_t *v, uint64_t *x)
{
	json_int_t n = json_integer_value(v);

	if (k->width == 1 && json_is_boolean(v)) {
		*x = json_is_true(v);
		return 0;
	}
	if (k->width > 1 && json_is_integer(v) && n >= 0 && (uint64_t)n <= part_mask(k)) {
		*x = (uint64_t)n;
		return 0;
	}
	if (k->width == 1)
		return fail(r->err, r->errlen, -EINVAL, "%s[\"%s\"] bit %s: not true or false",
			    r->sec, name, part);
	return fail(r->err, r->errlen, -EINVAL, "%s[\"%s\"] field %s: not an integer 0 to %llu",
		    r->sec, name, part, (ull)part_mask(k));
}

/* Each part @o[k->key] names replaces its bits of @v: what a person
 * edits by hand counts, whatever "value" says. */
static int parts_from(struct reader *r, const struct parts *k, const char *name, uint64_t id,
		      json_t *o, uint64_t *v)
{
	json_t *p = json_object_get(o, k->key), *jx;
	const char *part;
	uint64_t x = 0;
	int i, rc;

	if (!p)
		return 0;
	if (!json_is_object(p))
		return fail(r->err, r->errlen, -EINVAL, "%s[\"%s\"]: %s is not an object", r->sec,
			    name, k->key);
	json_object_foreach(p, part, jx) {
		i = k->lookup(id, part);
		if (i < 0)
			return fail(r->err, r->errlen, -EINVAL, "%s[\"%s\"]: %s has no %s named "
				    "'%.40s'", r->sec, name, name, k->width == 1 ? "bit" : "field", part);
		rc = part_from(r, k, name, part, jx, &x);
		if (rc)
			return rc;
		*v = part_set(k, *v, (unsigned)i, x);
	}
	return 0;
}

/* Version 2's form for a register the table names. */
static int named_reg_from(struct reader *r, const char *name, json_t *o)
{
	uint64_t id, v;
	int rc;

	if (idreg_lookup(name, &id))
		return fail(r->err, r->errlen, -EINVAL, "%s: unknown register name '%.40s' (a "
			    "register without a name is \"0x\" and its id)", r->sec, name);
	rc = named_keys(r, name, o);
	rc = rc ? rc : named_value(r, name, id, o, &v);
	rc = rc ? rc : parts_from(r, &id_fields, name, id, o, &v);
	rc = rc ? rc : parts_from(r, &fw_bits, name, id, o, &v);
	if (rc)
		return rc;
	le_put(r->buf, v, 8);
	return reg_put(r, id, 8);
}

static int regs_from(const char *sec, json_t *o, struct regset *s, char *err, size_t errlen)
{
	struct reader r = { sec, s, malloc(REGSET_MAX_VALUE), err, errlen };
	const char *key;
	json_t *v;
	int rc = r.buf ? 0 : fail(err, errlen, -ENOMEM, "out of memory");

	json_object_foreach(o, key, v) {
		if (rc)
			break;
		rc = strncmp(key, "0x", 2) ? named_reg_from(&r, key, v) : id_reg_from(&r, key, v);
	}
	free(r.buf);
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
	if (json_integer_value(version) < PROFILE_FILE_VERSION_OLDEST ||
	    json_integer_value(version) > PROFILE_FILE_VERSION)
		return fail(err, errlen, -EINVAL, "version %lld is not supported (this itsy reads "
			    "versions %d to %d)", (long long)json_integer_value(version),
			    PROFILE_FILE_VERSION_OLDEST, PROFILE_FILE_VERSION);
	if (!arch || strcmp(arch, PROFILE_FILE_ARCH))
		return fail(err, errlen, -EINVAL, "arch: '%.40s' profiles are not for this itsy (%s)",
			    arch ? arch : "(none)", PROFILE_FILE_ARCH);
	return 0;
}

static int check_keys(json_t *j, char *err, size_t errlen)
{
	static const char *const known[] = { "format", "version", "arch", "abi", "vcpu", "writable",
					     "implementations" };
	const size_t impls = ARRAY_LEN(known) - 1;	/* an array; the three before it objects */
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(j, key, v) {
		i = name_index(known, ARRAY_LEN(known), key);
		if (i == ARRAY_LEN(known))
			return fail(err, errlen, -EINVAL, "unknown key '%.40s'", key);
		if (i >= 3 && (i == impls ? !json_is_array(v) : !json_is_object(v)))
			return fail(err, errlen, -EINVAL, "%s: not an %s", key,
				    i == impls ? "array" : "object");
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

/* implementations[@i][impl_regs[@r]] of @o into @c. */
static int impl_reg_from(json_t *o, size_t i, size_t r, struct impl_cpu *c, char *err,
			 size_t errlen)
{
	const char *name = impl_regs[r];
	json_t *v = json_object_get(o, name);
	const char *str = plain_string(v);
	uint64_t x;

	if (!v)
		return fail(err, errlen, -EINVAL, "implementations[%zu]: no %s (each has MIDR_EL1, "
			    "REVIDR_EL1 and AIDR_EL1)", i, name);
	if (!str || parse_hex64(str, &x))
		return fail(err, errlen, -EINVAL, "implementations[%zu][\"%s\"]: bad value '%.40s' "
			    "(\"0x\" and 1 to 16 hex digits)", i, name, str ? str : "(not a string)");
	if (impl_reg(c, r) == &c->midr && x > UINT32_MAX)
		return fail(err, errlen, -EINVAL, "implementations[%zu][\"%s\"]: 0x%llx is above "
			    "0xffffffff (MIDR_EL1 is 32 bits)", i, name, (ull)x);
	*impl_reg(c, r) = x;
	return 0;
}

/* implementations[@i], @o, into l[@i]; given once. */
static int impl_from(json_t *o, size_t i, struct impl_cpu *l, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	int rc = 0, k;

	if (!json_is_object(o))
		return fail(err, errlen, -EINVAL, "implementations[%zu]: not an object (\"MIDR_EL1\", "
			    "\"REVIDR_EL1\" and \"AIDR_EL1\")", i);
	json_object_foreach(o, key, v)
		if (name_index(impl_regs, ARRAY_LEN(impl_regs), key) == ARRAY_LEN(impl_regs))
			return fail(err, errlen, -EINVAL, "implementations[%zu]: unknown key '%.40s'",
				    i, key);
	for (size_t r = 0; !rc && r < ARRAY_LEN(impl_regs); r++)
		rc = impl_reg_from(o, i, r, &l[i], err, errlen);
	k = rc ? -1 : impl_seen(l, (unsigned)i);
	if (k >= 0)
		return fail(err, errlen, -EINVAL, "implementations[%zu]: the same as "
			    "implementations[%d] (an implementation is given once)", i, k);
	return rc;
}

/* "implementations" (an array, or NULL) into set COMPAT_IMPL of @p: none if empty. */
static int impls_from(struct regset_list *p, json_t *a, char *err, size_t errlen)
{
	struct impl_cpu l[COMPAT_IMPL_MAX];
	struct regset *s;
	json_t *o;
	size_t i;
	int rc = 0;

	if (json_array_size(a) > COMPAT_IMPL_MAX)
		return fail(err, errlen, -EINVAL, "implementations: %zu entries, more than %d",
			    json_array_size(a), COMPAT_IMPL_MAX);
	json_array_foreach(a, i, o)
		if ((rc = impl_from(o, i, l, err, errlen)))
			return rc;
	if (!json_array_size(a))
		return 0;
	s = regset_list_add(p, COMPAT_IMPL, 1);
	if (!s || impl_to_set(l, (unsigned)json_array_size(a), s))
		return fail(err, errlen, -ENOMEM, "out of memory");
	return 0;
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
	rc = rc ? rc : impls_from(p, json_object_get(j, "implementations"), err, errlen);
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
