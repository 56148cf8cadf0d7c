/* The virtio-pci transport (devices/virtio/pci.c) driven as a guest drives
 * it: config space through the ECAM window and BAR 0 through the MMIO bus,
 * with mmio_dispatch() and every access width a vCPU can issue. Only KVM's
 * interrupt plumbing is faked (tests/unit/fake_irq.c). The device behind
 * it is a probe backend that counts what the transport asks of it. */
#include "devices/pci/host.h"
#include "devices/virtio/pci.h"
#include "devices/virtio-rng/rng.h"
#include "devices/virtio/virtio.h"
#include "tests/unit/fake_irq.h"
#include "vmm/regset.h"
#include "vmm/vm.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "tests/unit/unit.h"

#define RAM_BASE	0x40000000ull
#define RAM_SIZE	(16ull << 20)
#define ECAM_BASE	0x30000000ull
#define ECAM_SIZE	(1ull << 20)
#define BAR_A		0x20000000ull	/* where the tests map BAR 0 */
#define BAR_B		0x20010000ull
#define NOTIFY		0x3000		/* BAR 0 layout, as pci.c has it */
#define MSIX_TABLE	0x4000
#define QSIZE		8

#define CC(f)		offsetof(struct virtio_pci_common_cfg, f)
#define CC_LEN(f)	sizeof(((struct virtio_pci_common_cfg *)0)->f)
#define S_UP		(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER)
#define S_FEAT		(S_UP | VIRTIO_CONFIG_S_FEATURES_OK)
#define S_RUN		(S_FEAT | VIRTIO_CONFIG_S_DRIVER_OK)

static struct vm vm;
static struct pci_host *host;

/* ---- the probe backend ---- */

static struct {
	int starts, kicks, resets;
	void (*during_reset)(void);
} probe;

static int probe_start(struct virtio_dev *d)
{
	(void)d;
	probe.starts++;
	return 0;
}

static void probe_kick(struct virtio_dev *d, unsigned q)
{
	(void)d;
	(void)q;
	__atomic_add_fetch(&probe.kicks, 1, __ATOMIC_SEQ_CST);
}

static void probe_reset(struct virtio_dev *d)
{
	void (*fn)(void) = probe.during_reset;

	(void)d;
	probe.resets++;
	probe.during_reset = NULL;
	if (fn)
		fn();
}

static void probe_config(struct virtio_dev *d, uint8_t *buf)
{
	(void)d;
	memset(buf, 0x5a, 8);
}

static const struct virtio_backend probe_backend = {
	.name = "probe", .device_id = 4, .nqueues = 2, .queue_max = QSIZE,
	.config_size = 8, .config = probe_config, .start = probe_start,
	.kick = probe_kick, .reset = probe_reset,
};

/* The same served by the host kernel (vhost): no thread, and a restore
 * starts it (probe_start) in load. */
static const struct virtio_backend probe_vhost_backend = {
	.name = "probe-vhost", .device_id = 4, .nqueues = 2, .queue_max = QSIZE,
	.own_kicks = 1, .config_size = 8, .config = probe_config, .start = probe_start,
	.kick = probe_kick, .reset = probe_reset,
};

/* ---- guest accesses ---- */

/* One access of @len bytes at guest address @addr; the 8 data bytes as
 * the vCPU would see them (0xaa where the handler wrote nothing). */
static uint64_t access8(uint64_t addr, unsigned len, int is_write, uint64_t val)
{
	uint8_t data[8];
	uint64_t out;

	memset(data, 0xaa, sizeof(data));
	if (is_write)
		memcpy(data, &val, len);
	ck_assert_int_eq(mmio_dispatch(&vm.mmio, addr, data, len, is_write), 0);
	memcpy(&out, data, sizeof(out));
	return out;
}

static uint64_t rd(uint64_t addr, unsigned len)
{
	uint64_t v = access8(addr, len, 0, 0);

	return len == 8 ? v : v & ((1ull << (8 * len)) - 1);
}

static void wr(uint64_t addr, unsigned len, uint64_t val)
{
	access8(addr, len, 1, val);
}

static uint64_t cfg(unsigned slot, unsigned reg)
{
	return ECAM_BASE + ((uint64_t)slot << 15) + reg;
}

/* The guest places BAR 0 of the device in @slot at @addr and decodes it. */
static void map_bar(unsigned slot, uint64_t addr)
{
	wr(cfg(slot, PCI_BASE_ADDRESS_0), 4, (uint32_t)addr);
	wr(cfg(slot, PCI_BASE_ADDRESS_1), 4, addr >> 32);
	wr(cfg(slot, PCI_COMMAND), 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

static uint64_t ring(unsigned q, unsigned which)
{
	return RAM_BASE + q * 0x4000ull + which * 0x1000ull;
}

/* Feature negotiation: VERSION_1 only. */
static void features(uint64_t bar)
{
	wr(bar + CC(device_status), 1, S_UP);
	wr(bar + CC(guest_feature_select), 4, 1);
	wr(bar + CC(guest_feature), 4, 1);	/* bit 32: VIRTIO_F_VERSION_1 */
	wr(bar + CC(device_status), 1, S_FEAT);
	ck_assert_uint_eq(rd(bar + CC(device_status), 1), S_FEAT);
}

/* Queue @q set up at ring(q, ...) and enabled. */
static void queue_setup(uint64_t bar, unsigned q)
{
	wr(bar + CC(queue_select), 2, q);
	wr(bar + CC(queue_size), 2, QSIZE);
	wr(bar + CC(queue_desc_lo), 4, (uint32_t)ring(q, 0));
	wr(bar + CC(queue_desc_hi), 4, ring(q, 0) >> 32);
	wr(bar + CC(queue_avail_lo), 4, (uint32_t)ring(q, 1));
	wr(bar + CC(queue_avail_hi), 4, ring(q, 1) >> 32);
	wr(bar + CC(queue_used_lo), 4, (uint32_t)ring(q, 2));
	wr(bar + CC(queue_used_hi), 4, ring(q, 2) >> 32);
	wr(bar + CC(queue_enable), 2, 1);
}

/* Feature negotiation and both queues set up. */
static void negotiate(uint64_t bar)
{
	features(bar);
	for (unsigned q = 0; q < 2; q++)
		queue_setup(bar, q);
}

static void start_device(uint64_t bar)
{
	negotiate(bar);
	wr(bar + CC(device_status), 1, S_RUN);
}

static void setup(void)
{
	fake_irq_reset();
	memset(&vm, 0, sizeof(vm));
	memset(&probe, 0, sizeof(probe));
	mmio_init(&vm.mmio);
	irq_init(&vm.routes, &vm.kvm);
	ck_assert_int_eq(mem_alloc(&vm.ram, RAM_BASE, RAM_SIZE), 0);
	ck_assert_int_eq(pci_host_create(&vm, ECAM_BASE, ECAM_SIZE, &host), 0);
	ck_assert_int_eq(virtio_pci_create(&vm, host, "probe", &probe_backend, NULL), 0);	/* slot 1 */
	map_bar(1, BAR_A);
}

/* ---- access widths ---- */

/* Is (@off, @len) one of the common configuration's fields? */
static int is_field(unsigned off, unsigned len)
{
	static const unsigned f[][2] = {
		{ CC(device_feature_select), 4 }, { CC(device_feature), 4 },
		{ CC(guest_feature_select), 4 }, { CC(guest_feature), 4 },
		{ CC(msix_config), 2 }, { CC(num_queues), 2 }, { CC(device_status), 1 },
		{ CC(config_generation), 1 }, { CC(queue_select), 2 }, { CC(queue_size), 2 },
		{ CC(queue_msix_vector), 2 }, { CC(queue_enable), 2 }, { CC(queue_notify_off), 2 },
		{ CC(queue_desc_lo), 4 }, { CC(queue_desc_hi), 4 }, { CC(queue_avail_lo), 4 },
		{ CC(queue_avail_hi), 4 }, { CC(queue_used_lo), 4 }, { CC(queue_used_hi), 4 },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i][0] == off && f[i][1] == len)
			return 1;
	return 0;
}

/* Every offset and width of the common configuration: a read of anything
 * that is not a field returns all 8 data bytes zero (nothing of the host
 * leaks into the bytes a wide load returns), and a field's read fills its
 * width and zeroes the rest. */
START_TEST(common_cfg_every_width_reads)
{
	static const unsigned widths[] = { 1, 2, 4, 8 };

	for (unsigned off = 0; off < 0x40; off++)
		for (unsigned w = 0; w < 4; w++) {
			unsigned len = widths[w];
			uint64_t v = access8(BAR_A + off, len, 0, 0);
			uint64_t beyond = len == 8 ? 0 : v >> (8 * len);

			ck_assert_msg(len == 8 ? 1 : beyond == 0xaaaaaaaaaaaaaaaaull >> (8 * len),
				      "read of %u at 0x%x wrote past its width", len, off);
			if (!is_field(off, len))
				ck_assert_msg((len == 8 ? v : v & ((1ull << (8 * len)) - 1)) == 0,
					      "read of %u at 0x%x: 0x%llx, not 0", len, off,
					      (unsigned long long)v);
		}
}
END_TEST

/* A 64-bit store over a pair of 32-bit fields (or anywhere) changes
 * nothing: fields are written at their own width only. */
START_TEST(common_cfg_wide_writes_ignored)
{
	wr(BAR_A + CC(device_status), 1, S_UP);
	wr(BAR_A + CC(queue_select), 2, 0);
	for (unsigned off = 0; off < 0x40; off += 4)
		wr(BAR_A + off, 8, 0x1122334455667788ull);
	ck_assert_uint_eq(rd(BAR_A + CC(queue_desc_lo), 4), 0);
	ck_assert_uint_eq(rd(BAR_A + CC(queue_desc_hi), 4), 0);
	ck_assert_uint_eq(rd(BAR_A + CC(guest_feature), 4), 0);
	ck_assert_uint_eq(rd(BAR_A + CC(device_status), 1), S_UP);
	ck_assert_uint_eq(rd(BAR_A + CC(queue_size), 2), QSIZE);
}
END_TEST

/* Accesses that straddle two regions of BAR 0, or run past its end, are
 * refused by the BAR (zero), not split. */
START_TEST(bar_straddling_access)
{
	ck_assert_uint_eq(access8(BAR_A + 0x0ffc, 8, 0, 0), 0);
	ck_assert_uint_eq(access8(BAR_A + 0x7ffc, 4, 0, 0) & 0xffffffff, 0);
	wr(BAR_A + MSIX_TABLE - 4, 8, ~0ull);
	ck_assert_uint_eq(rd(BAR_A + MSIX_TABLE, 4), 0);
}
END_TEST

/* An 8-byte ECAM access is not a config access: reads all ones, and the
 * config space is untouched by the write. */
START_TEST(ecam_wide_access)
{
	uint64_t id = rd(cfg(1, PCI_VENDOR_ID), 4);

	ck_assert_uint_eq(access8(cfg(1, PCI_VENDOR_ID), 8, 0, 0), ~0ull);
	wr(cfg(1, PCI_COMMAND), 8, 0);
	ck_assert_uint_eq(rd(cfg(1, PCI_VENDOR_ID), 4), id);
	ck_assert_uint_ne(rd(cfg(1, PCI_COMMAND), 2) & PCI_COMMAND_MEMORY, 0);
}
END_TEST

/* ---- status ---- */

/* DRIVER_OK starts the device once per reset: taken back and set again
 * without a reset, it starts nothing more and the device asks for the
 * reset; after a real reset it starts again. */
START_TEST(driver_ok_once_per_reset)
{
	start_device(BAR_A);
	ck_assert_int_eq(probe.starts, 1);
	wr(BAR_A + CC(device_status), 1, S_FEAT);
	ck_assert_uint_eq(rd(BAR_A + CC(device_status), 1), S_RUN | VIRTIO_CONFIG_S_NEEDS_RESET);
	wr(BAR_A + CC(device_status), 1, S_RUN);
	wr(BAR_A + CC(device_status), 1, S_FEAT);
	wr(BAR_A + CC(device_status), 1, S_RUN);
	ck_assert_int_eq(probe.starts, 1);
	wr(BAR_A + CC(device_status), 1, 0);
	ck_assert_uint_eq(rd(BAR_A + CC(device_status), 1), 0);
	ck_assert_int_eq(probe.resets, 1);
	start_device(BAR_A);
	ck_assert_int_eq(probe.starts, 2);
	ck_assert_uint_eq(rd(BAR_A + CC(device_status), 1), S_RUN);
}
END_TEST

START_TEST(driver_ok_without_features_ok)
{
	wr(BAR_A + CC(device_status), 1, S_UP);
	wr(BAR_A + CC(device_status), 1, S_UP | VIRTIO_CONFIG_S_DRIVER_OK);
	ck_assert_int_eq(probe.starts, 0);
	ck_assert_uint_ne(rd(BAR_A + CC(device_status), 1) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
}
END_TEST

/* FEATURES_OK, once accepted, stays until a reset: the features are fixed
 * from then on (the running device has them, and a snapshot restores them
 * from guest_feature). A write that clears it keeps it, as it keeps
 * DRIVER_OK, and the device asks for the reset. */
START_TEST(features_fixed_until_reset)
{
	start_device(BAR_A);
	wr(BAR_A + CC(device_status), 1, S_UP);
	ck_assert_uint_eq(rd(BAR_A + CC(device_status), 1), S_RUN | VIRTIO_CONFIG_S_NEEDS_RESET);
	wr(BAR_A + CC(guest_feature_select), 4, 1);
	wr(BAR_A + CC(guest_feature), 4, 0);
	ck_assert_uint_eq(rd(BAR_A + CC(guest_feature), 4), 1);	/* VERSION_1 kept */
	/* Before DRIVER_OK too. */
	wr(BAR_A + CC(device_status), 1, 0);
	negotiate(BAR_A);
	wr(BAR_A + CC(device_status), 1, S_UP);
	ck_assert_uint_eq(rd(BAR_A + CC(device_status), 1), S_FEAT | VIRTIO_CONFIG_S_NEEDS_RESET);
	wr(BAR_A + CC(guest_feature), 4, 0);
	ck_assert_uint_eq(rd(BAR_A + CC(guest_feature), 4), 1);
	ck_assert_int_eq(probe.starts, 1);
}
END_TEST

/* FEATURES_OK comes before DRIVER_OK or not at all: a device that would
 * not start without it stays so until a reset (a restore decides whether
 * it runs from these bits). */
START_TEST(features_ok_only_before_driver_ok)
{
	wr(BAR_A + CC(device_status), 1, S_UP);
	wr(BAR_A + CC(device_status), 1, S_UP | VIRTIO_CONFIG_S_DRIVER_OK);
	wr(BAR_A + CC(guest_feature_select), 4, 1);
	wr(BAR_A + CC(guest_feature), 4, 1);
	wr(BAR_A + CC(device_status), 1, S_RUN);
	ck_assert_uint_eq(rd(BAR_A + CC(device_status), 1),
			  S_UP | VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_int_eq(probe.starts, 0);
}
END_TEST

/* A queue's layout is the driver's to write until it enables the queue
 * (which it may not take back) and before DRIVER_OK (no queue starts
 * later): the device runs on what DRIVER_OK saw, and a restore sets the
 * queues up again from these registers. */
START_TEST(queue_layout_fixed_once_enabled)
{
	features(BAR_A);
	queue_setup(BAR_A, 0);
	wr(BAR_A + CC(queue_size), 2, QSIZE / 2);
	wr(BAR_A + CC(queue_enable), 2, 0);
	wr(BAR_A + CC(queue_desc_lo), 4, (uint32_t)ring(1, 0));
	ck_assert_uint_eq(rd(BAR_A + CC(queue_size), 2), QSIZE);
	ck_assert_uint_eq(rd(BAR_A + CC(queue_enable), 2), 1);
	ck_assert_uint_eq(rd(BAR_A + CC(queue_desc_lo), 4), (uint32_t)ring(0, 0));
	wr(BAR_A + CC(device_status), 1, S_RUN);
	ck_assert_int_eq(probe.starts, 1);
	wr(BAR_A + CC(queue_select), 2, 1);
	wr(BAR_A + CC(queue_size), 2, QSIZE / 2);
	wr(BAR_A + CC(queue_desc_lo), 4, (uint32_t)ring(1, 0));
	wr(BAR_A + CC(queue_enable), 2, 1);
	ck_assert_uint_eq(rd(BAR_A + CC(queue_size), 2), QSIZE);
	ck_assert_uint_eq(rd(BAR_A + CC(queue_desc_lo), 4), 0);
	ck_assert_uint_eq(rd(BAR_A + CC(queue_enable), 2), 0);
	/* A reset gives the layout back. */
	wr(BAR_A + CC(device_status), 1, 0);
	wr(BAR_A + CC(queue_size), 2, QSIZE / 2);
	ck_assert_uint_eq(rd(BAR_A + CC(queue_size), 2), QSIZE / 2);
}
END_TEST

/* Pause, save, reset and load a device through its device_ops, as a
 * snapshot and its restore do, then resume it. */
static void round_trip(unsigned dev)
{
	const struct device_ops *o = vm.devices[dev].ops;
	void *st = vm.devices[dev].state;
	struct regset s;

	regset_init(&s);
	ck_assert_int_eq(o->pause(st), 0);
	ck_assert_int_eq(o->save(st, &s), 0);
	o->reset(st);
	ck_assert_int_eq(o->load(st, &s, o->version), 0);
	ck_assert_int_eq(o->resume(st), 0);
	regset_free(&s);
}

/* A restore runs a device that ran, and not one whose DRIVER_OK was
 * refused (no FEATURES_OK, or rings outside RAM): it asked for a reset,
 * and keeps asking. The vhost probe starts in load. */
START_TEST(restore_runs_what_ran)
{
	ck_assert_int_eq(virtio_pci_create(&vm, host, "probe-vhost", &probe_vhost_backend, NULL), 0);
	map_bar(2, BAR_B);
	start_device(BAR_B);
	round_trip(1);
	ck_assert_int_eq(probe.starts, 2);
	ck_assert_uint_eq(rd(BAR_B + CC(device_status), 1), S_RUN);
	/* Refused: DRIVER_OK without FEATURES_OK. */
	wr(BAR_B + CC(device_status), 1, 0);
	wr(BAR_B + CC(device_status), 1, S_UP);
	wr(BAR_B + CC(device_status), 1, S_UP | VIRTIO_CONFIG_S_DRIVER_OK);
	round_trip(1);
	ck_assert_int_eq(probe.starts, 2);
	/* Refused: queue 1's used ring outside RAM. */
	wr(BAR_B + CC(device_status), 1, 0);
	features(BAR_B);
	queue_setup(BAR_B, 0);
	wr(BAR_B + CC(queue_select), 2, 1);
	wr(BAR_B + CC(queue_used_lo), 4, (uint32_t)(RAM_BASE + RAM_SIZE));
	wr(BAR_B + CC(queue_used_hi), 4, (RAM_BASE + RAM_SIZE) >> 32);
	wr(BAR_B + CC(queue_enable), 2, 1);
	wr(BAR_B + CC(device_status), 1, S_RUN);
	ck_assert_int_eq(probe.starts, 2);
	round_trip(1);
	ck_assert_int_eq(probe.starts, 2);
	ck_assert_uint_eq(rd(BAR_B + CC(device_status), 1), S_RUN | VIRTIO_CONFIG_S_NEEDS_RESET);
}
END_TEST

/* Another vCPU writes to the BAR while a reset runs (here: from inside the
 * backend's reset, on a second thread). Its write must neither run the
 * reset a second time (joining the device thread twice) nor be applied. */
static void *other_vcpu(void *arg)
{
	(void)arg;
	wr(BAR_A + CC(queue_select), 2, 1);
	wr(BAR_A + CC(device_status), 1, S_RUN);
	return NULL;
}

static void write_from_another_vcpu(void)
{
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, other_vcpu, NULL), 0);
	pthread_join(t, NULL);
}

START_TEST(reset_races_another_vcpu)
{
	start_device(BAR_A);
	probe.during_reset = write_from_another_vcpu;
	wr(BAR_A + CC(device_status), 1, 0);
	ck_assert_int_eq(probe.resets, 1);
	ck_assert_int_eq(probe.starts, 1);
	ck_assert_uint_eq(rd(BAR_A + CC(device_status), 1), 0);
	ck_assert_uint_eq(rd(BAR_A + CC(queue_select), 2), 0);
}
END_TEST

/* ---- MSI-X vectors ---- */

/* The table has nqueues + 1 = 3 entries: vectors 3 and up are refused and
 * read back as NO_VECTOR, as is everything above. */
START_TEST(vector_beyond_the_table)
{
	static const uint32_t bad[] = { 3, 7, 64, 0xfffe };

	wr(BAR_A + CC(queue_select), 2, 0);
	wr(BAR_A + CC(queue_msix_vector), 2, 2);
	ck_assert_uint_eq(rd(BAR_A + CC(queue_msix_vector), 2), 2);
	for (unsigned i = 0; i < 4; i++) {
		wr(BAR_A + CC(queue_msix_vector), 2, bad[i]);
		ck_assert_uint_eq(rd(BAR_A + CC(queue_msix_vector), 2), VIRTIO_MSI_NO_VECTOR);
		wr(BAR_A + CC(msix_config), 2, bad[i]);
		ck_assert_uint_eq(rd(BAR_A + CC(msix_config), 2), VIRTIO_MSI_NO_VECTOR);
	}
}
END_TEST

/* ---- BAR placement ---- */

/* Device B's BAR put over device A's is not registered; moving it away
 * must leave A's region and doorbells alone. */
START_TEST(bar_moved_from_a_place_never_owned)
{
	ck_assert_int_eq(virtio_pci_create(&vm, host, "virtio-rng", &rng_backend, NULL), 0);	/* slot 2 */
	ck_assert_int_ge(fake_irq_doorbell(BAR_A + NOTIFY), 0);
	map_bar(2, BAR_A);
	ck_assert_uint_eq(rd(BAR_A + CC(num_queues), 2), 2);	/* still A */
	map_bar(2, BAR_B);
	ck_assert_uint_eq(rd(BAR_A + CC(num_queues), 2), 2);
	ck_assert_uint_eq(rd(BAR_B + CC(num_queues), 2), 1);
	ck_assert_int_ge(fake_irq_doorbell(BAR_A + NOTIFY), 0);
	ck_assert_int_ge(fake_irq_doorbell(BAR_B + NOTIFY), 0);
}
END_TEST

/* Decoding off, then on at another address: the doorbells follow. */
START_TEST(bar_move_moves_doorbells)
{
	int fd = fake_irq_doorbell(BAR_A + NOTIFY + 4);

	ck_assert_int_ge(fd, 0);
	map_bar(1, BAR_B);
	ck_assert_int_eq(fake_irq_doorbell(BAR_A + NOTIFY + 4), -1);
	ck_assert_int_eq(fake_irq_doorbell(BAR_B + NOTIFY + 4), fd);
	ck_assert_int_eq(mmio_dispatch(&vm.mmio, BAR_A, (uint8_t[8]){ 0 }, 4, 0), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio-pci");
	TCase *tc;

	tc = UNIT_TCASE(s, "widths", common_cfg_every_width_reads, common_cfg_wide_writes_ignored,
			bar_straddling_access, ecam_wide_access);
	tcase_add_checked_fixture(tc, setup, NULL);
	tc = UNIT_TCASE(s, "status", driver_ok_once_per_reset, driver_ok_without_features_ok,
			features_fixed_until_reset, features_ok_only_before_driver_ok,
			queue_layout_fixed_once_enabled, restore_runs_what_ran,
			reset_races_another_vcpu);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 20);
	tc = UNIT_TCASE(s, "vectors", vector_beyond_the_table);
	tcase_add_checked_fixture(tc, setup, NULL);
	tc = UNIT_TCASE(s, "bars", bar_moved_from_a_place_never_owned, bar_move_moves_doorbells);
	tcase_add_checked_fixture(tc, setup, NULL);
	return unit_run(s);
}
