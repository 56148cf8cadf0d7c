/* Snapshot state-file format (migration/stream.c). Files are built with the
 * writer, or byte by byte here (struct bb) from the layout documented in
 * migration/stream.h, so that the tests check the format and not only that
 * the writer and the reader agree. */
#include "migration/stream.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "tests/unit/unit.h"

#define HDR_LEN		28
#define KVM_REG_X0	0x6030000000100000ull	/* a KVM register id */

static struct stream_writer w;
static struct stream_reader r;
static struct stream_section s;

static void setup(void)
{
	ck_assert_int_eq(stream_writer_init(&w), 0);
}

static void teardown(void)
{
	stream_writer_free(&w);
}

/* ---- Hand-built files ---- */

struct bb {
	uint8_t b[2048];
	size_t n;
};

static void bb_raw(struct bb *b, const void *p, size_t n)
{
	ck_assert_uint_le(b->n + n, sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void bb_le(struct bb *b, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t c = (uint8_t)(v >> (8 * i));

		bb_raw(b, &c, 1);
	}
}

/* A keyed entry, as the format documents it. */
static void bb_kv(struct bb *b, uint64_t key, const void *val, uint32_t len)
{
	bb_le(b, 0x07, 1);
	bb_le(b, key, 8);
	bb_le(b, len, 4);
	bb_raw(b, val, len);
}

static void bb_header(struct bb *b, const char *magic, uint32_t version,
		      const char *arch, uint32_t flags)
{
	char a[8] = { 0 };

	memcpy(a, arch, strnlen(arch, sizeof(a)));
	b->n = 0;
	bb_raw(b, magic, 8);
	bb_le(b, version, 4);
	bb_raw(b, a, 8);
	bb_le(b, flags, 4);
	bb_le(b, crc32(0, b->b, 24), 4);
}

static void bb_fix_crc(struct bb *b)
{
	uint32_t c = (uint32_t)crc32(0, b->b, 24);

	for (unsigned i = 0; i < 4; i++)
		b->b[24 + i] = (uint8_t)(c >> (8 * i));
}

/* A section named @name (any bytes, length strlen()) with a good CRC. */
static void bb_section(struct bb *b, const char *name, uint32_t version,
		       const void *payload, size_t len)
{
	size_t start = b->n;

	bb_le(b, strlen(name), 1);
	bb_raw(b, name, strlen(name));
	bb_le(b, version, 4);
	bb_le(b, len, 8);
	bb_raw(b, payload, len);
	bb_le(b, crc32(0, b->b + start, b->n - start), 4);
}

static void bb_end(struct bb *b, uint32_t nsect)
{
	bb_le(b, 0, 1);
	bb_le(b, nsect, 4);
}

/* A valid file whose one section "dev.x" holds @len bytes of @payload. */
static void bb_file(struct bb *b, const void *payload, size_t len)
{
	bb_header(b, STREAM_MAGIC, 1, "arm64", 0);
	bb_section(b, "dev.x", 1, payload, len);
	bb_end(b, 1);
}

/* ---- Helpers ---- */

static void open_ok(const void *buf, size_t len)
{
	int rc = stream_reader_open(&r, buf, len);

	ck_assert_msg(rc == 0, "open: %d: %s", rc, stream_reader_err(&r));
}

static void open_writer(void)
{
	ck_assert_int_eq(stream_writer_finish(&w), 0);
	open_ok(stream_writer_data(&w), stream_writer_len(&w));
}

/* Opening @len bytes of @buf fails with @rc and a message containing @msg. */
static void open_fails(const void *buf, size_t len, int rc, const char *msg)
{
	int got = stream_reader_open(&r, buf, len);

	ck_assert_msg(got == rc, "open: %d, want %d (%s)", got, rc, stream_reader_err(&r));
	ck_assert_msg(strstr(stream_reader_err(&r), msg), "message '%s', want '%s'",
		      stream_reader_err(&r), msg);
}

static void next_ok(const char *name, uint32_t version)
{
	ck_assert_int_eq(stream_next_section(&r, &s), 1);
	ck_assert_str_eq(s.name, name);
	ck_assert_uint_eq(s.version, version);
}

static void payload_fails(int got, int rc, const char *msg)
{
	ck_assert_msg(got == rc, "got %d, want %d (%s)", got, rc, s.payload.err);
	ck_assert_msg(strstr(stream_payload_err(&s.payload), msg), "message '%s', want '%s'",
		      s.payload.err, msg);
}

static void begin(const char *name, uint32_t version)
{
	ck_assert_int_eq(stream_section_begin(&w, name, version), 0);
}

static void end(void)
{
	ck_assert_int_eq(stream_section_end(&w), 0);
}

static void put(uint64_t key, const void *val, uint32_t len)
{
	ck_assert_int_eq(stream_put_kv(&w, key, val, len), 0);
}

/* The small valid file of the truncation and bit-flip tests. */
static void small_file(void)
{
	begin("abi", 1);
	put(1, "\x07\0\0\0", 4);
	put(2, "v1", 2);
	end();
	begin("gic.dist", 3);
	put(0x100, "\0\0\xff\xff\0\0\0\0", 8);
	put(0x104, "\x01", 1);
	end();
	ck_assert_int_eq(stream_writer_finish(&w), 0);
}

/* The next entry of the open section is @key = @len bytes of @val. */
static void kv_is(uint64_t key, const void *val, uint32_t len)
{
	uint64_t k;
	const void *v;
	uint32_t n;

	ck_assert_int_eq(stream_get_kv(&s.payload, &k, &v, &n), 1);
	ck_assert_uint_eq(k, key);
	ck_assert_uint_eq(n, len);
	if (len)
		ck_assert_mem_eq(v, val, len);
}

/* The open section has no entry left, now and after. */
static void kv_done(void)
{
	uint64_t k = 1;
	const void *v = "";
	uint32_t n = 1;

	ck_assert_int_eq(stream_get_kv(&s.payload, &k, &v, &n), 0);
	ck_assert_uint_eq(k, 0);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(stream_get_kv(&s.payload, &k, &v, &n), 0);
	ck_assert_int_eq(stream_get_end(&s.payload), 0);
}

/* ---- Round trips ---- */

START_TEST(keyed_entries)
{
	static const uint8_t v16[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

	begin("vcpu.0", 1);
	put(KVM_REG_X0, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	put(0x6040000000100054ull, v16, 16);
	put(0, NULL, 0);
	put(UINT64_MAX, "", 0);
	put(KVM_REG_X0, "\x01", 1);	/* the reader does not mind a key twice */
	end();
	open_writer();
	next_ok("vcpu.0", 1);
	kv_is(KVM_REG_X0, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	kv_is(0x6040000000100054ull, v16, 16);
	kv_is(0, NULL, 0);
	kv_is(UINT64_MAX, NULL, 0);
	kv_is(KVM_REG_X0, "\x01", 1);
	kv_done();
	ck_assert_int_eq(stream_next_section(&r, &s), 0);
}
END_TEST

/* Values point into the caller's buffer, unchanged. */
START_TEST(values_in_place)
{
	const uint8_t *data;
	const void *v;
	uint64_t k;
	uint32_t n;

	begin("its", 1);
	put(7, "abc", 3);
	end();
	open_writer();
	data = stream_writer_data(&w);
	next_ok("its", 1);
	ck_assert_int_eq(stream_get_kv(&s.payload, &k, &v, &n), 1);
	/* header, name length, "its", version, payload length, entry head */
	ck_assert_ptr_eq(v, data + HDR_LEN + 1 + 3 + 4 + 8 + 13);
}
END_TEST

/* The writer's bytes are the documented layout, little-endian. */
START_TEST(layout_exact)
{
	static const uint8_t payload[] = {
		0x07, 0x10, 0, 0, 0, 0, 0, 0, 0x60, 1, 0, 0, 0, 0x5a,	/* key 0x60..10, 1 byte */
		0x07, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0, 0,		/* key 0x0102..08, empty */
		0x07, 0xff, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'h', 'i',
	};
	struct bb b;

	bb_header(&b, "ITSYSNAP", 1, "arm64", 0);
	bb_section(&b, "abi", 0x01020304, payload, sizeof(payload));
	bb_section(&b, "empty", 0, "", 0);
	bb_end(&b, 2);
	begin("abi", 0x01020304);
	put(0x6000000000000010ull, "\x5a", 1);
	put(0x0102030405060708ull, NULL, 0);
	put(0xff, "hi", 2);
	end();
	begin("empty", 0);
	end();
	ck_assert_int_eq(stream_writer_finish(&w), 0);
	ck_assert_uint_eq(stream_writer_len(&w), b.n);
	ck_assert_mem_eq(stream_writer_data(&w), b.b, b.n);
}
END_TEST

/* Read every section and entry of @buf and write them again: the same
 * bytes come out. */
static void rewrite_same(const void *buf, size_t len)
{
	struct stream_writer o;
	uint64_t key;
	const void *val;
	uint32_t n;
	int rc;

	open_ok(buf, len);
	ck_assert_int_eq(stream_writer_init(&o), 0);
	while (stream_next_section(&r, &s) == 1) {
		ck_assert_int_eq(stream_section_begin(&o, s.name, s.version), 0);
		while ((rc = stream_get_kv(&s.payload, &key, &val, &n)) == 1)
			ck_assert_int_eq(stream_put_kv(&o, key, val, n), 0);
		ck_assert_msg(rc == 0, "%s", s.payload.err);
		ck_assert_int_eq(stream_get_end(&s.payload), 0);
		ck_assert_int_eq(stream_section_end(&o), 0);
	}
	ck_assert_int_eq(stream_writer_finish(&o), 0);
	ck_assert_uint_eq(stream_writer_len(&o), len);
	ck_assert_mem_eq(stream_writer_data(&o), buf, len);
	stream_writer_free(&o);
}

/* A kv-only file built by hand from the documented layout (as every state
 * file written so far is) reads back and is rewritten byte for byte. */
START_TEST(kv_file_roundtrip)
{
	static const uint8_t v16[16] = "0123456789abcdef";
	uint8_t p1[256], p2[64];
	struct bb a = { .n = 0 }, c = { .n = 0 }, b;

	bb_kv(&a, 1, "\x02\0\0\0", 4);			/* "config": cpus */
	bb_kv(&a, 2, "\0\0\0\x10\0\0\0\0", 8);		/* mem */
	bb_kv(&a, 0x100, "disk.img", 8);		/* a disk path */
	bb_kv(&a, 0x140, "", 0);
	memcpy(p1, a.b, a.n);
	bb_kv(&c, 0x6030000000100000ull, "\x07\0\0\0\0\0\0\0", 8);
	bb_kv(&c, 0x6040000000100054ull, v16, 16);
	memcpy(p2, c.b, c.n);
	bb_header(&b, STREAM_MAGIC, 1, "arm64", 0);
	bb_section(&b, "config", 1, p1, a.n);
	bb_section(&b, "time", 1, "", 0);
	bb_section(&b, "vcpu.0", 2, p2, c.n);
	bb_end(&b, 3);
	rewrite_same(b.b, b.n);
	open_ok(b.b, b.n);
	next_ok("config", 1);
	kv_is(1, "\x02\0\0\0", 4);
	kv_is(2, "\0\0\0\x10\0\0\0\0", 8);
	kv_is(0x100, "disk.img", 8);
	kv_is(0x140, NULL, 0);
	kv_done();
	next_ok("time", 1);
	kv_done();
	next_ok("vcpu.0", 2);
	kv_is(0x6030000000100000ull, "\x07\0\0\0\0\0\0\0", 8);
	kv_is(0x6040000000100054ull, v16, 16);
	kv_done();
	ck_assert_int_eq(stream_next_section(&r, &s), 0);
}
END_TEST

START_TEST(writer_file_roundtrip)
{
	small_file();
	rewrite_same(stream_writer_data(&w), stream_writer_len(&w));
}
END_TEST

START_TEST(several_sections)
{
	begin("abi", 1);
	put(1, "a", 1);
	end();
	begin("vcpu.0", 2);
	put(2, "b", 1);
	end();
	begin("empty", 3);
	end();
	begin("its", 4);
	put(4, "d", 1);
	end();
	open_writer();
	next_ok("abi", 1);
	kv_is(1, "a", 1);
	kv_done();
	next_ok("vcpu.0", 2);
	kv_is(2, "b", 1);
	kv_done();
	next_ok("empty", 3);
	ck_assert_uint_eq(s.payload.len, 0);
	kv_done();
	next_ok("its", 4);
	kv_is(4, "d", 1);
	ck_assert_int_eq(stream_next_section(&r, &s), 0);
	ck_assert_int_eq(stream_next_section(&r, &s), 0);
	ck_assert_str_eq(s.name, "");
}
END_TEST

START_TEST(no_sections)
{
	open_writer();
	ck_assert_uint_eq(stream_writer_len(&w), HDR_LEN + 5);
	ck_assert_int_eq(stream_next_section(&r, &s), 0);
}
END_TEST

/* Enough entries to grow the buffer many times. */
START_TEST(many_entries)
{
	uint64_t key;
	const void *val;
	uint32_t len;
	unsigned n = 0;

	begin("vcpu.0", 1);
	for (uint64_t i = 0; i < 5000; i++) {
		uint8_t v[8];

		for (unsigned b = 0; b < 8; b++)
			v[b] = (uint8_t)((i * 0x10001) >> (8 * b));
		put(KVM_REG_X0 + i, v, 8);
	}
	end();
	open_writer();
	next_ok("vcpu.0", 1);
	while (stream_get_kv(&s.payload, &key, &val, &len) > 0) {
		const uint8_t *v = val;

		ck_assert_uint_eq(key, KVM_REG_X0 + n);
		ck_assert_uint_eq(len, 8);
		ck_assert_uint_eq(v[0] | v[1] << 8 | v[2] << 16, (n * 0x10001u) & 0xffffff);
		n++;
	}
	ck_assert_uint_eq(n, 5000);
	ck_assert_int_eq(stream_get_end(&s.payload), 0);
}
END_TEST

/* ---- Payload errors ---- */

/* The one section "dev.x" of a valid file holding @payload: reading its
 * entries fails after @good of them with @rc and message @msg, and stays
 * failed. */
static void payload_refused(const void *payload, size_t len, unsigned good, const char *msg)
{
	uint64_t key = 1;
	const void *val = "";
	uint32_t n = 1;
	size_t pos;
	struct bb b;

	bb_file(&b, payload, len);
	open_ok(b.b, b.n);
	next_ok("dev.x", 1);
	for (unsigned i = 0; i < good; i++)
		ck_assert_int_eq(stream_get_kv(&s.payload, &key, &val, &n), 1);
	pos = s.payload.pos;
	payload_fails(stream_get_kv(&s.payload, &key, &val, &n), -EBADMSG, msg);
	ck_assert_uint_eq(key, 0);
	ck_assert_ptr_null(val);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(s.payload.pos, pos);
	/* Sticky: the first message stays. */
	payload_fails(stream_get_kv(&s.payload, &key, &val, &n), -EBADMSG, msg);
	payload_fails(stream_get_end(&s.payload), -EBADMSG, msg);
}

/* A typed field of the old drafts is refused, naming the section, the
 * field's position and its type byte. */
START_TEST(typed_field_refused)
{
	struct bb a = { .n = 0 };

	bb_kv(&a, 1, "\x01", 1);
	bb_kv(&a, 2, "\x02\0", 2);
	bb_kv(&a, 3, "", 0);
	bb_raw(&a, "\x02\x00\x02", 3);		/* u16 512 */
	bb_kv(&a, 4, "\x04", 1);
	payload_refused(a.b, a.n, 3, "section 'dev.x': field 3 is of type 0x02; only keyed entries are expected");
	ck_assert_str_eq(s.payload.err,
			 "section 'dev.x': field 3 is of type 0x02; only keyed entries are expected");
}
END_TEST

/* Every type byte but 0x07 is refused, first entry or later. */
START_TEST(every_other_type_refused)
{
	for (unsigned t = 0; t < 256; t++) {
		uint8_t first[14] = { (uint8_t)t, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9 };
		struct bb a = { .n = 0 };
		char msg[96];

		if (t == STREAM_KV)
			continue;
		snprintf(msg, sizeof(msg), "section 'dev.x': field 0 is of type 0x%02x; only keyed entries are expected", t);
		payload_refused(first, sizeof(first), 0, msg);
		bb_kv(&a, 5, "v", 1);
		bb_raw(&a, first, sizeof(first));
		snprintf(msg, sizeof(msg), "section 'dev.x': field 1 is of type 0x%02x;", t);
		payload_refused(a.b, a.n, 1, msg);
	}
}
END_TEST

START_TEST(entry_truncated)
{
	payload_refused("\x07", 1, 0,
			"section 'dev.x': field 0 (offset 0): keyed entry truncated (needs 13 bytes, 1 left)");
	payload_refused("\x07\1\0\0\0\0\0\0\0\x08\0\0", 12, 0,
			"keyed entry truncated (needs 13 bytes, 12 left)");
	payload_refused("\x07\1\0\0\0\0\0\0\0\x01\0\0\0", 13, 0,
			"keyed entry truncated (needs 14 bytes, 13 left)");
	payload_refused("\x07\1\0\0\0\0\0\0\0\xff\xff\xff\xff", 13, 0,
			"keyed entry truncated (needs 4294967308 bytes, 13 left)");
	payload_refused("\x07\1\0\0\0\0\0\0\0\x01\0\0\0a\x07\2\0\0\0\0\0\0\0\x02\0\0\0b", 28, 1,
			"section 'dev.x': field 1 (offset 14): keyed entry truncated (needs 15 bytes, 14 left)");
}
END_TEST

/* A caller that stops early hears of the entries it left. */
START_TEST(unread_entries)
{
	begin("abi", 1);
	put(1, "a", 1);
	put(2, "b", 1);
	end();
	open_writer();
	next_ok("abi", 1);
	kv_is(1, "a", 1);
	payload_fails(stream_get_end(&s.payload), -EBADMSG,
		      "section 'abi': field 1 (offset 14): 14 unread bytes at the end of the payload");
}
END_TEST

/* Field positions count per section, from 0. */
START_TEST(positions_per_section)
{
	struct bb a = { .n = 0 }, b;
	uint64_t key;
	const void *val;
	uint32_t n;

	bb_kv(&a, 1, "x", 1);
	bb_raw(&a, "\x04", 1);
	bb_header(&b, STREAM_MAGIC, 1, "arm64", 0);
	bb_section(&b, "first", 1, a.b, a.n);
	bb_section(&b, "second", 1, a.b + 14, 1);
	bb_end(&b, 2);
	open_ok(b.b, b.n);
	next_ok("first", 1);
	ck_assert_int_eq(stream_get_kv(&s.payload, &key, &val, &n), 1);
	payload_fails(stream_get_kv(&s.payload, &key, &val, &n), -EBADMSG,
		      "section 'first': field 1 is of type 0x04;");
	next_ok("second", 1);
	payload_fails(stream_get_kv(&s.payload, &key, &val, &n), -EBADMSG,
		      "section 'second': field 0 is of type 0x04;");
}
END_TEST

/* ---- File errors ---- */

START_TEST(bad_magic)
{
	struct bb b;

	bb_header(&b, "ITSYSNAQ", 1, "arm64", 0);
	bb_end(&b, 0);
	open_fails(b.b, b.n, -EBADMSG, "not an itsy snapshot state file (bad magic)");
	open_fails("hello", 5, -EBADMSG, "bad magic");
	open_fails("", 0, -EBADMSG, "truncated header (needs 28 bytes, 0 left)");
	open_fails(NULL, 0, -EBADMSG, "truncated header");
	ck_assert_int_eq(stream_next_section(&r, &s), -EBADMSG);
	ck_assert_int_eq(stream_next_section(&r, &s), -EBADMSG);	/* every time */
}
END_TEST

START_TEST(newer_version)
{
	struct bb b;

	bb_header(&b, STREAM_MAGIC, 2, "arm64", 0);
	bb_end(&b, 0);
	open_fails(b.b, b.n, -ENOTSUP,
		   "snapshot format version 2 is newer than this itsy supports (version 1)");
	bb_header(&b, STREAM_MAGIC, 0, "arm64", 0);
	bb_end(&b, 0);
	open_fails(b.b, b.n, -EBADMSG, "invalid snapshot format version 0");
}
END_TEST

START_TEST(wrong_arch)
{
	struct bb b;

	bb_header(&b, STREAM_MAGIC, 1, "x86_64", 0);
	bb_end(&b, 0);
	open_fails(b.b, b.n, -ENOEXEC, "wrong architecture: file is x86_64, this itsy is arm64");
	bb_header(&b, STREAM_MAGIC, 1, "arm64xyz", 0);	/* 8 bytes, no NUL */
	bb_end(&b, 0);
	open_fails(b.b, b.n, -ENOEXEC, "file is arm64xyz,");
	bb_header(&b, STREAM_MAGIC, 1, "arm 64", 0);
	bb_end(&b, 0);
	open_fails(b.b, b.n, -EBADMSG, "bad header: invalid architecture tag");
	bb_header(&b, STREAM_MAGIC, 1, "arm64", 0);
	b.b[12 + 6] = 'x';	/* junk after the NUL */
	bb_fix_crc(&b);
	bb_end(&b, 0);
	open_fails(b.b, b.n, -EBADMSG, "invalid architecture tag");
	bb_header(&b, STREAM_MAGIC, 1, "", 0);
	bb_end(&b, 0);
	open_fails(b.b, b.n, -EBADMSG, "invalid architecture tag");
}
END_TEST

START_TEST(header_flags_and_crc)
{
	struct bb b;

	bb_header(&b, STREAM_MAGIC, 1, "arm64", 0x10);
	bb_end(&b, 0);
	open_fails(b.b, b.n, -EBADMSG, "bad header: unknown flags 0x10");
	bb_header(&b, STREAM_MAGIC, 1, "arm64", 0);
	bb_end(&b, 0);
	open_ok(b.b, b.n);
	b.b[20] ^= 1;		/* flags, CRC left as it was */
	open_fails(b.b, b.n, -EBADMSG, "bad header: CRC mismatch");
}
END_TEST

START_TEST(section_crc)
{
	uint8_t *buf;
	size_t len;

	small_file();
	len = stream_writer_len(&w);
	buf = unit_alloc(len);
	memcpy(buf, stream_writer_data(&w), len);
	buf[len - 5 - 4 - 1] ^= 0x40;	/* last payload byte of "gic.dist" */
	open_fails(buf, len, -EBADMSG, "section 'gic.dist': CRC mismatch");
	free(buf);
}
END_TEST

START_TEST(section_truncated)
{
	struct bb b;

	bb_header(&b, STREAM_MAGIC, 1, "arm64", 0);
	bb_le(&b, 3, 1);
	bb_raw(&b, "its", 3);
	bb_le(&b, 1, 4);
	bb_le(&b, 1000, 8);
	bb_raw(&b, "abc", 3);
	bb_end(&b, 1);
	open_fails(b.b, b.n, -EBADMSG, "section 'its': truncated (needs 1004 bytes, 8 left)");
	b.n = HDR_LEN + 1 + 3 + 4;
	bb_le(&b, UINT64_MAX, 8);	/* no overflow in the bounds check */
	open_fails(b.b, b.n, -EBADMSG, "section 'its': truncated (needs 18446744073709551615 bytes, 0 left)");
	b.n = HDR_LEN + 4 + 6;		/* in the section's version and length */
	open_fails(b.b, b.n, -EBADMSG, "section 'its': truncated (needs 12 bytes, 6 left)");
	b.n = HDR_LEN + 3;		/* in the name */
	open_fails(b.b, b.n, -EBADMSG, "section #0: truncated name (needs 3 bytes, 2 left)");
}
END_TEST

START_TEST(bad_section_names)
{
	char name[40];
	struct bb b;

	memset(name, 'a', 32);
	name[32] = '\0';
	bb_header(&b, STREAM_MAGIC, 1, "arm64", 0);
	bb_section(&b, name, 1, "", 0);
	bb_end(&b, 1);
	open_fails(b.b, b.n, -EBADMSG, "section #0: name length 32 exceeds 31");
	name[31] = '\0';	/* 31 is fine */
	bb_header(&b, STREAM_MAGIC, 1, "arm64", 0);
	bb_section(&b, name, 1, "", 0);
	bb_end(&b, 1);
	open_ok(b.b, b.n);
	bb_header(&b, STREAM_MAGIC, 1, "arm64", 0);
	bb_section(&b, "abi", 1, "", 0);
	bb_section(&b, "gic\ndist", 1, "", 0);
	bb_end(&b, 2);
	open_fails(b.b, b.n, -EBADMSG, "section #1: name is not printable ASCII");
	bb_header(&b, STREAM_MAGIC, 1, "arm64", 0);
	bb_section(&b, "gic dist", 1, "", 0);
	bb_end(&b, 1);
	open_fails(b.b, b.n, -EBADMSG, "section #0: name is not printable ASCII");
	bb_header(&b, STREAM_MAGIC, 1, "arm64", 0);
	bb_section(&b, "caf\xc3\xa9", 1, "", 0);
	bb_end(&b, 1);
	open_fails(b.b, b.n, -EBADMSG, "section #0: name is not printable ASCII");
}
END_TEST

START_TEST(end_marker)
{
	struct bb b;

	bb_header(&b, STREAM_MAGIC, 1, "arm64", 0);
	bb_section(&b, "abi", 1, "\x07\x01\0\0\0\0\0\0\0\x01\0\0\0\x05", 14);
	bb_section(&b, "its", 1, "", 0);
	open_fails(b.b, b.n, -EBADMSG, "truncated file: no end marker after 2 sections");
	bb_end(&b, 2);
	open_ok(b.b, b.n);
	b.n -= 2;
	open_fails(b.b, b.n, -EBADMSG, "truncated file: end marker cut short (needs 5 bytes, 3 left)");
	b.n -= 3;
	bb_end(&b, 3);
	open_fails(b.b, b.n, -EBADMSG, "bad end marker: it counts 3 sections, the file has 2");
	b.n -= 5;
	bb_end(&b, 2);
	bb_raw(&b, "xy", 2);
	open_fails(b.b, b.n, -EBADMSG, "2 bytes of trailing data after the end marker");
}
END_TEST

/* Every proper prefix of a valid file is refused with a message. */
START_TEST(truncated_everywhere)
{
	const uint8_t *data;
	size_t len;

	small_file();
	data = stream_writer_data(&w);
	len = stream_writer_len(&w);
	open_ok(data, len);
	for (size_t n = 0; n < len; n++) {
		uint8_t *buf = unit_alloc(n ? n : 1);	/* exact size, for ASan */
		int rc;

		memcpy(buf, data, n);
		rc = stream_reader_open(&r, buf, n);
		ck_assert_msg(rc < 0, "prefix of %zu of %zu bytes opened", n, len);
		ck_assert_msg(r.err[0], "prefix of %zu bytes: no message", n);
		ck_assert_int_eq(stream_next_section(&r, &s), rc);
		free(buf);
	}
}
END_TEST

/* Every single-bit flip of a valid file is refused: sections by their CRC,
 * the header by its CRC, version and magic checks, the end marker by its
 * count and the trailing-data check. */
START_TEST(bit_flips_everywhere)
{
	uint8_t *buf;
	size_t len;

	small_file();
	len = stream_writer_len(&w);
	buf = unit_alloc(len);
	memcpy(buf, stream_writer_data(&w), len);
	open_ok(buf, len);
	for (size_t bit = 0; bit < len * 8; bit++) {
		int rc;

		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rc = stream_reader_open(&r, buf, len);
		ck_assert_msg(rc < 0, "flip of bit %zu (byte %zu) not detected", bit, bit / 8);
		ck_assert_msg(r.err[0], "flip of bit %zu: no message", bit);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	open_ok(buf, len);
	free(buf);
}
END_TEST

/* ---- Writer misuse ---- */

START_TEST(writer_bad_names)
{
	static const char *const bad[] = {
		"", "abcdefghijklmnopqrstuvwxyz012345", "gic dist", "caf\xc3\xa9", "a\tb", NULL,
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		stream_writer_free(&w);
		ck_assert_int_eq(stream_writer_init(&w), 0);
		ck_assert_msg(stream_section_begin(&w, bad[i], 1) == -EINVAL, "name %u accepted", i);
		ck_assert_msg(strstr(w.err, "invalid section name"), "%s", w.err);
		ck_assert_int_eq(stream_put_kv(&w, 1, "x", 1), -EINVAL);
		ck_assert_int_eq(stream_writer_finish(&w), -EINVAL);
	}
	stream_writer_free(&w);
	ck_assert_int_eq(stream_writer_init(&w), 0);
	begin("abcdefghijklmnopqrstuvwxyz01234", 1);	/* 31 */
	end();
	ck_assert_int_eq(stream_writer_finish(&w), 0);
}
END_TEST

START_TEST(writer_put_outside)
{
	ck_assert_int_eq(stream_put_kv(&w, 0x10, "x", 1), -EINVAL);
	ck_assert_str_eq(w.err, "keyed entry 0x10 written outside a section");
	ck_assert_uint_eq(stream_writer_len(&w), HDR_LEN);	/* nothing written */
	ck_assert_int_eq(stream_section_begin(&w, "abi", 1), -EINVAL);	/* sticky */
	ck_assert_int_eq(stream_writer_finish(&w), -EINVAL);
	ck_assert_str_eq(w.err, "keyed entry 0x10 written outside a section");
}
END_TEST

START_TEST(writer_put_after_finish)
{
	begin("abi", 1);
	end();
	ck_assert_int_eq(stream_writer_finish(&w), 0);
	ck_assert_int_eq(stream_put_kv(&w, 1, "x", 1), -EINVAL);
	ck_assert_str_eq(w.err, "keyed entry 0x1 written outside a section");
}
END_TEST

START_TEST(writer_end_without_begin)
{
	ck_assert_int_eq(stream_section_end(&w), -EINVAL);
	ck_assert_str_eq(w.err, "section end: no section is open");
}
END_TEST

START_TEST(writer_nested)
{
	begin("abi", 1);
	ck_assert_int_eq(stream_section_begin(&w, "its", 1), -EINVAL);
	ck_assert_str_eq(w.err, "section begin: section 'abi' is still open");
	ck_assert_int_eq(stream_section_end(&w), -EINVAL);
}
END_TEST

START_TEST(writer_finish_open)
{
	begin("abi", 1);
	ck_assert_int_eq(stream_writer_finish(&w), -EINVAL);
	ck_assert_str_eq(w.err, "finish: section 'abi' is still open");
}
END_TEST

START_TEST(writer_after_finish)
{
	ck_assert_int_eq(stream_writer_finish(&w), 0);
	ck_assert_int_eq(stream_section_begin(&w, "abi", 1), -EINVAL);
	ck_assert_str_eq(w.err, "section begin: the file is already finished");
}
END_TEST

START_TEST(writer_null_data)
{
	begin("abi", 1);
	ck_assert_int_eq(stream_put_kv(&w, 0x6030000000100000ull, NULL, 3), -EINVAL);
	ck_assert_str_eq(w.err, "keyed entry 0x6030000000100000: 3 bytes at NULL");
	ck_assert_int_eq(stream_section_end(&w), -EINVAL);
	ck_assert_int_eq(stream_writer_finish(&w), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("stream");
	TCase *tc;

	tc = UNIT_TCASE(su, "roundtrip", keyed_entries, values_in_place, layout_exact,
			kv_file_roundtrip, writer_file_roundtrip, several_sections, no_sections,
			many_entries);
	tcase_add_checked_fixture(tc, setup, teardown);
	tc = UNIT_TCASE(su, "payload_errors", typed_field_refused, every_other_type_refused,
			entry_truncated, unread_entries, positions_per_section);
	tcase_add_checked_fixture(tc, setup, teardown);
	tc = UNIT_TCASE(su, "file_errors", bad_magic, newer_version, wrong_arch,
			header_flags_and_crc, section_crc, section_truncated, bad_section_names,
			end_marker, truncated_everywhere, bit_flips_everywhere);
	tcase_add_checked_fixture(tc, setup, teardown);
	tc = UNIT_TCASE(su, "writer_misuse", writer_bad_names, writer_put_outside,
			writer_put_after_finish, writer_end_without_begin, writer_nested,
			writer_finish_open, writer_after_finish, writer_null_data);
	tcase_add_checked_fixture(tc, setup, teardown);
	return unit_run(su);
}
