/* The ABI values: what a guest's saved state depends on of its host, and
 * what a host offers of it. One table (abi.c) for the "abi" set of
 * snapshots, migration streams and host and pool profiles. Portable.
 *
 * For each value the table says:
 *  - its key (enum abi_key), stored in snapshot files and migration
 *    streams: a key is never renumbered nor reused;
 *  - its one name, in the JSON of `itsy inspect` and of profile files
 *    (migration/profile_file.h), and a label for messages and text;
 *  - how it is read from a host or a VM (enum abi_source; done by
 *    profile_read_abi() in arch/arm64/profile.h), and whether a guest's
 *    record holds it or only a host profile;
 *  - how a guest's value is checked against a host's (enum abi_cmp) and
 *    how a pool of hosts combines it (enum abi_pool): compat.c applies
 *    the rules (arch/arm64/compat.h);
 *  - how it is printed (JSON, text).
 *
 * Callers: arch/arm64/ (profile, board_state, compat, inspect) and
 * migration/profile_file.c, which knows the file format and no value. */
#ifndef ITSY_ARM64_ABI_H
#define ITSY_ARM64_ABI_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct regset;

/* Keys of the "abi" set. */
enum abi_key {
	ABI_PAGE_SIZE = 1,
	ABI_IPA_BITS = 2,
	ABI_GITS_IIDR = 3,
	ABI_GICD_IIDR = 4,
	ABI_GICD_TYPER2 = 5,
	ABI_PVTIME_REV = 6,
	ABI_CNTFRQ = 7,
	ABI_NCPUS = 8,
	ABI_KERNEL = 9,
	ABI_GITS_TYPER = 10,
	/* Host profiles only: */
	ABI_GICD_IIDR_REVS = 11,
	ABI_TYPER2_WRITABLE = 12,
	ABI_DIRTY_CAPS = 13,
};

/* Dirty-tracking capabilities, the bits of ABI_DIRTY_CAPS. */
#define ABI_DIRTY_MANUAL_PROTECT	1u	/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 */
#define ABI_DIRTY_RING_ACQ_REL		2u	/* KVM_CAP_DIRTY_LOG_RING_ACQ_REL */
#define ABI_DIRTY_RING_BITMAP		4u	/* KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP */

/* Where a value comes from. */
enum abi_source {
	ABI_SRC_KERNEL,		/* the host kernel's release (uname) */
	ABI_SRC_PAGE_SIZE,	/* the host's page size */
	ABI_SRC_IPA_BITS,	/* the IPA size the memory map asks of KVM */
	ABI_SRC_COUNTER_FREQ,	/* CNTFRQ_EL0 */
	ABI_SRC_VCPUS,		/* the VM's vCPU count */
	ABI_SRC_PVTIME,		/* measured: the stolen-time Revision KVM writes (a
				 * guest's record: only if it has stolen time) */
	ABI_SRC_ITS_REG,	/* the ITS register at offset @arg */
	ABI_SRC_DIST_REG,	/* the distributor register at offset @arg */
	ABI_SRC_DIST_REVS,	/* probed: the revisions of @pair KVM lets userspace set */
	ABI_SRC_DIST_WRITABLE,	/* probed: which bits of @arg userspace may flip in @pair */
	ABI_SRC_DIRTY_CAPS,	/* KVM's dirty-log capabilities */
};

/* How a guest's value is checked against a host's. */
enum abi_cmp {
	ABI_CMP_NONE,		/* not: information, or a host's property */
	ABI_CMP_EQUAL,		/* the same, when the host states one */
	ABI_CMP_EQUAL_NEEDED,	/* the same; a host without one is refused */
	ABI_CMP_EQUAL_VM,	/* the same, but for a profile (it is for any VM) */
	ABI_CMP_REV_AT_MOST,	/* the revision field at most the host's */
	ABI_CMP_REV_ACCEPTED,	/* a revision in the host's @pair mask (none: its own or below) */
	ABI_CMP_WRITABLE,	/* different only in the host's @pair (writable) bits */
};

/* How a pool of hosts combines it. */
enum abi_pool {
	ABI_POOL_SAME,		/* kept when every host has the same, else dropped */
	ABI_POOL_EQUAL,		/* the same on every host, else no pool */
	ABI_POOL_LOWEST_REV,	/* the value of the host with the lowest revision */
	ABI_POOL_COMMON_REV,	/* the highest revision every host accepts; @pair: their mask */
	ABI_POOL_AND_WRITABLE,	/* the AND, where each host can clear its extra bits */
	ABI_POOL_AND,		/* the AND */
	ABI_POOL_DROP,		/* left out (a pool is for any vCPU count) */
	ABI_POOL_NAME,		/* "pool of N hosts" */
	ABI_POOL_PAIRED,	/* made with its @pair */
};

/* How it is printed: JSON integer, "0x" and @width hex digits, string. */
enum abi_print { ABI_DEC, ABI_HEX, ABI_TEXT };

/* What the text form adds after the value. */
enum abi_decode { ABI_DECODE_NONE, ABI_DECODE_REVISION, ABI_DECODE_REV_MASK, ABI_DECODE_DIRTY };

/* Flags. */
#define ABI_HOST_ONLY	1u	/* in host profiles, not in a guest's record */
#define ABI_OPTIONAL	2u	/* older kernels lack it: absent then */

struct abi_entry {
	enum abi_key key;
	const char *name;	/* the JSON name */
	const char *label;	/* for a person: "counter frequency (CNTFRQ_EL0, Hz)" */
	const char *field;	/* with a revision: what it numbers */
	uint32_t len;		/* bytes stored; 0: text */
	enum abi_source source;
	uint32_t arg;
	unsigned flags;
	enum abi_cmp cmp;
	enum abi_pool pool;
	enum abi_key pair;	/* the companion value (accepted revisions, writable bits) */
	enum abi_print print;
	int width;
	enum abi_decode decode;
};

/* The table, *@n entries, in the order values are read and printed. */
const struct abi_entry *abi_table(size_t *n);
/* The entry of @key or of JSON name @name, or NULL. */
const struct abi_entry *abi_find(uint64_t key);
const struct abi_entry *abi_named(const char *name);

/* The Revision field (bits 15..12) of a GIC IIDR, and @iidr with it set. */
unsigned abi_revision(uint64_t iidr);
uint64_t abi_with_revision(uint64_t iidr, unsigned rev);

/* @e's value in @s as text for a person: "0x0000343b (implementation
 * revision 3)", "4096", or "none" when @s lacks it; into @buf. */
const char *abi_format(const struct abi_entry *e, const struct regset *s, char *buf, size_t len);

/* One line per value of @s that the table names: @indent, the label, the
 * value as abi_format() gives it. */
void abi_print(const struct regset *s, FILE *out, const char *indent);

/* How strict the JSON conversions are. ABI_JSON_STRICT (profile files):
 * a key without a name, a value of the wrong type or size, text that is
 * not UTF-8 are refused with a sentence in @err. ABI_JSON_LENIENT
 * (inspect, which shows damaged state): such keys and values are left
 * out, bad text becomes "(not valid text)". */
enum abi_json { ABI_JSON_STRICT, ABI_JSON_LENIENT };

/* @s as a JSON object {name: value}, in @s's order (a new reference), or
 * NULL (with @err when strict; else out of memory). */
json_t *abi_to_json(const struct regset *s, enum abi_json mode, char *err, size_t errlen);

/* Fill @s from such an object (a number may also be a "0x" hex string).
 * 0, -EINVAL with a sentence in @err naming the value (strict), -ENOMEM. */
int abi_from_json(json_t *o, struct regset *s, enum abi_json mode, char *err, size_t errlen);

#endif
