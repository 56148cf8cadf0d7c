/* The "config" section (migration/config_state.c): what version 2 writes
 * loads back the same, and a version-1 section, written here with the
 * key numbers and values an itsy of that version wrote (literal numbers,
 * not the header's names, so a renumbered key fails), still loads into
 * the devices that itsy made, in its order. */
#include "migration/config_state.h"
#include "devices/kind.h"
#include "vmm/config.h"
#include "vmm/regset.h"

#include <errno.h>
#include <string.h>

#include "tests/unit/unit.h"

static struct regset_list l;
static struct run_config got;
static char err[256];

static void setup(void)
{
	memset(&l, 0, sizeof(l));
	memset(&got, 0, sizeof(got));
	err[0] = 0;
}

static void teardown(void)
{
	regset_list_free(&l);
}

static void assert_device(unsigned i, const char *kind, const char *arg)
{
	ck_assert_uint_gt(got.ndevices, i);
	ck_assert_str_eq(got.devices[i].kind, kind);
	ck_assert_str_eq(got.devices[i].arg, arg);
	/* The name is the kind table's own, not a copy out of the file. */
	ck_assert_ptr_eq(got.devices[i].kind, device_kind_named(kind)->name);
}

static void put_str(struct regset *s, uint64_t key, const char *v)
{
	ck_assert_int_eq(regset_put(s, key, v, (uint32_t)strlen(v)), 0);
}

START_TEST(v2_round_trip)
{
	struct run_config c = { .cpus = 3, .mem = 256ull << 20, .pmu = 1, .watchdog = 1,
				.console = CONSOLE_VIRTIO };
	struct regset *s = regset_list_add(&l, "config", CONFIG_STATE_VERSION);

	ck_assert_int_eq(config_add_device(&c, "virtio-rng", ""), 0);
	ck_assert_int_eq(config_add_device(&c, "virtio-blk", "/srv/d.img,ro"), 0);
	ck_assert_int_eq(config_add_device(&c, "virtio-net", "tap=t0,mac=52:54:00:00:00:01"), 0);
	ck_assert_int_eq(config_add_device(&c, "virtio-console", ""), 0);
	ck_assert_int_eq(config_state_save(&c, s), 0);
	ck_assert_int_eq(config_state_load(s, 2, &got, err, sizeof(err)), 0);
	ck_assert_uint_eq(got.cpus, 3);
	ck_assert_uint_eq(got.mem, 256ull << 20);
	ck_assert_int_eq(got.pmu, 1);
	ck_assert_int_eq(got.watchdog, 1);
	ck_assert_int_eq(got.console, CONSOLE_VIRTIO);
	ck_assert_uint_eq(got.ndevices, 4);
	assert_device(0, "virtio-rng", "");
	assert_device(1, "virtio-blk", "/srv/d.img,ro");
	assert_device(2, "virtio-net", "tap=t0,mac=52:54:00:00:00:01");
	assert_device(3, "virtio-console", "");
}
END_TEST

/* What itsy wrote before device kinds: cpus 1, mem 2, pmu 3, watchdog 4,
 * rng 5, console 6, vsock 7, ndisks 8, nnics 9, disk paths 0x100 + i,
 * read-only flags 0x140 + i, taps 0x200 + i, MACs 0x240 + i, has-MAC
 * flags 0x280 + i. */
static struct regset *v1_section(void)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct regset *s = regset_list_add(&l, "config", 1);

	ck_assert_int_eq(regset_put_uint(s, 1, 2, 4), 0);
	ck_assert_int_eq(regset_put_uint(s, 2, 512ull << 20, 8), 0);
	ck_assert_int_eq(regset_put_uint(s, 5, 1, 1), 0);
	ck_assert_int_eq(regset_put_uint(s, 6, CONSOLE_VIRTIO, 1), 0);
	ck_assert_int_eq(regset_put_uint(s, 7, 42, 4), 0);
	ck_assert_int_eq(regset_put_uint(s, 8, 2, 4), 0);
	ck_assert_int_eq(regset_put_uint(s, 9, 2, 4), 0);
	put_str(s, 0x100, "/a.img");
	put_str(s, 0x101, "/b.img");
	ck_assert_int_eq(regset_put_uint(s, 0x141, 1, 1), 0);
	put_str(s, 0x200, "tap0");
	put_str(s, 0x201, "tap1");
	ck_assert_int_eq(regset_put(s, 0x240, mac, sizeof(mac)), 0);
	ck_assert_int_eq(regset_put_uint(s, 0x280, 1, 1), 0);
	return s;
}

START_TEST(v1_loads_in_its_order)
{
	ck_assert_int_eq(config_state_load(v1_section(), 1, &got, err, sizeof(err)), 0);
	ck_assert_uint_eq(got.cpus, 2);
	ck_assert_uint_eq(got.mem, 512ull << 20);
	/* That itsy plugged disks, NICs, vsock, rng, then virtio-console. */
	ck_assert_uint_eq(got.ndevices, 7);
	assert_device(0, "virtio-blk", "/a.img");
	assert_device(1, "virtio-blk", "/b.img,ro");
	assert_device(2, "virtio-net", "tap=tap0,mac=52:54:00:12:34:56");
	assert_device(3, "virtio-net", "tap=tap1");
	assert_device(4, "virtio-vsock", "cid=42");
	assert_device(5, "virtio-rng", "");
	assert_device(6, "virtio-console", "");
}
END_TEST

START_TEST(v1_bad_counts)
{
	struct regset *s = v1_section();

	ck_assert_int_eq(regset_put_uint(s, 8, 3, 4), 0);	/* a third disk, with no path */
	ck_assert_int_eq(config_state_load(s, 1, &got, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "disk 2 has no path"));
	ck_assert_int_eq(regset_put_uint(s, 8, 1000, 4), 0);
	ck_assert_int_eq(config_state_load(s, 1, &got, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "out of range"));
}
END_TEST

/* Version 2's numbers: ndevices 0x10, kinds 0x300 + i, values 0x340 + i. */
static struct regset *v2_section(unsigned n)
{
	struct regset *s = regset_list_add(&l, "config", 2);

	ck_assert_int_eq(regset_put_uint(s, 1, 1, 4), 0);
	ck_assert_int_eq(regset_put_uint(s, 2, 64ull << 20, 8), 0);
	ck_assert_int_eq(regset_put_uint(s, 0x10, n, 4), 0);
	return s;
}

START_TEST(v2_literal_keys)
{
	struct regset *s = v2_section(2);

	put_str(s, 0x300, "virtio-vsock");
	put_str(s, 0x340, "cid=9");
	put_str(s, 0x301, "virtio-blk");
	put_str(s, 0x341, "/d.img");
	ck_assert_int_eq(config_state_load(s, 2, &got, err, sizeof(err)), 0);
	assert_device(0, "virtio-vsock", "cid=9");
	assert_device(1, "virtio-blk", "/d.img");
}
END_TEST

/* The guest's longest SVE length goes with it; a guest without SVE
 * writes no key (its section is what itsy wrote before SVE), and an old
 * section without one is a guest without SVE. A bad length is refused. */
START_TEST(sve_length)
{
	struct run_config c = { .cpus = 1, .mem = 128ull << 20, .sve_vl = 256 };
	struct regset *s = regset_list_add(&l, "config", CONFIG_STATE_VERSION);

	ck_assert_int_eq(config_state_save(&c, s), 0);
	ck_assert_uint_eq(regset_uint_or0(s, 0x11), 256);
	ck_assert_int_eq(config_state_load(s, 2, &got, err, sizeof(err)), 0);
	ck_assert_int_eq(got.sve_vl, 256);
	regset_free(s);
	regset_init(s);
	c.sve_vl = CONFIG_SVE_OFF;
	ck_assert_int_eq(config_state_save(&c, s), 0);
	ck_assert(!regset_has(s, 0x11));
	ck_assert_int_eq(config_state_load(s, 2, &got, err, sizeof(err)), 0);
	ck_assert_int_eq(got.sve_vl, CONFIG_SVE_OFF);
	ck_assert_int_eq(regset_put_uint(s, 0x11, 200, 4), 0);
	ck_assert_int_eq(config_state_load(s, 2, &got, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(regset_put_uint(s, 0x11, 4096, 4), 0);
	ck_assert_int_eq(config_state_load(s, 2, &got, err, sizeof(err)), -EINVAL);
}
END_TEST

/* A hostile file: each fault is named, none is taken. */
START_TEST(v2_refuses)
{
	struct regset *s = v2_section(1);
	char big[CONFIG_ARG_MAX + 2];

	ck_assert_int_eq(config_state_load(s, 2, &got, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "device 0 is incomplete"));
	put_str(s, 0x300, "virtio-gpu");
	put_str(s, 0x340, "");
	ck_assert_int_eq(config_state_load(s, 2, &got, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown device kind 'virtio-gpu'"));
	put_str(s, 0x300, "virtio-blk");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	put_str(s, 0x340, big);
	ck_assert_int_eq(config_state_load(s, 2, &got, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(regset_put(s, 0x340, "a\0b", 3), 0);
	ck_assert_int_eq(config_state_load(s, 2, &got, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(regset_put_uint(s, 0x10, CONFIG_MAX_DEVICES + 1, 4), 0);
	ck_assert_int_eq(config_state_load(s, 2, &got, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(config_state_load(s, 3, &got, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "version 3"));
	ck_assert_int_eq(regset_put_uint(s, 1, 0, 4), 0);	/* no vCPU */
	ck_assert_int_eq(config_state_load(s, 2, &got, err, sizeof(err)), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config_state");
	TCase *tc = UNIT_TCASE(s, "config", v2_round_trip, v1_loads_in_its_order, v1_bad_counts,
			       v2_literal_keys, v2_refuses, sve_length);

	tcase_add_checked_fixture(tc, setup, teardown);
	return unit_run(s);
}
