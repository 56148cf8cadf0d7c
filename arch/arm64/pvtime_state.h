/* PV stolen time's saved form (Documentation/virt/kvm/arm/pvtime.rst).
 * Portable: it only knows the bytes of the region, not KVM.
 *
 * The region (memmap MM_PVTIME) holds one PVTIME_STRIDE-byte structure
 * per vCPU, vCPU i's at offset i * PVTIME_STRIDE. KVM writes them (the
 * guest only reads): Revision (u32 LE, offset 0), Attributes (u32 LE,
 * 4), Stolen time in ns (u64 LE, 8); the rest is reserved.
 *
 * The region is not guest RAM, so it travels as its own section,
 * PVTIME_SECTION version 1, of explicit fields:
 *   PVT_BASE          the region's guest address (8 bytes)
 *   PVT_NCPUS         structures in it (4)
 *   PVT_REV + i       vCPU i's Revision (4)
 *   PVT_ATTR + i      vCPU i's Attributes (4)
 *   PVT_STOLEN + i    vCPU i's Stolen time (8)
 */
#ifndef ITSY_ARM64_PVTIME_STATE_H
#define ITSY_ARM64_PVTIME_STATE_H

#include <stddef.h>
#include <stdint.h>

struct regset;

#define PVTIME_SECTION		"pvtime"
#define PVTIME_VERSION		1
#define PVTIME_STRIDE		64

enum pvtime_key {
	PVT_BASE = 1,
	PVT_NCPUS = 2,
	PVT_REV = 0x1000,
	PVT_ATTR = 0x2000,
	PVT_STOLEN = 0x3000,
};

/* The fields of vCPU @cpu's structure in @region. Safe while the vCPU
 * runs (each field is read once, aligned). */
uint32_t pvtime_revision_of(const uint8_t *region, unsigned cpu);
uint64_t pvtime_stolen_of(const uint8_t *region, unsigned cpu);

/* The @ncpus structures of @region, at guest address @base, into @s.
 * -ENOMEM. */
int pvtime_state_save(const uint8_t *region, uint64_t base, unsigned ncpus, struct regset *s);

/* Check @s (hostile: a snapshot file, a migration stream) against a
 * region at @base for @ncpus vCPUs, and only then write its structures
 * into @region (@ncpus * PVTIME_STRIDE bytes, reserved bytes zeroed).
 * -EINVAL with a sentence in @err naming the field. */
int pvtime_state_load(const struct regset *s, uint64_t base, unsigned ncpus, uint8_t *region,
		      char *err, size_t len);

#endif
