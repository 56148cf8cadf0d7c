#include "vmm/regset.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define HDR	12		/* le64 key + le32 len */
#define DEAD	0x80000000u	/* in an entry's len: replaced, skip it */

/* ---- the seeded hash: simple tabulation, one random word per key byte ---- */

static uint32_t tab[8][256];
static pthread_once_t tab_once = PTHREAD_ONCE_INIT;

/* Without getrandom(): a weaker seed from the clock and the addresses. */
static void tab_fallback(void)
{
	struct timespec ts;
	uint64_t x;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uintptr_t)&ts ^
	    (uintptr_t)tab ^ (uint64_t)getpid() << 16;
	x |= 1;
	for (unsigned i = 0; i < 8; i++)
		for (unsigned j = 0; j < 256; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			tab[i][j] ^= (uint32_t)(x >> 32);
		}
}

static void tab_seed(void)
{
	uint8_t *p = (uint8_t *)tab;
	size_t got = 0;

	while (got < sizeof(tab)) {
		ssize_t n = getrandom(p + got, sizeof(tab) - got, GRND_NONBLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof(tab))
		tab_fallback();
}

static size_t hash(uint64_t key)
{
	uint32_t h = 0;

	for (unsigned i = 0; i < 8; i++, key >>= 8)
		h ^= tab[i][key & 0xff];
	return h;
}

/* ---- entries ---- */

void regset_init(struct regset *s)
{
	memset(s, 0, sizeof(*s));
}

void regset_free(struct regset *s)
{
	free(s->buf);
	free(s->index);
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

static uint64_t key_at(const struct regset *s, size_t off)
{
	uint64_t k;
	uint32_t l;

	read_hdr(s->buf + off, &k, &l);
	return k;
}

/* Append an entry; its offset. The caller made room (grow). */
static size_t append(struct regset *s, uint64_t key, const void *val, uint32_t len)
{
	uint64_t k = htole64(key);
	uint32_t l = htole32(len);
	size_t at = s->len;

	memcpy(s->buf + at, &k, 8);
	memcpy(s->buf + at + 8, &l, 4);
	if (len)
		memcpy(s->buf + at + HDR, val, len);
	s->len += HDR + len;
	return at;
}

/* Mark the entry at @off replaced: walks skip it, compaction drops it. */
static void retire(struct regset *s, size_t off)
{
	uint64_t k;
	uint32_t l;

	read_hdr(s->buf + off, &k, &l);
	s->dead += HDR + l;
	l = htole32(l | DEAD);
	memcpy(s->buf + off + 8, &l, 4);
}

/* ---- the index ---- */

/* The slot holding @key, or the empty one where it would go. The index
 * is never full (at most half its slots are used). */
static size_t *slot_of(const struct regset *s, size_t *index, size_t slots, uint64_t key)
{
	size_t i = hash(key) & (slots - 1);

	while (index[i] && key_at(s, index[i] - 1) != key)
		i = (i + 1) & (slots - 1);
	return &index[i];
}

/* Room in the index for one more key. */
static int index_reserve(struct regset *s)
{
	size_t slots = s->slots ? 2 * s->slots : 16, *index;

	if (2 * ((size_t)s->count + 1) <= s->slots)
		return 0;
	pthread_once(&tab_once, tab_seed);
	index = calloc(slots, sizeof(*index));
	if (!index)
		return -ENOMEM;
	for (size_t i = 0; i < s->slots; i++)
		if (s->index[i])
			*slot_of(s, index, slots, key_at(s, s->index[i] - 1)) = s->index[i];
	free(s->index);
	s->index = index;
	s->slots = slots;
	return 0;
}

/* Drop the replaced entries once they take as much room as the live
 * ones, so that replacing costs amortised O(1) too; the live entries
 * keep their order and the index is rebuilt. */
static void compact(struct regset *s)
{
	size_t from = 0, to = 0;

	if (!s->dead || s->dead < s->len - s->dead)
		return;
	memset(s->index, 0, s->slots * sizeof(*s->index));
	while (from + HDR <= s->len) {
		uint64_t k;
		uint32_t l;

		read_hdr(s->buf + from, &k, &l);
		if (!(l & DEAD)) {
			memmove(s->buf + to, s->buf + from, HDR + l);
			*slot_of(s, s->index, s->slots, k) = to + 1;
			to += HDR + l;
		}
		from += HDR + (l & ~DEAD);
	}
	s->len = to;
	s->dead = 0;
}

/* The entry under @key, as an offset + 1, or 0. */
static size_t find(const struct regset *s, uint64_t key)
{
	return s->slots ? *slot_of(s, s->index, s->slots, key) : 0;
}

static int store(struct regset *s, uint64_t key, const void *val, uint32_t len, int replace)
{
	size_t *slot;

	if (len > REGSET_MAX_VALUE)
		return -E2BIG;
	if (index_reserve(s))
		return -ENOMEM;
	slot = slot_of(s, s->index, s->slots, key);
	if (*slot && !replace)
		return -EEXIST;
	if (!*slot && s->count >= REGSET_MAX_KEYS)
		return -ENOSPC;
	if (grow(s, HDR + len))
		return -ENOMEM;
	if (*slot)
		retire(s, *slot - 1);
	else
		s->count++;
	*slot = append(s, key, val, len) + 1;
	compact(s);
	return 0;
}

int regset_put(struct regset *s, uint64_t key, const void *val, uint32_t len)
{
	return store(s, key, val, len, 1);
}

int regset_add(struct regset *s, uint64_t key, const void *val, uint32_t len)
{
	return store(s, key, val, len, 0);
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
	size_t at = find(s, key);
	uint64_t k;

	if (!at)
		return NULL;
	read_hdr(s->buf + at - 1, &k, len);
	return s->buf + at - 1 + HDR;
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
	uint32_t l;

	while (*pos + HDR <= s->len) {
		read_hdr(s->buf + *pos, key, &l);
		*val = s->buf + *pos + HDR;
		*pos += HDR + (l & ~DEAD);
		if (!(l & DEAD)) {
			*len = l;
			return 1;
		}
	}
	return 0;
}

struct regset *regset_list_add(struct regset_list *l, const char *name, uint32_t version)
{
	struct named_regset *e;

	if (strlen(name) > REGSET_NAME_MAX || l->n >= REGSET_LIST_MAX)
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
