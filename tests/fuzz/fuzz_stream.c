/* libFuzzer harness of the snapshot state-file reader (migration/stream.c).
 * Each input is read three ways:
 *  1. as a state file, as it is;
 *  2. as a state file after its header and section CRCs are recomputed, so
 *     that mutations get past the CRCs into the section and entry decoders;
 *  3. as the payload of the one section of an otherwise valid file.
 * Every section's keyed entries are read to the end or the first error.
 * Every error must come with a message naming the section and the entry's
 * position; a refused entry must be one the layout in stream.h refuses (a
 * type byte other than 0x07, or one that runs past the payload), and an
 * accepted one must lie inside the payload; a file that opens and decodes
 * fully must be rewritten byte for byte by the writer. A broken rule is a
 * crash (__builtin_trap).
 *
 * Built and run by scripts/fuzz-stream. Built with -DFUZZ_STREAM_SEEDS it is
 * instead a program that writes the seed corpus into the directory named by
 * its argument. */
#include "migration/stream.h"
#include "vmm/le.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define HDR_LEN		28
#define KV_HEAD		13	/* type byte, key, value length */

#define require(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

/* The entry at @p's position by the documented layout: 1 if it is a
 * whole keyed entry, 0 if the reader must refuse it. */
static int entry_ok(const struct stream_payload *p)
{
	size_t left = p->len - p->pos;
	const uint8_t *q = p->buf + p->pos;

	return q[0] == STREAM_KV && left >= KV_HEAD && left - KV_HEAD >= le_get(q + 9, 4);
}

/* @p's error names the section, entry @n and, for a wrong type, its byte. */
static void refusal_ok(const struct stream_payload *p, int rc, size_t n)
{
	char want[STREAM_ERR_LEN];
	uint8_t t = p->buf[p->pos];

	require(rc == -EBADMSG && !entry_ok(p));
	snprintf(want, sizeof(want), "section '%s': field %zu", p->section, n);
	require(!strncmp(p->err, want, strlen(want)));
	if (t != STREAM_KV) {
		snprintf(want, sizeof(want), "section '%s': field %zu is of type 0x%02x; "
			 "only keyed entries are expected", p->section, n, t);
		require(!strcmp(p->err, want));
	} else {
		require(strstr(p->err, "keyed entry truncated"));
	}
}

/* Read @p's entries, copying them into @w. Returns whether the payload
 * decoded fully. */
static bool walk_entries(struct stream_payload p, struct stream_writer *w)
{
	const uint8_t *val;
	const void *v;
	uint64_t key;
	uint32_t len;
	size_t n = 0;
	int rc;

	while ((rc = stream_get_kv(&p, &key, &v, &len)) > 0) {
		val = v;
		require(val >= p.buf + KV_HEAD && val + len == p.buf + p.pos);
		require(key == le_get(val - 12, 8) && len == le_get(val - 4, 4));
		stream_put_kv(w, key, val, len);
		n++;
	}
	require(!key && !v && !len && p.field == n);
	if (rc < 0) {
		refusal_ok(&p, rc, n);
		require(stream_get_kv(&p, &key, &v, &len) == rc && stream_get_end(&p) == rc);
		return false;
	}
	require(rc == 0 && p.pos == p.len && stream_get_end(&p) == 0);
	return true;
}

/* Open @buf and walk everything in it. */
static void read_file(const uint8_t *buf, size_t len)
{
	struct stream_writer w;
	struct stream_reader r;
	struct stream_section s;
	bool full = true;
	uint32_t n = 0;
	int rc = stream_reader_open(&r, buf, len);

	if (rc) {
		require(rc < 0 && r.err[0]);
		require(stream_next_section(&r, &s) == rc);
		return;
	}
	require(!stream_writer_init(&w));
	while ((rc = stream_next_section(&r, &s)) > 0) {
		n++;
		require(!stream_section_begin(&w, s.name, s.version));
		full &= walk_entries(s.payload, &w);
		stream_section_end(&w);
	}
	require(rc == 0 && n == le_get(buf + len - 4, 4));
	require(stream_next_section(&r, &s) == 0);
	if (full)
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
/* ---- Seed corpus: a few small valid files, shaped like real state ---- */

static void put_le(struct stream_writer *w, uint64_t key, uint64_t v, unsigned n)
{
	uint8_t b[8];

	le_put(b, v, n);
	stream_put_kv(w, key, b, n);
}

static void seed_config(struct stream_writer *w)
{
	stream_section_begin(w, "config", 1);
	put_le(w, 1, 2, 4);			/* vCPUs */
	put_le(w, 2, 256ull << 20, 8);		/* RAM */
	put_le(w, 8, 1, 4);			/* disks */
	stream_put_kv(w, 0x100, "disk.img", 8);	/* its path */
	put_le(w, 0x140, 0, 1);
	stream_section_end(w);
	stream_section_begin(w, "abi", 1);
	put_le(w, 1, 4096, 8);			/* page size */
	stream_put_kv(w, 9, "6.12.0", 6);	/* host kernel */
	stream_section_end(w);
}

static void seed_vcpu(struct stream_writer *w, const char *name)
{
	stream_section_begin(w, name, 1);
	for (uint64_t i = 0; i < 8; i++)	/* x0..x7, by KVM register id */
		put_le(w, 0x6030000000100000ull + 2 * i, 0x1000 * i + 7, 8);
	stream_put_kv(w, 0x6040000000100054ull, "0123456789abcdef", 16);	/* v0 */
	put_le(w, 1, 0, 4);			/* mp_state */
	stream_section_end(w);
}

static void seed_gic(struct stream_writer *w)
{
	stream_section_begin(w, "gic.dist", 2);
	stream_put_kv(w, 0x0000, "\x13\0\0\0", 4);	/* GICD_CTLR, by offset */
	stream_put_kv(w, 0x0080, "\xff\xff\xff\xff", 4);
	stream_put_kv(w, 0x0400, "\xa0\xa0\xa0\xa0", 4);
	stream_section_end(w);
	stream_section_begin(w, "its", 1);
	put_le(w, 0x0080, 0x08080000, 8);	/* GITS_CBASER */
	stream_section_end(w);
}

static void seed_dev(struct stream_writer *w)
{
	static const uint8_t cfg[64] = { 0xf4, 0x1a, 0x42, 0x10 };

	stream_section_begin(w, "dev.3.virtio-pci", 1);
	stream_put_kv(w, 1, cfg, sizeof(cfg));	/* config space (cut short) */
	put_le(w, 6, 0x31, 8);			/* features */
	put_le(w, 0x100, 128, 8);		/* queue 0 size */
	put_le(w, 0x106, 17, 8);		/* last avail */
	stream_put_kv(w, 2, NULL, 0);		/* MSI-X table: no vectors */
	stream_section_end(w);
}

enum { CONFIG = 1, VCPUS = 2, GIC = 4, DEV = 8 };

static int file_write(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	rc = fwrite(buf, 1, len, f) == len ? 0 : -1;
	return fclose(f) || rc ? -1 : 0;
}

static int seed_write(const char *dir, const char *name, unsigned parts)
{
	struct stream_writer w;
	int rc;

	stream_writer_init(&w);
	if (parts & CONFIG)
		seed_config(&w);
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
		rc = file_write(dir, name, stream_writer_data(&w), stream_writer_len(&w));
	if (rc)
		fprintf(stderr, "%s: error %d %s\n", name, rc, w.err);
	stream_writer_free(&w);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	return seed_write(argv[1], "empty", 0) || seed_write(argv[1], "abi-vcpu", CONFIG | VCPUS) ||
	       seed_write(argv[1], "gic", GIC) || seed_write(argv[1], "dev", DEV) ||
	       seed_write(argv[1], "full", CONFIG | VCPUS | GIC | DEV);
}
#endif
