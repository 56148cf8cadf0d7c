#include "vmm/regset.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR	12	/* le64 key + le32 len */

void regset_init(struct regset *s)
{
	memset(s, 0, sizeof(*s));
}

void regset_free(struct regset *s)
{
	free(s->buf);
	regset_init(s);
}

static int grow(struct regset *s, size_t need)
{
	size_t cap = s->cap ? s->cap : 256;
	uint8_t *p;

	while (cap < s->len + need)
		cap *= 2;
	if (cap == s->cap)
		return 0;
	p = realloc(s->buf, cap);
	if (!p)
		return -ENOMEM;
	s->buf = p;
	s->cap = cap;
	return 0;
}

static void read_hdr(const uint8_t *p, uint64_t *key, uint32_t *len)
{
	uint64_t k;
	uint32_t l;

	memcpy(&k, p, 8);
	memcpy(&l, p + 8, 4);
	*key = le64toh(k);
	*len = le32toh(l);
}

/* Offset of @key's entry, or -1. */
static long find(const struct regset *s, uint64_t key)
{
	size_t pos = 0;
	uint64_t k;
	uint32_t l;

	while (pos + HDR <= s->len) {
		read_hdr(s->buf + pos, &k, &l);
		if (k == key)
			return (long)pos;
		pos += HDR + l;
	}
	return -1;
}

static void drop(struct regset *s, long at)
{
	uint64_t k;
	uint32_t l;
	size_t size;

	read_hdr(s->buf + at, &k, &l);
	size = HDR + l;
	memmove(s->buf + at, s->buf + at + size, s->len - at - size);
	s->len -= size;
	s->count--;
}

int regset_put(struct regset *s, uint64_t key, const void *val, uint32_t len)
{
	uint64_t k = htole64(key);
	uint32_t l = htole32(len);
	long old = find(s, key);

	if (len > REGSET_MAX_VALUE)
		return -E2BIG;
	if (old >= 0)
		drop(s, old);
	if (grow(s, HDR + len))
		return -ENOMEM;
	memcpy(s->buf + s->len, &k, 8);
	memcpy(s->buf + s->len + 8, &l, 4);
	memcpy(s->buf + s->len + HDR, val, len);
	s->len += HDR + len;
	s->count++;
	return 0;
}

int regset_put_uint(struct regset *s, uint64_t key, uint64_t v, uint32_t len)
{
	uint64_t le = htole64(v);

	if (len != 1 && len != 2 && len != 4 && len != 8)
		return -EINVAL;
	return regset_put(s, key, &le, len);	/* the low bytes of a LE u64 */
}

const uint8_t *regset_get(const struct regset *s, uint64_t key, uint32_t *len)
{
	long at = find(s, key);
	uint64_t k;

	if (at < 0)
		return NULL;
	read_hdr(s->buf + at, &k, len);
	return s->buf + at + HDR;
}

int regset_get_uint(const struct regset *s, uint64_t key, uint64_t *v)
{
	uint32_t len;
	const uint8_t *p = regset_get(s, key, &len);
	uint64_t le = 0;

	if (!p)
		return -ENOENT;
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return -EINVAL;
	memcpy(&le, p, len);
	*v = le64toh(le);
	return 0;
}

int regset_next(const struct regset *s, size_t *pos, uint64_t *key,
		const uint8_t **val, uint32_t *len)
{
	if (*pos + HDR > s->len)
		return 0;
	read_hdr(s->buf + *pos, key, len);
	*val = s->buf + *pos + HDR;
	*pos += HDR + *len;
	return 1;
}

struct regset *regset_list_add(struct regset_list *l, const char *name, uint32_t version)
{
	struct named_regset *e;

	if (strlen(name) > REGSET_NAME_MAX)
		return NULL;
	if (l->n == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 16;

		e = realloc(l->v, cap * sizeof(*e));
		if (!e)
			return NULL;
		l->v = e;
		l->cap = cap;
	}
	e = &l->v[l->n++];
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->version = version;
	regset_init(&e->set);
	return &e->set;
}

const struct named_regset *regset_list_find(const struct regset_list *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

void regset_list_free(struct regset_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		regset_free(&l->v[i].set);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const struct regset *regset_list_findf(const struct regset_list *l, const char *fmt, unsigned i)
{
	char name[REGSET_NAME_MAX + 1];
	const struct named_regset *n;

	snprintf(name, sizeof(name), fmt, i);
	n = regset_list_find(l, name);
	return n ? &n->set : NULL;
}

uint64_t regset_uint_or0(const struct regset *s, uint64_t key)
{
	uint64_t v = 0;

	if (s)
		regset_get_uint(s, key, &v);
	return v;
}

int regset_has(const struct regset *s, uint64_t key)
{
	uint32_t len;

	return s && regset_get(s, key, &len) != NULL;
}

int regset_copy(struct regset *dst, const struct regset *src)
{
	size_t pos = 0;
	uint64_t key;
	const uint8_t *val;
	uint32_t n;
	int rc = 0;

	while (src && !rc && regset_next(src, &pos, &key, &val, &n))
		rc = regset_put(dst, key, val, n);
	return rc;
}
