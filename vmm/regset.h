/* A keyed set of saved values: what one piece of state (a vCPU, the GIC
 * distributor, a device) turns into before it is written to a snapshot or
 * a migration stream, and what it is rebuilt from. Every value is keyed
 * (a KVM register id, a register offset, a field number), never positional,
 * and stored little-endian, so no host struct layout reaches a file.
 * Portable.
 *
 * Contract:
 *  - Keys are unique: a second put of a key replaces the value, and the
 *    entry then walks last (as if it had been removed and put again).
 *  - Putting, replacing and looking up a key cost amortised O(1)
 *    whatever the keys are: a hash index sits beside the entry buffer, its
 *    hash seeded once per process from getrandom(), so keys chosen by a
 *    hostile state file cannot be made to collide.
 *  - A set holds at most REGSET_MAX_KEYS keys and a list at most
 *    REGSET_LIST_MAX sets; both are far above any real VM's and bound what
 *    a crafted file can make a reader build.
 *  - Values returned by regset_get() and regset_next() point into the set
 *    and are valid until the next put into it.
 *  - Zero-filled memory is an empty set or list. Not thread-safe: one
 *    thread at a time per set. */
#ifndef ITSY_REGSET_H
#define ITSY_REGSET_H

#include <stddef.h>
#include <stdint.h>

#define REGSET_MAX_VALUE	2048	/* bytes; an SVE Z register is at most 256 */
#define REGSET_MAX_KEYS		65536	/* per set; a vCPU has under 1000 registers */

struct regset {
	uint8_t *buf;		/* entries: le64 key, le32 len, len bytes */
	size_t len, cap;
	unsigned count;		/* keys (live entries) */
	size_t dead;		/* bytes of replaced entries still in buf */
	size_t *index;		/* hash slots: entry offset + 1, or 0 */
	size_t slots;		/* a power of two, or 0 */
};

void regset_init(struct regset *s);
void regset_free(struct regset *s);

/* Store @len bytes at @val (taken as they are: the caller gives LE bytes)
 * under @key, replacing any value it had. -ENOMEM, -E2BIG above
 * REGSET_MAX_VALUE, -ENOSPC for a new key in a set of REGSET_MAX_KEYS. */
int regset_put(struct regset *s, uint64_t key, const void *val, uint32_t len);
/* As regset_put() for a key the set must not have yet: -EEXIST if it
 * has one (and the set is left as it was). For readers of saved state,
 * where a key twice means a damaged or crafted file. */
int regset_add(struct regset *s, uint64_t key, const void *val, uint32_t len);
/* Store an integer of @len (1, 2, 4 or 8) bytes, little-endian. */
int regset_put_uint(struct regset *s, uint64_t key, uint64_t v, uint32_t len);

/* The value under @key, or NULL; *@len gets its length. */
const uint8_t *regset_get(const struct regset *s, uint64_t key, uint32_t *len);
/* The integer under @key into *@v. -ENOENT if absent, -EINVAL if it is not
 * an integer of 1, 2, 4 or 8 bytes. */
int regset_get_uint(const struct regset *s, uint64_t key, uint64_t *v);

/* A list of named, versioned sets: the whole saved state of a VM, one set
 * per piece ("vcpu.0", "gic.dist", "dev.1.virtio-blk", ...). */
#define REGSET_NAME_MAX	31
#define REGSET_LIST_MAX	4096	/* sets per list; a 64-vCPU VM has under 200 */

struct named_regset {
	char name[REGSET_NAME_MAX + 1];
	uint32_t version;
	struct regset set;
};

struct regset_list {
	struct named_regset *v;
	unsigned n, cap;
};

/* A new empty set named @name (at most REGSET_NAME_MAX bytes), or NULL
 * (out of memory, a longer name, or REGSET_LIST_MAX sets already). */
struct regset *regset_list_add(struct regset_list *l, const char *name, uint32_t version);
const struct named_regset *regset_list_find(const struct regset_list *l, const char *name);
void regset_list_free(struct regset_list *l);
/* The set named by printf(@fmt, @i) (e.g. "vcpu.%u"), or NULL. */
const struct regset *regset_list_findf(const struct regset_list *l, const char *fmt, unsigned i);
/* The integer under @key, or 0 if the set has none (or @s is NULL). */
uint64_t regset_uint_or0(const struct regset *s, uint64_t key);
/* True if @s has @key. */
int regset_has(const struct regset *s, uint64_t key);

/* Put every entry of @src (may be NULL: nothing) into @dst. -errno. */
int regset_copy(struct regset *dst, const struct regset *src);

/* Walk all entries in insertion order (a replaced key comes where its
 * last put came): start with *@pos = 0; returns 1 with the entry, or 0 at
 * the end. A put during a walk ends what the walk may rely on. */
int regset_next(const struct regset *s, size_t *pos, uint64_t *key,
		const uint8_t **val, uint32_t *len);

#endif
