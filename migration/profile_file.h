/* Profile files: a host or pool profile (arch/arm64/compat.h: sets "abi",
 * "vcpu.0" and COMPAT_WRITABLE) as JSON, for `itsy host-profile --json`,
 * `itsy profile intersect|check` and `itsy run --profile`. Portable.
 *
 * The format, one JSON object:
 *   {"format": "itsy-profile", "version": 1, "arch": "arm64",
 *    "abi": {"page_size": 4096, "ipa_bits": 40, "kernel": "6.12.0", ...},
 *    "vcpu": {"0x603000000013c020": "0x1101000010111111", ...},
 *    "writable": {"0x603000000013c020": "0x0000000f00000000", ...}}
 *  - "abi": the ABI values by the names of arch/arm64/abi.h's table
 *    (kernel, page_size, ipa_bits, cntfrq, ncpus, pvtime_rev, gits_iidr,
 *    gits_typer, gicd_iidr, gicd_iidr_revs, gicd_typer2, typer2_writable,
 *    dirty_caps), printed as the table says: counts as JSON integers,
 *    registers and masks as "0x..." strings, the kernel release as a
 *    string. Any number is read as either (files before the table wrote
 *    integers only);
 *  - "vcpu": register id -> value. Ids are "0x" and 16 hex digits (read:
 *    1 to 16). An 8-byte value is "0x" and 16 hex digits (read: 1 to 16);
 *    a value of any other size (SVE, 128-bit registers) is "bytes:" and
 *    two hex digits per byte, in the order stored (little-endian);
 *  - "writable": optional (absent: the profile has no such set); register
 *    id -> mask, as in "vcpu".
 * Objects keep their order, so the register list reads back in the order
 * it was written. Other sets of the list are not written. A reader refuses
 * another format, version or arch, an unknown abi name, a value that does
 * not fit, bad hex, a duplicate register and a missing "abi" or "vcpu". */
#ifndef ITSY_PROFILE_FILE_H
#define ITSY_PROFILE_FILE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct regset_list;

#define PROFILE_FILE_FORMAT	"itsy-profile"
#define PROFILE_FILE_VERSION	1
#define PROFILE_FILE_ARCH	"arm64"

/* @p as a JSON object (a new reference), or NULL with a sentence in @err:
 * no "abi" or "vcpu.0" set, an abi key the table has no name for, a
 * kernel release that is not UTF-8, or no memory. */
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
