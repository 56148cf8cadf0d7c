/* The ABI values' table and how they are printed (arch/arm64/abi.h). */
#include "arch/arm64/abi.h"
#include "arch/arm64/gic_state.h"
#include "vmm/regset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long long ull;

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define TEXT		0	/* the stored length of a text value: any */
#define TYPER2_NASSGICAP	(1u << 8)	/* the only GICD_TYPER2 bit KVM lets change */

/* A refusal: the sentence into @err, -EINVAL. */
#define REFUSE(err, len, ...)	(snprintf((err), (len), __VA_ARGS__), -EINVAL)

static const struct abi_entry table[] = {
	{ .key = ABI_KERNEL, .name = "kernel", .label = "kernel release", .len = TEXT,
	  .source = ABI_SRC_KERNEL, .cmp = ABI_CMP_NONE, .pool = ABI_POOL_NAME, .print = ABI_TEXT },
	{ .key = ABI_PAGE_SIZE, .name = "page_size", .label = "host page size", .len = 8,
	  .source = ABI_SRC_PAGE_SIZE, .cmp = ABI_CMP_EQUAL, .pool = ABI_POOL_EQUAL },
	{ .key = ABI_IPA_BITS, .name = "ipa_bits", .label = "IPA size (bits)", .len = 4,
	  .source = ABI_SRC_IPA_BITS, .cmp = ABI_CMP_EQUAL, .pool = ABI_POOL_EQUAL },
	{ .key = ABI_CNTFRQ, .name = "cntfrq", .label = "counter frequency (CNTFRQ_EL0, Hz)",
	  .len = 8, .source = ABI_SRC_COUNTER_FREQ, .cmp = ABI_CMP_EQUAL, .pool = ABI_POOL_EQUAL },
	{ .key = ABI_NCPUS, .name = "ncpus", .label = "vCPUs", .len = 4,
	  .source = ABI_SRC_VCPUS, .cmp = ABI_CMP_EQUAL_VM, .pool = ABI_POOL_DROP },
	{ .key = ABI_PVTIME_REV, .name = "pvtime_rev", .label = "PV stolen-time structure revision",
	  .len = 4, .source = ABI_SRC_PVTIME, .cmp = ABI_CMP_EQUAL_NEEDED, .pool = ABI_POOL_SAME },
	{ .key = ABI_GITS_IIDR, .name = "gits_iidr", .label = "GITS_IIDR",
	  .field = "ITS table ABI revision", .len = 8, .source = ABI_SRC_ITS_REG, .arg = GITS_IIDR,
	  .cmp = ABI_CMP_REV_AT_MOST, .pool = ABI_POOL_LOWEST_REV, .print = ABI_HEX, .width = 8,
	  .decode = ABI_DECODE_REVISION },
	{ .key = ABI_GITS_TYPER, .name = "gits_typer", .label = "GITS_TYPER", .len = 8,
	  .source = ABI_SRC_ITS_REG, .arg = GITS_TYPER, .cmp = ABI_CMP_NONE, .pool = ABI_POOL_SAME,
	  .print = ABI_HEX, .width = 16 },
	{ .key = ABI_GICD_IIDR, .name = "gicd_iidr", .label = "GICD_IIDR",
	  .field = "implementation revision", .len = 4, .source = ABI_SRC_DIST_REG, .arg = GICD_IIDR,
	  .cmp = ABI_CMP_REV_ACCEPTED, .pool = ABI_POOL_COMMON_REV, .pair = ABI_GICD_IIDR_REVS,
	  .print = ABI_HEX, .width = 8, .decode = ABI_DECODE_REVISION },
	{ .key = ABI_GICD_IIDR_REVS, .name = "gicd_iidr_revs", .label = "GICD_IIDR revisions accepted",
	  .len = 4, .source = ABI_SRC_DIST_REVS, .flags = ABI_HOST_ONLY, .cmp = ABI_CMP_NONE,
	  .pool = ABI_POOL_PAIRED, .pair = ABI_GICD_IIDR, .print = ABI_HEX, .width = 4,
	  .decode = ABI_DECODE_REV_MASK },
	{ .key = ABI_GICD_TYPER2, .name = "gicd_typer2", .label = "GICD_TYPER2", .len = 4,
	  .source = ABI_SRC_DIST_REG, .arg = GICD_TYPER2, .flags = ABI_OPTIONAL,
	  .cmp = ABI_CMP_WRITABLE, .pool = ABI_POOL_AND_WRITABLE, .pair = ABI_TYPER2_WRITABLE,
	  .print = ABI_HEX, .width = 8 },
	{ .key = ABI_TYPER2_WRITABLE, .name = "typer2_writable", .label = "GICD_TYPER2 writable bits",
	  .len = 4, .source = ABI_SRC_DIST_WRITABLE, .arg = TYPER2_NASSGICAP,
	  .flags = ABI_HOST_ONLY, .cmp = ABI_CMP_NONE, .pool = ABI_POOL_PAIRED,
	  .pair = ABI_GICD_TYPER2, .print = ABI_HEX, .width = 8 },
	{ .key = ABI_DIRTY_CAPS, .name = "dirty_caps", .label = "dirty-log capabilities", .len = 4,
	  .source = ABI_SRC_DIRTY_CAPS, .flags = ABI_HOST_ONLY, .cmp = ABI_CMP_NONE,
	  .pool = ABI_POOL_AND, .print = ABI_HEX, .width = 1, .decode = ABI_DECODE_DIRTY },
};

const struct abi_entry *abi_table(size_t *n)
{
	*n = ARRAY_LEN(table);
	return table;
}

const struct abi_entry *abi_find(uint64_t key)
{
	for (size_t i = 0; i < ARRAY_LEN(table); i++)
		if (table[i].key == key)
			return &table[i];
	return NULL;
}

const struct abi_entry *abi_named(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(table); i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

unsigned abi_revision(uint64_t iidr)
{
	return iidr >> 12 & 0xf;
}

uint64_t abi_with_revision(uint64_t iidr, unsigned rev)
{
	return (iidr & ~0xf000ull) | (uint64_t)(rev & 0xf) << 12;
}

/* ---- text ---- */

/* " (a, b)": the set bits of @v by name (@names, @n of them) or number. */
static void bit_list(uint64_t v, const char *const *names, unsigned n, char *buf, size_t len)
{
	size_t at = (size_t)snprintf(buf, len, " (%s", v ? "" : "none");

	for (unsigned b = 0; b < 64 && at < len; b++) {
		const char *sep = at > 2 ? ", " : "";

		if (!(v >> b & 1))
			continue;
		if (b < n)
			at += (size_t)snprintf(buf + at, len - at, "%s%s", sep, names[b]);
		else
			at += (size_t)snprintf(buf + at, len - at, "%s%u", sep, b);
	}
	if (at < len)
		snprintf(buf + at, len - at, ")");
}

static void decode(const struct abi_entry *e, uint64_t v, char *buf, size_t len)
{
	static const char *const dirty[] = { "manual-protect", "ring acq/rel", "ring+bitmap" };

	if (e->decode == ABI_DECODE_REVISION)
		snprintf(buf, len, " (%s %u)", e->field, abi_revision(v));
	else if (e->decode == ABI_DECODE_REV_MASK)
		bit_list(v, NULL, 0, buf, len);
	else if (e->decode == ABI_DECODE_DIRTY)
		bit_list(v, dirty, ARRAY_LEN(dirty), buf, len);
}

/* Stored text, its bytes outside printable ASCII as '?'. */
static const char *text_of(const struct regset *s, uint64_t key, char *buf, size_t len)
{
	uint32_t n;
	const uint8_t *p = regset_get(s, key, &n);
	size_t m = 0;

	for (uint32_t i = 0; i < n && m + 1 < len; i++)
		buf[m++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	buf[m] = 0;
	return buf;
}

/* A number as @e prints it, and what the text form adds. */
static void number_text(const struct abi_entry *e, uint64_t v, char *buf, size_t len)
{
	size_t n;

	if (e->print == ABI_HEX)
		n = (size_t)snprintf(buf, len, "0x%0*llx", e->width, (ull)v);
	else
		n = (size_t)snprintf(buf, len, "%llu", (ull)v);
	if (n < len)
		decode(e, v, buf + n, len - n);
}

const char *abi_format(const struct abi_entry *e, const struct regset *s, char *buf, size_t len)
{
	uint64_t v;

	if (!regset_has(s, e->key))
		snprintf(buf, len, "none");
	else if (e->print == ABI_TEXT)
		text_of(s, e->key, buf, len);
	else if (regset_get_uint(s, e->key, &v))
		snprintf(buf, len, "(not an integer)");
	else
		number_text(e, v, buf, len);
	return buf;
}

void abi_print(const struct regset *s, FILE *out, const char *indent)
{
	char v[160];

	for (size_t i = 0; i < ARRAY_LEN(table); i++)
		if (regset_has(s, table[i].key))
			fprintf(out, "%s%-35s %s\n", indent, table[i].label,
				abi_format(&table[i], s, v, sizeof(v)));
}

/* ---- JSON ---- */

static json_t *text_json(const struct abi_entry *e, const uint8_t *p, uint32_t n,
			 enum abi_json mode, char *err, size_t len)
{
	json_t *j = json_stringn((const char *)p, n);

	if (!j && mode == ABI_JSON_STRICT)
		snprintf(err, len, "abi.%s is not UTF-8 text", e->name);
	if (mode == ABI_JSON_LENIENT && (!j || memchr(p, 0, n))) {
		json_decref(j);
		j = json_string("(not valid text)");
	}
	return j;
}

static json_t *uint_json(const struct abi_entry *e, uint64_t v)
{
	char hex[24];

	if (e->print == ABI_DEC && v <= INT64_MAX)
		return json_integer((json_int_t)v);
	snprintf(hex, sizeof(hex), "0x%0*llx", e->print == ABI_HEX ? e->width : 16, (ull)v);
	return json_string(hex);
}

/* @e's value into *@j: 1; 0 to leave it out (lenient); -errno. */
static int value_json(const struct abi_entry *e, const struct regset *s, enum abi_json mode,
		      json_t **j, char *err, size_t len)
{
	uint32_t n;
	const uint8_t *p = regset_get(s, e->key, &n);
	uint64_t v;

	err[0] = 0;
	if (e->print == ABI_TEXT)
		*j = text_json(e, p, n, mode, err, len);
	else if (!regset_get_uint(s, e->key, &v))
		*j = uint_json(e, v);
	else if (mode == ABI_JSON_LENIENT)
		return 0;
	else
		return REFUSE(err, len, "abi.%s: a value of %u bytes is not an integer", e->name, n);
	return *j ? 1 : err[0] ? -EINVAL : -ENOMEM;
}

json_t *abi_to_json(const struct regset *s, enum abi_json mode, char *err, size_t errlen)
{
	json_t *o = json_object(), *v;
	size_t pos = 0;
	uint64_t key;
	const uint8_t *p;
	uint32_t n;
	int rc = o ? 0 : -ENOMEM;

	while (!rc && regset_next(s, &pos, &key, &p, &n)) {
		const struct abi_entry *e = abi_find(key);

		if (!e)
			rc = mode == ABI_JSON_STRICT ? REFUSE(err, errlen, "abi key %llu has no name", (ull)key) : 0;
		else if ((rc = value_json(e, s, mode, &v, err, errlen)) == 1)
			rc = json_object_set_new(o, e->name, v) ? -ENOMEM : 0;
	}
	if (!rc)
		return o;
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	json_decref(o);
	return NULL;
}

/* "0x" and 1 to 16 hex digits. */
static int parse_hex(const char *s, uint64_t *v)
{
	size_t n = strncmp(s, "0x", 2) ? 0 : strspn(s + 2, "0123456789abcdefABCDEF");

	if (!n || n > 16 || s[2 + n])
		return -EINVAL;
	*v = strtoull(s + 2, NULL, 16);
	return 0;
}

static int uint_from(const struct abi_entry *e, json_t *v, uint64_t *out, char *err, size_t len)
{
	const char *s = json_string_value(v);

	if (json_is_integer(v) && json_integer_value(v) >= 0)
		*out = (uint64_t)json_integer_value(v);
	else if (!s || strlen(s) != json_string_length(v) || parse_hex(s, out))
		return REFUSE(err, len, "abi.%s: not a non-negative integer", e->name);
	if (e->len < 8 && *out >> (8 * e->len))
		return REFUSE(err, len, "abi.%s: %llu does not fit in %u bytes", e->name, (ull)*out,
			      e->len);
	return 0;
}

static int value_from(const struct abi_entry *e, json_t *v, struct regset *s, char *err, size_t len)
{
	uint64_t x;
	int rc;

	if (e->print == ABI_TEXT && !json_is_string(v))
		return REFUSE(err, len, "abi.%s: not a string", e->name);
	if (e->print == ABI_TEXT)
		rc = regset_put(s, e->key, json_string_value(v), (uint32_t)json_string_length(v));
	else if ((rc = uint_from(e, v, &x, err, len)) == 0)
		rc = regset_put_uint(s, e->key, x, e->len);
	if (rc == -E2BIG)
		return REFUSE(err, len, "abi.%s: too long", e->name);
	if (rc && rc != -EINVAL)
		snprintf(err, len, "out of memory");
	return rc;
}

int abi_from_json(json_t *o, struct regset *s, enum abi_json mode, char *err, size_t errlen)
{
	const char *name;
	json_t *v;
	int rc;

	json_object_foreach(o, name, v) {
		const struct abi_entry *e = abi_named(name);

		rc = e ? value_from(e, v, s, err, errlen)
		       : REFUSE(err, errlen, "abi: unknown name '%.40s'", name);
		if (rc && (mode == ABI_JSON_STRICT || rc != -EINVAL))
			return rc;
	}
	return 0;
}
