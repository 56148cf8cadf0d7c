/* The arm64 part of `itsy inspect`: what a snapshot's board sections
 * ("abi", "vcpu.N", "gic.dist", "gic.redist.N", "gic.cpu.N", "its") and the
 * ITS tables in its guest RAM say, decoded into a JSON object for a person
 * or a tool. Only this file knows the registers; migration/inspect.c prints
 * the object. Read-only: nothing here touches KVM. */
#ifndef ITSY_ARM64_INSPECT_H
#define ITSY_ARM64_INSPECT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct regset_list;
struct guest_mem;

/*
 * Fill @out with:
 *  "abi":   the saved ABI values by their names in arch/arm64/abi.h's
 *           table ("kernel", "page_size", "ipa_bits", "cntfrq", "ncpus",
 *           "pvtime_rev", "gits_iidr", "gits_typer", "gicd_iidr",
 *           "gicd_typer2"; what the state lacks is absent), printed as
 *           the table says (registers as hex strings), and
 *           "its_table_abi_rev" (GITS_IIDR's revision);
 *  "source": the saving host: "kernel", "page_size", "ipa_bits" of "abi";
 *  "vcpus": [{index, mpidr, pc, pstate, el, mp_state; with PV stolen
 *           time also pvtime_ipa, pvtime_revision, stolen_ns}];
 *  "implementations": [{midr, revidr, aidr}], the target implementations
 *           the guest is told of (arch/arm64/impl.h), when it is;
 *  "gic":   {gicd_ctlr, spis, spis_enabled, spis_pending, enabled_spis,
 *           pending_spis, redistributors: [{vcpu, gicr_ctlr, lpis_enabled,
 *           propbaser, lpi_id_bits, prop_table, pendbaser, pend_table,
 *           icc_pmr, icc_igrpen1}]};
 *  "its":   {gits_ctlr, enabled, gits_iidr, gits_typer, device_id_bits,
 *           event_id_bits, gits_cbaser, gits_cwriter, gits_creadr,
 *           gits_translater (the MSI doorbell's guest physical address),
 *           command_queue, tables: [BASERn decoded], and from the table
 *           walk over @ram: collections: [{icid, target_vcpu}], devices:
 *           [{device_id, itt, event_bits, events: [{event_id, lpi, icid,
 *           target_vcpu, lpi_enabled, lpi_priority, lpi_pending}]}]; or
 *           "error": why the tables are not valid (the validator's message)
 *           or were not read (@ram NULL)}.
 * A missing section leaves an "error" in its part instead.
 * Returns 0 if the state looks restorable; -EINVAL with the first problem
 * found in @err (@out is filled all the same); -ENOMEM. */
int arm64_inspect(const struct regset_list *l, const struct guest_mem *ram, json_t *out,
		  char *err, size_t errlen);

/* The inspector's JSON conventions, shared with migration/inspect.c:
 * registers as "0x"-prefixed hex strings of @width digits, counts as
 * integers. */
json_t *inspect_hex(uint64_t v, int width);
void inspect_set_hex(json_t *o, const char *key, uint64_t v, int width);
void inspect_set_int(json_t *o, const char *key, uint64_t v);
/* Reading such objects back: a missing string is "?", a missing number 0. */
const char *inspect_str(json_t *o, const char *key);
long long inspect_int(json_t *o, const char *key);
int inspect_bool(json_t *o, const char *key);
/* The element of @array whose string @key is @value, or NULL. */
json_t *inspect_find(json_t *array, const char *key, const char *value);
/* "vCPU N", or "no vCPU" for a collection mapped to none, into @buf. */
const char *inspect_target(json_t *t, char *buf, size_t len);
/* "64 KiB", "1.5 MiB", ... into @buf. */
const char *inspect_size(long long bytes, char *buf, size_t len);

/* 0, or -EINVAL with a sentence in @msg when @board's vCPU count (its
 * "abi") is not the snapshot's configured @vcpus. */
int arm64_inspect_vcpus(json_t *board, long long vcpus, char *msg, size_t len);

/* An MSI that PCI requester @device_id writes, with @data, to @address,
 * against the ITS of @root (as migration/inspect.c builds it, with the
 * board's part):
 *  arm64_inspect_msi: where it goes, for a person, into @buf: "EventID 3
 *  -> LPI 8195 -> vCPU 1", or "EventID 3 (not mapped in the ITS)";
 *  arm64_inspect_msi_check: -EINVAL with why it would be lost after a
 *  restore into @buf (not written to GITS_TRANSLATER, or an event the ITS
 *  tables do not map), else 0. */
const char *arm64_inspect_msi(json_t *root, const char *device_id, long long data, char *buf,
			      size_t len);
int arm64_inspect_msi_check(json_t *root, const char *device_id, const char *address,
			    long long data, char *buf, size_t len);

/* The "source host" line of the text report. */
void arm64_inspect_print_source(json_t *root);

/* Print the ABI, vCPU, GIC and ITS parts of an inspected snapshot (@root
 * as migration/inspect.c builds it, devices included for the ITS's
 * DeviceID owners) for a person. */
void arm64_inspect_print(json_t *root);

#endif
