/* Saved-state key numbers. Keys are written into snapshot files and
 * migration streams, so their numbers are an on-disk format: every key
 * of every section is listed here with the number files already hold, and
 * a key renumbered in its header (or a new one placed on an old number)
 * fails. A new key gets a new number and a line here; an old one keeps
 * both for good.
 *
 * Not here: the "abi" section's keys (arch/arm64/board.h, being reworked),
 * and keys that are not ours to number (vCPU registers by KVM register
 * id, GIC and ITS registers by offset). */
#include "arch/arm64/vcpu_state.h"
#include "devices/rtc/pl031.h"
#include "devices/serial/ns16550.h"
#include "devices/virtio/pci.h"
#include "devices/watchdog/sbsa_gwdt.h"
#include "migration/config_state.h"
#include "migration/snapshot.h"
#include "vmm/config.h"

#include <stdint.h>
#include <stdio.h>

#include "tests/unit/unit.h"

struct key {
	const char *name;
	uint64_t got;		/* the header's value */
	uint64_t want;		/* the number in saved files */
};

#define KEY(name, want)	{ #name, (name), (want) }
#define N(a)		(sizeof(a) / sizeof((a)[0]))

static char problem[160];

/* The first key of @k that is not the number saved files have, or shares
 * one with another: 1 with a message in problem[], or 0. */
static int keys_wrong(const struct key *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (k[i].got != k[i].want) {
			snprintf(problem, sizeof(problem), "%s is %#llx; saved files have it as %#llx",
				 k[i].name, (unsigned long long)k[i].got, (unsigned long long)k[i].want);
			return 1;
		}
		for (size_t j = 0; j < i; j++)
			if (k[i].got == k[j].got) {
				snprintf(problem, sizeof(problem), "%s and %s are both %#llx",
					 k[j].name, k[i].name, (unsigned long long)k[i].got);
				return 1;
			}
	}
	return 0;
}

#define PINNED(table)	ck_assert_msg(!keys_wrong(table, N(table)), "%s", problem)

/* "dev.N.virtio-pci" */
static const struct key virtio_pci[] = {
	KEY(K_CFG, 1), KEY(K_MSIX_TABLE, 2), KEY(K_MSIX_PBA, 3),
	KEY(K_DFSELECT, 4), KEY(K_GFSELECT, 5), KEY(K_FEATURES, 6), KEY(K_CONFIG_VECTOR, 7),
	KEY(K_QUEUE_SEL, 8), KEY(K_STATUS, 9), KEY(K_ISR, 10), KEY(K_GENERATION, 11),
	KEY(K_QUEUE, 0x100),
};

/* ... queue q's registers: K_QUEUE + 16 * q + field */
static const struct key virtio_pci_queue[] = {
	KEY(Q_SIZE, 0), KEY(Q_VECTOR, 1), KEY(Q_ENABLE, 2), KEY(Q_DESC, 3),
	KEY(Q_AVAIL, 4), KEY(Q_USED, 5), KEY(Q_LAST_AVAIL, 6), KEY(Q_USED_IDX, 7),
};

/* "config" */
static const struct key config[] = {
	KEY(CFG_CPUS, 1), KEY(CFG_MEM, 2), KEY(CFG_PMU, 3), KEY(CFG_WATCHDOG, 4),
	KEY(CFG_CONSOLE, 6), KEY(CFG_NDEVICES, 0x10), KEY(CFG_SVE_VL, 0x11),
	KEY(CFG_DEV_KIND, 0x300), KEY(CFG_DEV_ARG, 0x340),
	/* version 1 */
	KEY(CFG_RNG, 5), KEY(CFG_VSOCK, 7), KEY(CFG_NDISKS, 8), KEY(CFG_NNICS, 9),
	KEY(CFG_DISK_PATH, 0x100), KEY(CFG_DISK_RO, 0x140),
	KEY(CFG_NIC_TAP, 0x200), KEY(CFG_NIC_MAC, 0x240), KEY(CFG_NIC_HAS_MAC, 0x280),
};

/* "time" */
static const struct key time_keys[] = {
	KEY(SNAPSHOT_TIME_REALTIME_NS, 1),
};

/* "vcpu.N", besides the KVM register ids */
static const struct key vcpu[] = {
	KEY(VCPU_KEY_MP_STATE, 1),
};

/* "dev.N.ns16550" */
static const struct key ns16550[] = {
	KEY(NS16550_KEY_IER, 1), KEY(NS16550_KEY_LCR, 2), KEY(NS16550_KEY_MCR, 3),
	KEY(NS16550_KEY_FCR, 4), KEY(NS16550_KEY_SCR, 5), KEY(NS16550_KEY_DLL, 6),
	KEY(NS16550_KEY_DLM, 7), KEY(NS16550_KEY_THRI, 8), KEY(NS16550_KEY_RX, 9),
};

/* "dev.N.pl031" */
static const struct key pl031[] = {
	KEY(PL031_KEY_OFFSET, 1), KEY(PL031_KEY_LR, 2), KEY(PL031_KEY_MR, 3),
	KEY(PL031_KEY_IMSC, 4), KEY(PL031_KEY_RIS, 5), KEY(PL031_KEY_COUNTED, 6),
};

/* "dev.N.sbsa-gwdt" */
static const struct key gwdt[] = {
	KEY(GWDT_KEY_WCS, 1), KEY(GWDT_KEY_WOR, 2), KEY(GWDT_KEY_LEFT, 3),
};

START_TEST(virtio_pci_keys)
{
	PINNED(virtio_pci);
	PINNED(virtio_pci_queue);
	/* Queue keys lie above the scalars, and each queue's apart from the
	 * next one's: every field fits the stride of 16. */
	ck_assert_uint_gt(K_QUEUE, K_GENERATION);
	ck_assert_uint_lt(Q_USED_IDX, 16);
}
END_TEST

START_TEST(config_keys)
{
	PINNED(config);
	/* Per-device ranges do not run into each other, nor into the
	 * version-1 ranges (0x40 wide each) that old files still hold. */
	ck_assert_uint_gt(CFG_DEV_KIND, CFG_NIC_HAS_MAC + 0x40 - 1);
	ck_assert_uint_le(CFG_DEV_KIND + CONFIG_MAX_DEVICES, CFG_DEV_ARG);
	ck_assert_uint_le(CONFIG_MAX_DEVICES, 0x40);
}
END_TEST

START_TEST(time_and_vcpu_keys)
{
	PINNED(time_keys);
	PINNED(vcpu);
	/* KVM register ids carry the architecture in their top byte, so the
	 * mp_state key is none of them. */
	ck_assert_uint_eq(VCPU_KEY_MP_STATE >> 56, 0);
}
END_TEST

START_TEST(device_keys)
{
	PINNED(ns16550);
	PINNED(pl031);
	PINNED(gwdt);
}
END_TEST

/* The check itself: a renumbered or doubled key is caught, by name. */
START_TEST(check_catches)
{
	static const struct key moved[] = { { "K_CFG", 1, 1 }, { "K_FEATURES", 7, 6 } };
	static const struct key twice[] = { { "A", 3, 3 }, { "B", 4, 4 }, { "C", 3, 3 } };

	ck_assert_int_eq(keys_wrong(moved, N(moved)), 1);
	ck_assert_str_eq(problem, "K_FEATURES is 0x7; saved files have it as 0x6");
	ck_assert_int_eq(keys_wrong(twice, N(twice)), 1);
	ck_assert_str_eq(problem, "A and C are both 0x3");
	ck_assert_int_eq(keys_wrong(twice, 2), 0);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("state_keys");

	UNIT_TCASE(su, "pinned", virtio_pci_keys, config_keys, time_and_vcpu_keys, device_keys,
		   check_catches);
	return unit_run(su);
}
