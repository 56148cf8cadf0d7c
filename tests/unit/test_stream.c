/* Snapshot state-file format (migration/stream.c). Files are built with the
 * writer, or byte by byte here (struct bb) from the layout documented in
 * migration/stream.h, so that the tests check the format and not only that
 * the writer and the reader agree. */
#include "migration/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
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
	uint8_t b[1024];
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

/* The small valid file of the truncation and bit-flip tests. */
static void small_file(void)
{
	begin("abi", 1);
	stream_put_u32(&w, 7);
	stream_put_str(&w, "v1");
	end();
	begin("gic.dist", 3);
	stream_put_kv_u64(&w, 0x100, 0xffff0000);
	stream_put_u8(&w, 1);
	stream_put_bytes(&w, "\x01\x02", 2);
	end();
	ck_assert_int_eq(stream_writer_finish(&w), 0);
}

/* ---- Round trips ---- */

START_TEST(roundtrip_ints)
{
	uint8_t a, b;
	uint16_t c;
	uint32_t d;
	uint64_t e, f;

	begin("ints", 1);
	stream_put_u8(&w, 0);
	stream_put_u8(&w, 0xff);
	stream_put_u16(&w, 0xbeef);
	stream_put_u32(&w, 0xdeadbeef);
	stream_put_u64(&w, 0x0123456789abcdefull);
	stream_put_u64(&w, UINT64_MAX);
	end();
	open_writer();
	next_ok("ints", 1);
	ck_assert_int_eq(stream_get_u8(&s.payload, &a), 0);
	ck_assert_int_eq(stream_get_u8(&s.payload, &b), 0);
	ck_assert_int_eq(stream_get_u16(&s.payload, &c), 0);
	ck_assert_int_eq(stream_get_u32(&s.payload, &d), 0);
	ck_assert_int_eq(stream_get_u64(&s.payload, &e), 0);
	ck_assert_int_eq(stream_get_u64(&s.payload, &f), 0);
	ck_assert_uint_eq(a, 0);
	ck_assert_uint_eq(b, 0xff);
	ck_assert_uint_eq(c, 0xbeef);
	ck_assert_uint_eq(d, 0xdeadbeef);
	ck_assert_uint_eq(e, 0x0123456789abcdefull);
	ck_assert_uint_eq(f, UINT64_MAX);
	ck_assert_int_eq(stream_get_end(&s.payload), 0);
}
END_TEST

START_TEST(roundtrip_blobs)
{
	const void *data;
	uint32_t len;
	char str[16], fixed[4];

	begin("blobs", 2);
	stream_put_bytes(&w, NULL, 0);
	stream_put_bytes(&w, "\0ab\xff", 4);
	stream_put_bytes(&w, "wxyz", 4);
	stream_put_str(&w, "");
	stream_put_str(&w, "hello");
	end();
	open_writer();
	next_ok("blobs", 2);
	ck_assert_int_eq(stream_get_bytes(&s.payload, &data, &len), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(stream_get_bytes(&s.payload, &data, &len), 0);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(data, "\0ab\xff", 4);
	ck_assert_int_eq(stream_get_bytes_fixed(&s.payload, fixed, 4), 0);
	ck_assert_mem_eq(fixed, "wxyz", 4);
	ck_assert_int_eq(stream_get_str(&s.payload, str, sizeof(str)), 0);
	ck_assert_str_eq(str, "");
	ck_assert_int_eq(stream_get_str(&s.payload, str, 6), 0);	/* just fits */
	ck_assert_str_eq(str, "hello");
	ck_assert_int_eq(stream_get_end(&s.payload), 0);
}
END_TEST

/* The writer's bytes are the documented layout, little-endian. */
START_TEST(layout_exact)
{
	static const uint8_t payload[] = {
		0x01, 0xab,					/* u8 */
		0x02, 0x34, 0x12,				/* u16 */
		0x03, 0x78, 0x56, 0x34, 0x12,			/* u32 */
		0x04, 8, 7, 6, 5, 4, 3, 2, 1,			/* u64 */
		0x05, 2, 0, 0, 0, 'h', 'i',			/* bytes */
		0x06, 1, 0, 0, 0, 's',				/* str */
		0x07, 0x10, 0, 0, 0, 0, 0, 0, 0x60, 1, 0, 0, 0, 0x5a,	/* kv */
	};
	struct bb b;

	bb_header(&b, "ITSYSNAP", 1, "arm64", 0);
	bb_section(&b, "abi", 0x01020304, payload, sizeof(payload));
	bb_end(&b, 1);
	begin("abi", 0x01020304);
	stream_put_u8(&w, 0xab);
	stream_put_u16(&w, 0x1234);
	stream_put_u32(&w, 0x12345678);
	stream_put_u64(&w, 0x0102030405060708ull);
	stream_put_bytes(&w, "hi", 2);
	stream_put_str(&w, "s");
	stream_put_kv(&w, 0x6000000000000010ull, "\x5a", 1);
	end();
	ck_assert_int_eq(stream_writer_finish(&w), 0);
	ck_assert_uint_eq(stream_writer_len(&w), b.n);
	ck_assert_mem_eq(stream_writer_data(&w), b.b, b.n);
}
END_TEST

START_TEST(keyed_entries)
{
	static const uint8_t v16[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	const void *val;
	uint64_t key;
	uint32_t len, tail;

	begin("vcpu.0", 1);
	stream_put_kv(&w, KVM_REG_X0, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	stream_put_kv(&w, 0x6040000000100054ull, v16, 16);
	stream_put_kv(&w, 0, NULL, 0);
	stream_put_u32(&w, 0xcafe);
	end();
	open_writer();
	next_ok("vcpu.0", 1);
	ck_assert_int_eq(stream_get_kv(&s.payload, &key, &val, &len), 1);
	ck_assert_uint_eq(key, KVM_REG_X0);
	ck_assert_uint_eq(len, 8);
	ck_assert_mem_eq(val, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	ck_assert_int_eq(stream_get_kv(&s.payload, &key, &val, &len), 1);
	ck_assert_uint_eq(key, 0x6040000000100054ull);
	ck_assert_uint_eq(len, 16);
	ck_assert_mem_eq(val, v16, 16);
	ck_assert_int_eq(stream_get_kv(&s.payload, &key, &val, &len), 1);
	ck_assert_uint_eq(key, 0);
	ck_assert_uint_eq(len, 0);
	/* The keyed run ends at the u32, which is still there to read. */
	ck_assert_int_eq(stream_get_kv(&s.payload, &key, &val, &len), 0);
	ck_assert_int_eq(stream_get_u32(&s.payload, &tail), 0);
	ck_assert_uint_eq(tail, 0xcafe);
	ck_assert_int_eq(stream_get_kv(&s.payload, &key, &val, &len), 0);
	ck_assert_int_eq(stream_get_end(&s.payload), 0);
}
END_TEST

START_TEST(keyed_u64)
{
	uint64_t key, v;

	begin("gic.dist", 1);
	stream_put_kv_u64(&w, 0x104, 0x8877665544332211ull);
	stream_put_kv(&w, 0x108, "\1\2\3\4", 4);
	end();
	open_writer();
	next_ok("gic.dist", 1);
	ck_assert_int_eq(stream_get_kv_u64(&s.payload, &key, &v), 1);
	ck_assert_uint_eq(key, 0x104);
	ck_assert_uint_eq(v, 0x8877665544332211ull);
	ck_assert_mem_eq(s.payload.buf + 13, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	payload_fails(stream_get_kv_u64(&s.payload, &key, &v), -EBADMSG,
		      "section 'gic.dist': field 1 (offset 21): kv key 0x108: value of 4 bytes, expected 8");
	ck_assert_uint_eq(key, 0);
}
END_TEST

START_TEST(generic_walk)
{
	static const enum stream_type want[] = { STREAM_U16, STREAM_STR, STREAM_KV, STREAM_U64 };
	struct stream_field f;

	begin("dev.virtio-blk.0", 1);
	stream_put_u16(&w, 512);
	stream_put_str(&w, "disk");
	stream_put_kv(&w, 42, "ab", 2);
	stream_put_u64(&w, 1ull << 40);
	end();
	open_writer();
	next_ok("dev.virtio-blk.0", 1);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_int_eq(stream_get_field(&s.payload, &f), 1);
		ck_assert_int_eq(f.type, want[i]);
	}
	ck_assert_int_eq(stream_get_field(&s.payload, &f), 0);
	ck_assert_int_eq(stream_get_field(&s.payload, &f), 0);
	s.payload.pos = 0;	/* again, for the values */
	stream_get_field(&s.payload, &f);
	ck_assert_uint_eq(f.u, 512);
	stream_get_field(&s.payload, &f);
	ck_assert_uint_eq(f.len, 4);
	ck_assert_mem_eq(f.data, "disk", 4);
	stream_get_field(&s.payload, &f);
	ck_assert_uint_eq(f.key, 42);
	ck_assert_uint_eq(f.len, 2);
	ck_assert_mem_eq(f.data, "ab", 2);
	stream_get_field(&s.payload, &f);
	ck_assert_uint_eq(f.u, 1ull << 40);
}
END_TEST

START_TEST(several_sections)
{
	uint32_t v;

	begin("abi", 1);
	stream_put_u32(&w, 1);
	end();
	begin("vcpu.0", 2);
	stream_put_u32(&w, 2);
	end();
	begin("empty", 3);
	end();
	begin("its", 4);
	stream_put_u32(&w, 4);
	end();
	open_writer();
	next_ok("abi", 1);
	ck_assert_int_eq(stream_get_u32(&s.payload, &v), 0);
	ck_assert_uint_eq(v, 1);
	next_ok("vcpu.0", 2);
	ck_assert_int_eq(stream_get_u32(&s.payload, &v), 0);
	ck_assert_uint_eq(v, 2);
	next_ok("empty", 3);
	ck_assert_uint_eq(s.payload.len, 0);
	ck_assert_int_eq(stream_get_end(&s.payload), 0);
	next_ok("its", 4);
	ck_assert_int_eq(stream_get_u32(&s.payload, &v), 0);
	ck_assert_uint_eq(v, 4);
	ck_assert_int_eq(stream_next_section(&r, &s), 0);
	ck_assert_int_eq(stream_next_section(&r, &s), 0);
}
END_TEST

START_TEST(find_section)
{
	uint32_t v;

	for (uint32_t i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "vcpu.%u", i);
		begin(name, 1);
		stream_put_u32(&w, 100 + i);
		end();
	}
	open_writer();
	next_ok("vcpu.0", 1);
	ck_assert_int_eq(stream_find_section(&r, "vcpu.2", &s), 0);
	ck_assert_str_eq(s.name, "vcpu.2");
	ck_assert_int_eq(stream_get_u32(&s.payload, &v), 0);
	ck_assert_uint_eq(v, 102);
	ck_assert_int_eq(stream_find_section(&r, "vcpu.0", &s), 0);
	ck_assert_int_eq(stream_get_u32(&s.payload, &v), 0);
	ck_assert_uint_eq(v, 100);
	next_ok("vcpu.1", 1);	/* the walk goes on where it was */
	ck_assert_int_eq(stream_find_section(&r, "vcpu.3", &s), -ENOENT);
	ck_assert_str_eq(stream_reader_err(&r), "section 'vcpu.3' not found");
	ck_assert_str_eq(s.name, "");
}
END_TEST

START_TEST(no_sections)
{
	open_writer();
	ck_assert_uint_eq(stream_writer_len(&w), HDR_LEN + 5);
	ck_assert_int_eq(stream_next_section(&r, &s), 0);
	ck_assert_int_eq(stream_find_section(&r, "abi", &s), -ENOENT);
}
END_TEST

/* Enough entries to grow the buffer many times. */
START_TEST(many_entries)
{
	uint64_t key, v;
	unsigned n = 0;

	begin("vcpu.0", 1);
	for (uint64_t i = 0; i < 5000; i++)
		stream_put_kv_u64(&w, KVM_REG_X0 + i, i * 0x10001);
	end();
	open_writer();
	next_ok("vcpu.0", 1);
	while (stream_get_kv_u64(&s.payload, &key, &v) > 0) {
		ck_assert_uint_eq(key, KVM_REG_X0 + n);
		ck_assert_uint_eq(v, n * 0x10001ull);
		n++;
	}
	ck_assert_uint_eq(n, 5000);
	ck_assert_int_eq(stream_get_end(&s.payload), 0);
}
END_TEST

/* ---- Payload errors ---- */

START_TEST(read_past_end)
{
	uint32_t v = 123;
	uint8_t b = 9;

	begin("abi", 1);
	stream_put_u32(&w, 5);
	end();
	open_writer();
	next_ok("abi", 1);
	ck_assert_int_eq(stream_get_u32(&s.payload, &v), 0);
	ck_assert_uint_eq(v, 5);
	payload_fails(stream_get_u32(&s.payload, &v), -ENODATA,
		      "section 'abi': field 1 (offset 5): expected u32, the payload ends");
	ck_assert_uint_eq(v, 0);
	/* Sticky: the first message stays. */
	payload_fails(stream_get_u8(&s.payload, &b), -ENODATA, "expected u32");
	ck_assert_uint_eq(b, 0);
	payload_fails(stream_get_end(&s.payload), -ENODATA, "expected u32");
}
END_TEST

START_TEST(type_mismatch)
{
	uint32_t v = 123;
	uint64_t u;

	begin("vcpu.1", 1);
	stream_put_u64(&w, 5);
	end();
	open_writer();
	next_ok("vcpu.1", 1);
	payload_fails(stream_get_u32(&s.payload, &v), -EBADMSG,
		      "section 'vcpu.1': field 0 (offset 0): expected u32, found u64");
	ck_assert_uint_eq(v, 0);
	payload_fails(stream_get_u64(&s.payload, &u), -EBADMSG, "expected u32");
}
END_TEST

START_TEST(str_too_long)
{
	char str[5] = "xxxx";

	begin("abi", 1);
	stream_put_str(&w, "hello");
	end();
	open_writer();
	next_ok("abi", 1);
	payload_fails(stream_get_str(&s.payload, str, sizeof(str)), -EBADMSG,
		      "str field of 5 bytes does not fit in 5");
	ck_assert_str_eq(str, "");
}
END_TEST

START_TEST(bytes_wrong_length)
{
	uint8_t buf[4] = { 9, 9, 9, 9 };

	begin("its", 1);
	stream_put_bytes(&w, "abc", 3);
	end();
	open_writer();
	next_ok("its", 1);
	payload_fails(stream_get_bytes_fixed(&s.payload, buf, 4), -EBADMSG,
		      "bytes field of 3 bytes, expected 4");
	ck_assert_mem_eq(buf, "\0\0\0\0", 4);
}
END_TEST

START_TEST(unread_fields)
{
	uint8_t v;

	begin("abi", 1);
	stream_put_u8(&w, 1);
	stream_put_u8(&w, 2);
	end();
	open_writer();
	next_ok("abi", 1);
	ck_assert_int_eq(stream_get_u8(&s.payload, &v), 0);
	payload_fails(stream_get_end(&s.payload), -EBADMSG,
		      "2 unread bytes at the end of the payload");
}
END_TEST

/* Payloads with a good CRC but bad fields: each read fails cleanly. */
static void bad_payload(const void *payload, size_t len, const char *msg)
{
	struct stream_field f;
	struct bb b;

	bb_file(&b, payload, len);
	open_ok(b.b, b.n);
	next_ok("dev.x", 1);
	payload_fails(stream_get_field(&s.payload, &f), -EBADMSG, msg);
	ck_assert_ptr_null(f.data);
	ck_assert_uint_eq(f.len, 0);
}

START_TEST(bad_fields)
{
	bad_payload("\x09", 1, "section 'dev.x': field 0 (offset 0): unknown field type 0x09");
	bad_payload("\x00", 1, "unknown field type 0x00");
	bad_payload("\x03\x01\x02", 3, "u32 field truncated (needs 5 bytes, 3 left)");
	bad_payload("\x05\x09\0\0\0abc", 8, "bytes field truncated (needs 14 bytes, 8 left)");
	bad_payload("\x05\xff\xff\xff\xff", 5, "bytes field truncated (needs 4294967300 bytes");
	bad_payload("\x07\1\0\0\0\0\0\0\0\x08\0\0", 12, "kv field truncated (needs 13 bytes, 12 left)");
	bad_payload("\x07\1\0\0\0\0\0\0\0\x01\0\0\0", 13, "kv field truncated (needs 14 bytes, 13 left)");
}
END_TEST

START_TEST(str_with_nul)
{
	char str[8];
	struct bb b;

	bb_file(&b, "\x06\x03\0\0\0a\0b", 8);
	open_ok(b.b, b.n);
	next_ok("dev.x", 1);
	payload_fails(stream_get_str(&s.payload, str, sizeof(str)), -EBADMSG,
		      "str field contains a NUL byte");
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
	ck_assert_int_eq(stream_find_section(&r, "abi", &s), -EBADMSG);
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
	bb_section(&b, "abi", 1, "\x01\x05", 2);
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
		ck_assert_msg(strstr(stream_writer_err(&w), "invalid section name"), "%s",
			      stream_writer_err(&w));
		ck_assert_int_eq(stream_put_u8(&w, 1), -EINVAL);
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
	ck_assert_int_eq(stream_put_u32(&w, 1), -EINVAL);
	ck_assert_str_eq(stream_writer_err(&w), "u32 field written outside a section");
	ck_assert_int_eq(stream_section_begin(&w, "abi", 1), -EINVAL);	/* sticky */
	ck_assert_int_eq(stream_writer_finish(&w), -EINVAL);
}
END_TEST

START_TEST(writer_end_without_begin)
{
	ck_assert_int_eq(stream_section_end(&w), -EINVAL);
	ck_assert_str_eq(stream_writer_err(&w), "section end: no section is open");
}
END_TEST

START_TEST(writer_nested)
{
	begin("abi", 1);
	ck_assert_int_eq(stream_section_begin(&w, "its", 1), -EINVAL);
	ck_assert_str_eq(stream_writer_err(&w), "section begin: section 'abi' is still open");
	ck_assert_int_eq(stream_section_end(&w), -EINVAL);
}
END_TEST

START_TEST(writer_finish_open)
{
	begin("abi", 1);
	ck_assert_int_eq(stream_writer_finish(&w), -EINVAL);
	ck_assert_str_eq(stream_writer_err(&w), "finish: section 'abi' is still open");
}
END_TEST

START_TEST(writer_after_finish)
{
	ck_assert_int_eq(stream_writer_finish(&w), 0);
	ck_assert_int_eq(stream_section_begin(&w, "abi", 1), -EINVAL);
	ck_assert_str_eq(stream_writer_err(&w), "section begin: the file is already finished");
}
END_TEST

START_TEST(writer_null_data)
{
	begin("abi", 1);
	ck_assert_int_eq(stream_put_bytes(&w, NULL, 3), -EINVAL);
	ck_assert_int_eq(stream_section_end(&w), -EINVAL);
}
END_TEST

/* ---- Atomic write ---- */

static char dir[64], path[128], tmp_path[128];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void dir_setup(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/itsy-stream-XXXXXX", t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(tmp_path, sizeof(tmp_path), "%s/.state.tmp", dir);
}

static void dir_teardown(void)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static bool exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

/* The regular file @p holds exactly @len bytes of @want. */
static void file_is(const char *p, const void *want, size_t len)
{
	char got[64];
	int fd = open(p, O_RDONLY);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, got, sizeof(got));
	close(fd);
	ck_assert_int_eq(n, (ssize_t)len);
	ck_assert_mem_eq(got, want, len);
}

START_TEST(atomic_write)
{
	struct stat st;

	ck_assert_int_eq(stream_write_file_atomic(dir, "state", "snapshot", 8), 0);
	file_is(path, "snapshot", 8);
	ck_assert(!exists(tmp_path));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(stream_write_file_atomic(dir, "state", "new", 3), 0);
	file_is(path, "new", 3);
	ck_assert(!exists(tmp_path));
}
END_TEST

/* A temporary file left by an interrupted write is replaced and gone. */
START_TEST(atomic_stale_tmp)
{
	int fd = open(tmp_path, O_WRONLY | O_CREAT, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "stale stale stale", 17), 17);
	close(fd);
	ck_assert_int_eq(stream_write_file_atomic(dir, "state", "ok", 2), 0);
	file_is(path, "ok", 2);
	ck_assert(!exists(tmp_path));
}
END_TEST

START_TEST(atomic_missing_dir)
{
	char missing[96];

	snprintf(missing, sizeof(missing), "%s/nope", dir);
	ck_assert_int_eq(stream_write_file_atomic(missing, "state", "x", 1), -ENOENT);
	ck_assert(!exists(missing));
	ck_assert_int_eq(stream_write_file_atomic(path, "state", "x", 1), -ENOENT);
	ck_assert(!exists(path));
}
END_TEST

/* The rename fails: the temporary file goes, the target stays a directory. */
START_TEST(atomic_rename_fails)
{
	char inner[160];
	struct stat st;

	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(inner, sizeof(inner), "%s/keep", path);
	ck_assert_int_eq(mkdir(inner, 0700), 0);
	ck_assert_int_lt(stream_write_file_atomic(dir, "state", "x", 1), 0);
	ck_assert(!exists(tmp_path));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
}
END_TEST

/* The write fails half-way (file size limit): the old file is intact. */
START_TEST(atomic_write_fails)
{
	static char big[8192];
	struct rlimit old, lim = { .rlim_cur = 4096, .rlim_max = RLIM_INFINITY };

	ck_assert_int_eq(stream_write_file_atomic(dir, "state", "old", 3), 0);
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim.rlim_max = old.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	ck_assert_int_eq(stream_write_file_atomic(dir, "state", big, sizeof(big)), -EFBIG);
	setrlimit(RLIMIT_FSIZE, &old);
	file_is(path, "old", 3);
	ck_assert(!exists(tmp_path));
}
END_TEST

START_TEST(atomic_bad_names)
{
	static const char *const bad[] = { "", "a/b", ".", "..", "/state", NULL };

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(stream_write_file_atomic(dir, bad[i], "x", 1) == -EINVAL,
			      "name %u accepted", i);
	ck_assert_int_eq(stream_write_file_atomic(NULL, "state", "x", 1), -EINVAL);
	ck_assert_int_eq(stream_write_file_atomic(dir, "state", NULL, 1), -EINVAL);
	ck_assert(!exists(path));
	ck_assert_int_eq(rmdir(dir), 0);	/* nothing at all was created */
	ck_assert_int_eq(mkdir(dir, 0700), 0);
}
END_TEST

/* The writer's file, written out and read back. */
START_TEST(atomic_roundtrip)
{
	char buf[256];
	uint32_t v;
	ssize_t n;
	int fd;

	small_file();
	ck_assert_int_eq(stream_write_file_atomic(dir, "state", stream_writer_data(&w),
						  stream_writer_len(&w)), 0);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_eq(n, (ssize_t)stream_writer_len(&w));
	open_ok(buf, (size_t)n);
	ck_assert_int_eq(stream_find_section(&r, "abi", &s), 0);
	ck_assert_int_eq(stream_get_u32(&s.payload, &v), 0);
	ck_assert_uint_eq(v, 7);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("stream");
	TCase *tc;

	tc = UNIT_TCASE(su, "roundtrip", roundtrip_ints, roundtrip_blobs, layout_exact,
			keyed_entries, keyed_u64, generic_walk, several_sections,
			find_section, no_sections, many_entries);
	tcase_add_checked_fixture(tc, setup, teardown);
	tc = UNIT_TCASE(su, "payload_errors", read_past_end, type_mismatch, str_too_long,
			bytes_wrong_length, unread_fields, bad_fields, str_with_nul);
	tcase_add_checked_fixture(tc, setup, teardown);
	tc = UNIT_TCASE(su, "file_errors", bad_magic, newer_version, wrong_arch,
			header_flags_and_crc, section_crc, section_truncated, bad_section_names,
			end_marker, truncated_everywhere, bit_flips_everywhere);
	tcase_add_checked_fixture(tc, setup, teardown);
	tc = UNIT_TCASE(su, "writer_misuse", writer_bad_names, writer_put_outside,
			writer_end_without_begin, writer_nested, writer_finish_open,
			writer_after_finish, writer_null_data);
	tcase_add_checked_fixture(tc, setup, teardown);
	tc = UNIT_TCASE(su, "atomic_write", atomic_write, atomic_stale_tmp, atomic_missing_dir,
			atomic_rename_fails, atomic_write_fails, atomic_bad_names,
			atomic_roundtrip);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	return unit_run(su);
}
