/* Golden state files: a state file written by one version of itsy is
 * committed under tests/unit/golden/ and read by every later version.
 *
 * golden/state-2026-12.bin holds what this version writes for a small VM:
 * the "config" section (version 2: two devices), the UART's and the RTC's
 * sections and a virtio-pci function's status and queue keys. The test
 * reads it with the stream reader and loads each section with today's
 * loaders, checking the values it was made with. Never regenerate an old
 * file: when a writer changes on purpose, add a new file (and a test of
 * its own) and keep this one, which old snapshots on disk look like.
 *
 * The bytes are also compared with what today's writers make of the same
 * state, so a writer that changes by accident fails here first. To make
 * the file (once, for a new one): ITSY_GOLDEN_WRITE=PATH test_golden_state. */
#include "devices/rtc/pl031.h"
#include "devices/serial/ns16550.h"
#include "migration/config_state.h"
#include "migration/stream.h"
#include "vmm/config.h"
#include "vmm/regset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"

#define SAVED_AT	1764633600	/* host seconds when the RTC was saved */

/* Virtio-pci keys by their numbers in files (devices/virtio/pci.h). */
#define VP_STATUS	9
#define VP_QUEUE	0x100	/* + 16 * queue + field: size 0, last_avail 6 */

static void no_irq(void *ctx, int level)
{
	(void)ctx, (void)level;
}

static void no_tx(void *ctx, uint8_t byte)
{
	(void)ctx, (void)byte;
}

static void no_room(void *ctx)
{
	(void)ctx;
}

static const struct ns16550_ops no_ops = { no_irq, no_tx, no_room };

/* ---- the state the file was made from ---- */

static void add_config(struct regset_list *l)
{
	struct run_config c = { .cpus = 2, .mem = 256ull << 20, .watchdog = 1 };

	ck_assert_int_eq(config_add_device(&c, "virtio-blk", "/srv/disk.img,ro"), 0);
	ck_assert_int_eq(config_add_device(&c, "virtio-rng", ""), 0);
	ck_assert_int_eq(config_state_save(&c, regset_list_add(l, "config", CONFIG_STATE_VERSION)), 0);
}

static void add_uart(struct regset_list *l)
{
	struct ns16550 u;

	ns16550_init(&u, &no_ops, NULL);
	ns16550_write(&u, 3, 0x03);	/* LCR: 8N1 */
	ns16550_write(&u, 7, 0x5a);	/* SCR */
	ns16550_write(&u, 1, 0x01);	/* IER: receive interrupt */
	ns16550_rx_push(&u, (const uint8_t *)"ok", 2);
	ck_assert_int_eq(ns16550_save(&u, regset_list_add(l, "dev.ns16550", NS16550_STATE_VERSION)), 0);
}

static void add_rtc(struct regset_list *l)
{
	struct pl031 r;

	pl031_init(&r, SAVED_AT);
	pl031_write(&r, 0x08, 4000000000u, SAVED_AT);	/* load the counter */
	pl031_write(&r, 0x04, 4000000060u, SAVED_AT);	/* match a minute on */
	pl031_write(&r, 0x10, 1, SAVED_AT);		/* interrupt unmasked */
	ck_assert_int_eq(pl031_save(&r, regset_list_add(l, "dev.pl031", 1)), 0);
}

static void add_virtio(struct regset_list *l)
{
	struct regset *s = regset_list_add(l, "dev.virtio-blk@01", 1);

	ck_assert_int_eq(regset_put_uint(s, VP_STATUS, 0x0f, 1), 0);
	ck_assert_int_eq(regset_put_uint(s, VP_QUEUE + 0, 128, 2), 0);
	ck_assert_int_eq(regset_put_uint(s, VP_QUEUE + 6, 77, 2), 0);
}

static void encode(const struct regset_list *l, struct stream_writer *w)
{
	ck_assert_int_eq(stream_writer_init(w), 0);
	for (unsigned i = 0; i < l->n; i++) {
		size_t pos = 0;
		uint64_t key;
		const uint8_t *val;
		uint32_t len;

		ck_assert_int_eq(stream_section_begin(w, l->v[i].name, l->v[i].version), 0);
		while (regset_next(&l->v[i].set, &pos, &key, &val, &len))
			ck_assert_int_eq(stream_put_kv(w, key, val, len), 0);
		ck_assert_int_eq(stream_section_end(w), 0);
	}
	ck_assert_int_eq(stream_writer_finish(w), 0);
}

static void made(struct stream_writer *w)
{
	struct regset_list l = { 0 };

	add_config(&l);
	add_uart(&l);
	add_rtc(&l);
	add_virtio(&l);
	encode(&l, w);
	regset_list_free(&l);
}

/* ---- reading the committed file ---- */

static uint8_t *file;
static size_t file_len;
static struct regset_list got;

static void read_golden(void)
{
	const char *path = getenv("ITSY_GOLDEN");
	FILE *f = path ? fopen(path, "rb") : NULL;

	ck_assert_msg(f, "ITSY_GOLDEN (%s) cannot be opened", path ? path : "unset");
	file = malloc(1 << 16);
	file_len = fread(file, 1, 1 << 16, f);
	fclose(f);
	ck_assert_uint_gt(file_len, 0);
}

static void decode(void)
{
	struct stream_reader r;
	struct stream_section s;
	int rc;

	ck_assert_msg(stream_reader_open(&r, file, file_len) == 0, "%s", stream_reader_err(&r));
	while ((rc = stream_next_section(&r, &s)) == 1) {
		struct regset *set = regset_list_add(&got, s.name, s.version);
		uint64_t key;
		const void *val;
		uint32_t n;

		while (stream_get_kv(&s.payload, &key, &val, &n) == 1)
			ck_assert_int_eq(regset_put(set, key, val, n), 0);
		ck_assert_int_eq(stream_get_end(&s.payload), 0);
	}
	ck_assert_int_eq(rc, 0);
}

static void setup(void)
{
	memset(&got, 0, sizeof(got));
	read_golden();
	decode();
}

static void teardown(void)
{
	regset_list_free(&got);
	free(file);
}

static const struct named_regset *section(const char *name, uint32_t version)
{
	const struct named_regset *s = regset_list_find(&got, name);

	ck_assert_msg(s, "section '%s' is missing", name);
	ck_assert_uint_eq(s->version, version);
	return s;
}

START_TEST(sections_in_order)
{
	static const char *const names[] = { "config", "dev.ns16550", "dev.pl031",
					     "dev.virtio-blk@01" };

	ck_assert_uint_eq(got.n, 4);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_str_eq(got.v[i].name, names[i]);
}
END_TEST

START_TEST(config_loads)
{
	const struct named_regset *s = section("config", 2);
	struct run_config c;
	char err[256];

	ck_assert_msg(config_state_load(&s->set, s->version, &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(c.cpus, 2);
	ck_assert_uint_eq(c.mem, 256ull << 20);
	ck_assert_int_eq(c.watchdog, 1);
	ck_assert_uint_eq(c.ndevices, 2);
	ck_assert_str_eq(c.devices[0].kind, "virtio-blk");
	ck_assert_str_eq(c.devices[0].arg, "/srv/disk.img,ro");
	ck_assert_str_eq(c.devices[1].kind, "virtio-rng");
}
END_TEST

START_TEST(uart_loads)
{
	struct ns16550 u;

	ns16550_init(&u, &no_ops, NULL);
	ck_assert_int_eq(ns16550_load(&u, &section("dev.ns16550", 1)->set), 0);
	ck_assert_uint_eq(ns16550_read(&u, 3), 0x03);
	ck_assert_uint_eq(ns16550_read(&u, 7), 0x5a);
	ck_assert_uint_eq(ns16550_read(&u, 1) & 0x0f, 0x01);
	ck_assert_uint_eq(ns16550_read(&u, 0), 'o');	/* the FIFO came back */
	ck_assert_uint_eq(ns16550_read(&u, 0), 'k');
}
END_TEST

START_TEST(rtc_loads)
{
	struct pl031 r;

	pl031_init(&r, 0);
	/* Ten seconds after the save, the counter has moved on by ten. */
	ck_assert_int_eq(pl031_load(&r, &section("dev.pl031", 1)->set, SAVED_AT + 10), 0);
	ck_assert_uint_eq(pl031_read(&r, 0x00, SAVED_AT + 10), 4000000010u);
	ck_assert_uint_eq(pl031_read(&r, 0x04, SAVED_AT + 10), 4000000060u);
	ck_assert_uint_eq(pl031_read(&r, 0x10, SAVED_AT + 10), 1);
}
END_TEST

START_TEST(virtio_keys)
{
	const struct regset *s = &section("dev.virtio-blk@01", 1)->set;

	ck_assert_uint_eq(regset_uint_or0(s, VP_STATUS), 0x0f);
	ck_assert_uint_eq(regset_uint_or0(s, VP_QUEUE + 0), 128);
	ck_assert_uint_eq(regset_uint_or0(s, VP_QUEUE + 6), 77);
}
END_TEST

/* Today's writers still make these bytes. */
START_TEST(writers_unchanged)
{
	struct stream_writer w;

	made(&w);
	ck_assert_uint_eq(stream_writer_len(&w), file_len);
	ck_assert_msg(!memcmp(stream_writer_data(&w), file, file_len),
		      "today's writers make other bytes than golden/state-2026-12.bin: a writer "
		      "changed; if on purpose, add a new golden file and keep this one");
	stream_writer_free(&w);
}
END_TEST

/* ITSY_GOLDEN_WRITE=PATH: make a new golden file (run as a test, so the
 * builders' checks work). */
START_TEST(write_golden)
{
	struct stream_writer w;
	FILE *f = fopen(getenv("ITSY_GOLDEN_WRITE"), "wb");

	ck_assert_ptr_nonnull(f);
	made(&w);
	ck_assert_uint_eq(fwrite(stream_writer_data(&w), 1, stream_writer_len(&w), f),
			  stream_writer_len(&w));
	stream_writer_free(&w);
	ck_assert_int_eq(fclose(f), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("golden_state");
	TCase *tc;

	if (getenv("ITSY_GOLDEN_WRITE")) {
		UNIT_TCASE(s, "write", write_golden);
		return unit_run(s);
	}
	tc = UNIT_TCASE(s, "state-2026-12", sections_in_order, config_loads, uart_loads, rtc_loads,
			virtio_keys, writers_unchanged);
	tcase_add_checked_fixture(tc, setup, teardown);
	return unit_run(s);
}
