/* Profile files: a host or pool profile (arch/arm64/compat.h: sets "abi",
 * "vcpu.0", COMPAT_WRITABLE and COMPAT_IMPL) as JSON, for `itsy
 * host-profile --json`, `itsy profile intersect|check` and `itsy run
 * --profile`. Portable.
 *
 * The format, one JSON object, made to be read and edited by a person:
 *   {"format": "itsy-profile", "version": 2, "arch": "arm64",
 *    "abi": {"page_size": 4096, "ipa_bits": 40, "kernel": "6.12.0", ...},
 *    "vcpu": {
 *      "ID_AA64PFR0_EL1": {"id": "0x603000000013c020",
 *                          "value": "0x1101000110111111",
 *                          "fields": {"EL0": 1, "EL1": 1, ..., "SVE": 1, ...}},
 *      "KVM_REG_ARM_STD_BMAP": {"id": "0x6030000000160000",
 *                               "value": "0x0000000000000001",
 *                               "bits": {"TRNG_V1_0": true}},
 *      "0x603000000013c080": "0x0000000030d00980", ...},
 *    "writable": {"ID_AA64PFR0_EL1": {"id": ..., "value": "0x0000000f00000000",
 *                                     "fields": {..., "SVE": 15, ...}}, ...},
 *    "implementations": [{"MIDR_EL1": "0x00000000414fd0c1",
 *                         "REVIDR_EL1": "0x0000000000000000",
 *                         "AIDR_EL1": "0x0000000000000000"}, ...]}
 *  - "abi": the ABI values by the names of arch/arm64/abi.h's table
 *    (kernel, page_size, ipa_bits, cntfrq, ncpus, pvtime_rev, gits_iidr,
 *    gits_typer, gicd_iidr, gicd_iidr_revs, gicd_typer2, typer2_writable,
 *    dirty_caps), printed as the table says: counts as JSON integers,
 *    registers and masks as "0x..." strings, the kernel release as a
 *    string. Any number is read as either (files before the table wrote
 *    integers only);
 *  - "vcpu": the registers. A register arch/arm64/idreg.h names (ID
 *    registers, firmware pseudo-registers; all 8 bytes) is keyed by its
 *    name, an object of: "id", its KVM id; "value", "0x" and 16 hex digits; and
 *    "fields" (an ID register's 4-bit fields the table names, each an
 *    integer 0 to 15) or "bits" (a firmware bitmap's bits it names, each
 *    true or false), left out where the table names none. Any other
 *    register is keyed by its id, "0x" and 16 hex digits, and its value
 *    is "0x" and 16 hex digits if 8 bytes, else (SVE, 128-bit registers)
 *    "bytes:" and two hex digits per byte, in the order stored
 *    (little-endian);
 *  - "writable": optional (absent: the profile has no such set); masks,
 *    keyed and written as in "vcpu" (a field of a mask is 15 where
 *    userspace may lower it, 0 where not);
 *  - "implementations": optional (absent or [], written only when the
 *    set has some: the profile has no COMPAT_IMPL set); the CPU
 *    implementations the pool's guests are told they may run on (KVM's
 *    DISCOVER_IMPL_CPUS hypercall), at most COMPAT_IMPL_MAX, each once:
 *    entry i is the set's key i, an object of exactly "MIDR_EL1" (32 bits),
 *    "REVIDR_EL1" and "AIDR_EL1", each "0x" and 16 hex digits (1 to 16
 *    read); key i's value is the three as little-endian u64s, in that
 *    order.
 * Reading a named register: its value is "value", then each field in
 * "fields" (bit in "bits") replaces those bits of it. The names are what
 * count: a person lowers SVE with "SVE": 0 and need not touch "value",
 * which then still shows the old field and matters only for the bits no
 * field names (0 where "value" is left out: "fields" or "bits" alone are
 * enough). "id", if given, must be the name's. Ids are read with 1 to 16
 * hex digits, as are 8-byte values. Either form of key is read in
 * either version: version 1 (itsy before names) wrote ids only; 2 is
 * another number so that an older itsy refuses a file it cannot read.
 *
 * Objects keep their order, named and id-keyed registers alike, so the
 * register list reads back in the order it was written. Other sets of
 * the list are not written. A reader refuses another format, arch or
 * version (it reads 1 and 2), an unknown abi name, a value that does not
 * fit, bad hex, a missing "abi" or "vcpu", an unknown register name, an
 * unknown field or bit name, a field not an integer 0 to 15, a bit not
 * true or false, an "id" not the name's, a register given twice (by
 * name and by id), and "implementations" that is not an array, has more
 * than COMPAT_IMPL_MAX entries, an entry not an object, a register
 * missing or unknown in one, a value not "0x" and 1 to 16 hex digits, a
 * MIDR_EL1 above 0xffffffff, or an implementation given twice (all three
 * registers equal). */
#ifndef ITSY_PROFILE_FILE_H
#define ITSY_PROFILE_FILE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct regset_list;

#define PROFILE_FILE_FORMAT	"itsy-profile"
#define PROFILE_FILE_VERSION	2	/* written */
#define PROFILE_FILE_VERSION_OLDEST	1	/* read, and every one up to the written */
#define PROFILE_FILE_ARCH	"arm64"

/* @p as a JSON object (a new reference), or NULL with a sentence in @err:
 * no "abi" or "vcpu.0" set, an abi key the table has no name for, a
 * kernel release that is not UTF-8, a COMPAT_IMPL set that is not keys
 * 0 to n-1 (n at most COMPAT_IMPL_MAX) of 24 bytes each, all different,
 * or no memory. */
json_t *profile_to_json(const struct regset_list *p, char *err, size_t errlen);

/* Fill @p (empty) from @j. 0, or -EINVAL with a sentence in @err naming
 * the key (then @p is left empty), or -ENOMEM. */
int profile_from_json(json_t *j, struct regset_list *p, char *err, size_t errlen);

/* @p to @out, indented, with a final newline. 0 or -errno with @err. */
int profile_file_write(const struct regset_list *p, FILE *out, char *err, size_t errlen);

/* Read the profile file at @path into @p (empty). 0, or -errno with a
 * sentence in @err that starts with @path (then @p is left empty). */
int profile_file_read(const char *path, struct regset_list *p, char *err, size_t errlen);

#endif
