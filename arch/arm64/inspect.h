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
 *  "abi":   the saved ABI values by name (registers as hex strings), e.g.
 *           "page_size", "ipa_bits", "kernel", "cntfrq_hz", "vcpus",
 *           "gits_iidr", "its_table_abi_rev", "gits_typer", "gicd_iidr",
 *           "gicd_typer2" (absent when the source kernel had none);
 *  "vcpus": [{index, mpidr, pc, pstate, el, mp_state}];
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

/* Print the ABI, vCPU, GIC and ITS parts of an inspected snapshot (@root
 * as migration/inspect.c builds it, devices included for the ITS's
 * DeviceID owners) for a person. */
void arm64_inspect_print(json_t *root);

#endif
