/* libFuzzer harness of the snapshot state-file reader (migration/stream.c).
 * Each input is read three ways:
 *  1. as a state file, as it is;
 *  2. as a state file after its header and section CRCs are recomputed, so
 *     that mutations get past the CRCs into the section and field decoders;
 *  3. as the payload of the one section of an otherwise valid file.
 * Every section is walked generically (stream_get_field), then again with
 * the typed and keyed readers; every error must come with a message, and a
 * file that opens and decodes fully must be rewritten byte for byte by the
 * writer. A broken rule is a crash (__builtin_trap).
 *
 * Built and run by scripts/fuzz-stream. Built with -DFUZZ_STREAM_SEEDS it is
 * instead a program that writes the seed corpus into the directory named by
 * its argument. */
#include "migration/stream.h"
#include "vmm/le.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define HDR_LEN		28

#define require(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

/* A failed read left a message. */
static void failed_ok(int rc, const char *err)
{
	require(rc < 0 && err[0]);
}

/* @f lies inside @p's payload. */
static void field_inside(const struct stream_payload *p, const struct stream_field *f)
{
	const uint8_t *d = f->data;

	require(d >= p->buf && d <= p->buf + p->len);
	require(f->len <= (size_t)(p->buf + p->len - d));
}

/* Re-encode field @f into @w. */
static void field_put(struct stream_writer *w, const struct stream_field *f)
{
	switch (f->type) {
	case STREAM_U8: stream_put_u8(w, (uint8_t)f->u); break;
	case STREAM_U16: stream_put_u16(w, (uint16_t)f->u); break;
	case STREAM_U32: stream_put_u32(w, (uint32_t)f->u); break;
	case STREAM_U64: stream_put_u64(w, f->u); break;
	case STREAM_BYTES: stream_put_bytes(w, f->data, f->len); break;
	case STREAM_STR: {
		char *str = strndup(f->data, f->len);	/* exact only without NUL */

		require(str);
		stream_put_str(w, str);
		free(str);
		break;
	}
	case STREAM_KV: stream_put_kv(w, f->key, f->data, f->len); break;
	}
}

/* Walk @p field by field, copying the fields into @w if not NULL. Returns
 * whether the payload decoded fully. */
static bool walk_fields(struct stream_payload p, struct stream_writer *w, bool *exact)
{
	struct stream_field f;
	int rc;

	while ((rc = stream_get_field(&p, &f)) > 0) {
		field_inside(&p, &f);
		if (f.type == STREAM_STR && memchr(f.data, '\0', f.len))
			*exact = false;
		if (w)
			field_put(w, &f);
	}
	if (rc < 0) {
		failed_ok(rc, p.err);
		require(stream_get_end(&p) == rc);
		return false;
	}
	require(p.pos == p.len && stream_get_end(&p) == 0);
	return true;
}

/* Read field @f of @p with the typed reader of its type. */
static int typed_get(struct stream_payload *p, const struct stream_field *f)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32, len;
	uint64_t u64, key;
	const void *d;
	char str[64];

	switch (f->type) {
	case STREAM_U8: require(!stream_get_u8(p, &u8) && u8 == f->u); return 0;
	case STREAM_U16: require(!stream_get_u16(p, &u16) && u16 == f->u); return 0;
	case STREAM_U32: require(!stream_get_u32(p, &u32) && u32 == f->u); return 0;
	case STREAM_U64: require(!stream_get_u64(p, &u64) && u64 == f->u); return 0;
	case STREAM_BYTES:
		require(!stream_get_bytes(p, &d, &len) && d == f->data && len == f->len);
		return 0;
	case STREAM_STR: return stream_get_str(p, str, sizeof(str));
	case STREAM_KV:
		require(stream_get_kv(p, &key, &d, &len) == 1 && key == f->key && d == f->data);
		return 0;
	}
	__builtin_trap();
}

/* A reader of another type than @t: it must refuse the field. */
static void wrong_get(struct stream_payload p, enum stream_type t)
{
	uint32_t u32;
	uint64_t u64;
	char c[4];

	if (t != STREAM_U32)
		failed_ok(stream_get_u32(&p, &u32), p.err);
	else
		failed_ok(stream_get_u64(&p, &u64), p.err);
	p.error = 0;
	if (t != STREAM_BYTES)
		failed_ok(stream_get_bytes_fixed(&p, c, sizeof(c)), p.err);
}

/* Walk @p with the typed readers, keyed entries also as u64 values. */
static void walk_typed(struct stream_payload p)
{
	struct stream_payload peek = p, kv = p;
	struct stream_field f;
	uint64_t key, v;
	int rc;

	for (;;) {
		rc = stream_get_field(&peek, &f);
		if (rc < 0)
			failed_ok(rc, peek.err);
		if (rc <= 0)
			break;
		wrong_get(p, f.type);
		rc = typed_get(&p, &f);
		if (rc) {
			failed_ok(rc, p.err);
			break;
		}
	}
	while ((rc = stream_get_kv_u64(&kv, &key, &v)) > 0)
		;
	if (rc < 0)
		failed_ok(rc, kv.err);
}

/* Open @buf and walk everything in it. */
static void read_file(const uint8_t *buf, size_t len)
{
	struct stream_writer w;
	struct stream_reader r;
	struct stream_section s, t;
	bool full = true, exact = true;
	uint32_t n = 0;
	int rc = stream_reader_open(&r, buf, len);

	if (rc) {
		failed_ok(rc, r.err);
		require(stream_next_section(&r, &s) == rc);
		return;
	}
	require(!stream_writer_init(&w));
	while ((rc = stream_next_section(&r, &s)) > 0) {
		n++;
		require(!stream_find_section(&r, s.name, &t) && !strcmp(t.name, s.name));
		require(!stream_section_begin(&w, s.name, s.version));
		full &= walk_fields(s.payload, &w, &exact);
		walk_typed(s.payload);
		stream_section_end(&w);
	}
	require(rc == 0 && n == le_get(buf + len - 4, 4));
	require(stream_next_section(&r, &s) == 0);
	if (full && exact)
		require(!stream_writer_finish(&w) && stream_writer_len(&w) == len &&
			!memcmp(stream_writer_data(&w), buf, len));
	stream_writer_free(&w);
}

/* Recompute the header CRC and every section CRC that can be found. */
static void fix_crcs(uint8_t *buf, size_t len)
{
	size_t pos = HDR_LEN;

	if (len < HDR_LEN)
		return;
	le_put(buf + 24, crc32(0, buf, 24), 4);
	while (pos < len && buf[pos]) {
		size_t n = buf[pos], left = len - pos;
		uint64_t plen;

		if (left < 1 + n + 12)
			return;
		plen = le_get(buf + pos + 1 + n + 4, 8);
		if (plen > left - (1 + n + 12) || left - (1 + n + 12) - plen < 4)
			return;
		n += 1 + 12 + plen;
		le_put(buf + pos + n, crc32(0, buf + pos, (uInt)n), 4);
		pos += n + 4;
	}
}

/* A valid file whose one section "fuzz" holds @data as its payload. */
static void read_wrapped(const uint8_t *data, size_t len)
{
	struct stream_writer w;
	size_t hdr, sect = 1 + 4 + 4 + 8, total;
	uint8_t *buf;

	require(!stream_writer_init(&w));
	hdr = stream_writer_len(&w);
	total = hdr + sect + len + 4 + 5;
	buf = malloc(total);
	require(buf);
	memcpy(buf, stream_writer_data(&w), hdr);
	stream_writer_free(&w);
	buf[hdr] = 4;
	memcpy(buf + hdr + 1, "fuzz", 4);
	le_put(buf + hdr + 5, 1, 4);
	le_put(buf + hdr + 9, len, 8);
	if (len)
		memcpy(buf + hdr + sect, data, len);
	le_put(buf + hdr + sect + len, crc32(0, buf + hdr, (uInt)(sect + len)), 4);
	buf[total - 5] = 0;
	le_put(buf + total - 4, 1, 4);
	read_file(buf, total);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	require(copy);
	read_file(data, len);
	if (len)
		memcpy(copy, data, len);
	fix_crcs(copy, len);
	read_file(copy, len);
	free(copy);
	if (len <= (1u << 20))
		read_wrapped(data, len);
	return 0;
}

#ifdef FUZZ_STREAM_SEEDS
/* ---- Seed corpus: a few small valid files ---- */

static void seed_abi(struct stream_writer *w)
{
	stream_section_begin(w, "abi", 1);
	stream_put_str(w, "itsy 0.1.0");
	stream_put_u32(w, 2);		/* vcpus */
	stream_put_u64(w, 256ull << 20);	/* RAM */
	stream_section_end(w);
}

static void seed_vcpu(struct stream_writer *w, const char *name)
{
	stream_section_begin(w, name, 1);
	for (uint64_t i = 0; i < 8; i++)	/* x0..x7, by KVM register id */
		stream_put_kv_u64(w, 0x6030000000100000ull + 2 * i, 0x1000 * i + 7);
	stream_put_kv(w, 0x6040000000100054ull, "0123456789abcdef", 16);	/* v0 */
	stream_put_u8(w, 1);		/* powered on */
	stream_section_end(w);
}

static void seed_gic(struct stream_writer *w)
{
	stream_section_begin(w, "gic.dist", 2);
	stream_put_kv(w, 0x0000, "\x13\0\0\0", 4);	/* GICD_CTLR, by offset */
	stream_put_kv(w, 0x0080, "\xff\xff\xff\xff", 4);
	stream_put_kv(w, 0x0400, "\xa0\xa0\xa0\xa0", 4);
	stream_put_u16(w, 96);		/* SPIs */
	stream_section_end(w);
	stream_section_begin(w, "its", 1);
	stream_put_bytes(w, "\x01\x00\x00\x00\x00\x10\x08\x00", 8);
	stream_put_u64(w, 0x08080000);
	stream_section_end(w);
}

static void seed_dev(struct stream_writer *w)
{
	stream_section_begin(w, "dev.virtio-blk.0", 3);
	stream_put_str(w, "disk.img");
	stream_put_u64(w, 0x31);	/* features */
	stream_put_u16(w, 128);		/* queue size */
	stream_put_u16(w, 17);		/* last avail */
	stream_put_bytes(w, NULL, 0);
	stream_section_end(w);
}

enum { ABI = 1, VCPUS = 2, GIC = 4, DEV = 8 };

static int seed_write(const char *dir, const char *name, unsigned parts)
{
	struct stream_writer w;
	int rc;

	stream_writer_init(&w);
	if (parts & ABI)
		seed_abi(&w);
	if (parts & VCPUS) {
		seed_vcpu(&w, "vcpu.0");
		seed_vcpu(&w, "vcpu.1");
	}
	if (parts & GIC)
		seed_gic(&w);
	if (parts & DEV)
		seed_dev(&w);
	rc = stream_writer_finish(&w);
	if (!rc)
		rc = stream_write_file_atomic(dir, name, stream_writer_data(&w),
					      stream_writer_len(&w));
	if (rc)
		fprintf(stderr, "%s: error %d %s\n", name, rc, stream_writer_err(&w));
	stream_writer_free(&w);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	return seed_write(argv[1], "empty", 0) || seed_write(argv[1], "abi-vcpu", ABI | VCPUS) ||
	       seed_write(argv[1], "gic", GIC) || seed_write(argv[1], "dev", DEV) ||
	       seed_write(argv[1], "full", ABI | VCPUS | GIC | DEV);
}
#endif
