/* libFuzzer harness of the live-migration receive path: the wire's handshake
 * and frame reader (migration/wire.c) and the RAM pages decoder
 * (migration/pages.c). Each input is used three ways:
 *  1. as everything a source sends to a destination-role wire (its HELLO,
 *     then frames), as it is;
 *  2. the same after the harness has sealed every frame as wire.h says
 *     (payload encrypted in place and tagged with the source's direction
 *     key, or only tagged when insecure), so that mutations of the clear
 *     payload get past the AEAD into the frame checks (and WIRE_PAGES
 *     payloads into pages_apply);
 *  3. as a WIRE_PAGES payload given straight to pages_apply, with 4 KiB and
 *     64 KiB pages, and as a WIRE_DISK payload given to disk_in_apply on a
 *     256 KiB disk (a memfd), which must never grow nor fail silently.
 * libsodium's randomness is replaced by a constant, so the destination's
 * nonce, and with it the keys, is known in advance. The destination uses
 * the fixed secret below, or none when the input's HELLO says it is
 * insecure (its byte 13 is 0). Every failure must leave a message, and a
 * frame must lie in the wire's buffer; a broken rule is a crash.
 *
 * Built and run by scripts/fuzz-wire. Built with -DFUZZ_WIRE_SEEDS it is
 * instead a program that writes the seed corpus into the directory named
 * by its argument: streams captured from a source-role wire, each frame
 * opened again (decrypted in place, its tag left as it was), so that step 2
 * turns a seed back into the captured bytes (the writer checks it). */
#include "migration/disk_copy.h"
#include "migration/pages.h"
#include "vmm/le.h"
#include "migration/wire.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define require(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

#define NONCE_BYTE	0x5a		/* every "random" byte */
#define RAM_SIZE	(256u << 10)

static const uint8_t secret[WIRE_KEY_LEN] = "itsy fuzz secret, 32 bytes long";
static uint8_t ram[RAM_SIZE];

/* ---- Constant randomness ---- */

static const char *fixed_name(void)
{
	return "fuzz-fixed";
}

static uint32_t fixed_random(void)
{
	return NONCE_BYTE * 0x01010101u;
}

static void fixed_buf(void *const buf, const size_t size)
{
	memset(buf, NONCE_BYTE, size);
}

static randombytes_implementation fixed_rng = {
	.implementation_name = fixed_name, .random = fixed_random, .buf = fixed_buf,
};

static void fuzz_init(void)
{
	static bool done;

	if (done)
		return;
	require(!randombytes_set_implementation(&fixed_rng));
	require(sodium_init() >= 0);
	done = true;
}

/* ---- The format, as documented in migration/wire.h ---- */

/* The key of direction @dir for a source nonce @src_nonce and our constant
 * nonce. */
static void key_make(uint8_t *key, uint8_t dir, const uint8_t *sec, const uint8_t *src_nonce)
{
	static const uint8_t zero[WIRE_KEY_LEN];
	uint8_t in[17 + 1 + 2 * WIRE_NONCE_LEN];

	memcpy(in, "itsy-migration-v2", 17);
	in[17] = dir;
	memcpy(in + 18, src_nonce, WIRE_NONCE_LEN);
	memset(in + 18 + WIRE_NONCE_LEN, NONCE_BYTE, WIRE_NONCE_LEN);
	crypto_generichash(key, WIRE_KEY_LEN, in, sizeof(in), sec ? sec : zero, WIRE_KEY_LEN);
}

static size_t tag_len(const uint8_t *sec)
{
	return sec ? WIRE_TAG_LEN : WIRE_MAC_LEN;
}

static void nonce_make(uint8_t nonce[24], uint64_t seq)
{
	memset(nonce, 0, 24);
	le_put(nonce, seq, 8);
}

typedef void frame_fn(uint8_t *f, size_t len, const uint8_t *key, const uint8_t *sec, uint64_t seq);

/* Seal the frame at @f (header, @len bytes of clear payload, room for the
 * tag) in place: encrypt and tag it, or only tag it when insecure. */
static void frame_seal(uint8_t *f, size_t len, const uint8_t *key, const uint8_t *sec, uint64_t seq)
{
	crypto_generichash_state st;
	uint8_t nonce[24];

	nonce_make(nonce, seq);
	if (sec) {
		crypto_aead_xchacha20poly1305_ietf_encrypt_detached(f + WIRE_HDR_LEN, f + WIRE_HDR_LEN + len,
								    NULL, f + WIRE_HDR_LEN, len, f,
								    WIRE_HDR_LEN, NULL, nonce, key);
		return;
	}
	crypto_generichash_init(&st, key, WIRE_KEY_LEN, WIRE_MAC_LEN);
	crypto_generichash_update(&st, nonce, 8);
	crypto_generichash_update(&st, f, WIRE_HDR_LEN + len);
	crypto_generichash_final(&st, f + WIRE_HDR_LEN + len, WIRE_MAC_LEN);
}

/* The destination's secret for a stream starting with @hello. */
static const uint8_t *secret_for(const uint8_t *data, size_t len)
{
	return len > 13 && data[13] == 0 ? NULL : secret;
}

/* Call @fn on every whole frame after the HELLO, with the source's key. */
static void frames_walk(uint8_t *buf, size_t len, frame_fn *fn)
{
	const uint8_t *sec = secret_for(buf, len);
	uint8_t key[WIRE_KEY_LEN];
	size_t pos = WIRE_HELLO_LEN, t = tag_len(sec);
	uint64_t seq = 0;

	if (len < WIRE_HELLO_LEN)
		return;
	key_make(key, 1, sec, buf + 14);
	while (len - pos >= WIRE_HDR_LEN) {
		uint64_t n = le_get(buf + pos + 4, 4);

		if (n > WIRE_MAX_PAYLOAD || len - pos - WIRE_HDR_LEN < n + t)
			return;
		fn(buf + pos, n, key, sec, seq++);
		pos += WIRE_HDR_LEN + n + t;
	}
}

/* ---- Checks ---- */

static void apply_pages(const uint8_t *p, size_t len, uint32_t page_size)
{
	uint64_t data = ~0ull, zero = ~0ull;
	char err[160] = "";
	int rc = pages_apply(p, len, ram, RAM_SIZE, page_size, &data, &zero, err, sizeof(err));

	require(rc == 0 || (rc == -EINVAL && err[0]));
	require(data <= len / page_size && zero != ~0ull);
}

/* One disk of DISK_BYTES, a memfd made once. */
#define DISK_BYTES	(256u << 10)
static struct disk_in disk;

static void apply_disk(const uint8_t *p, size_t len)
{
	char err[160] = "";
	struct stat st;
	int rc;

	if (!disk.n) {
		disk.n = 1;
		disk.t[0].fd = memfd_create("fuzz-disk", 0);
		disk.t[0].size = DISK_BYTES;
		require(disk.t[0].fd >= 0 && !ftruncate(disk.t[0].fd, DISK_BYTES));
	}
	rc = disk_in_apply(&disk, p, len, err, sizeof(err));
	require(rc == 0 || (rc < 0 && err[0]));
	require(!fstat(disk.t[0].fd, &st) && st.st_size == DISK_BYTES);
}

/* Feed @len bytes of @data to a destination wire, as its peer. */
static void run_wire(const uint8_t *data, size_t len)
{
	const uint8_t *payload;
	struct wire w;
	size_t plen, pos = 0;
	uint8_t type;
	int sp[2], rc;

	require(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp));
	while (pos < len) {
		ssize_t put = send(sp[0], data + pos, len - pos, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (put <= 0)
			break;		/* the socket is full: the rest is cut off */
		pos += (size_t)put;
	}
	shutdown(sp[0], SHUT_WR);
	require(!wire_init(&w, sp[1], 1000));
	rc = wire_handshake(&w, 0, secret_for(data, len));
	while (!rc) {
		rc = wire_recv(&w, &type, &payload, &plen);
		if (rc)
			break;
		require(type >= WIRE_BEGIN && type <= WIRE_LAST);
		require(payload == w.buf && plen <= WIRE_MAX_PAYLOAD);
		require(plen + (w.secured ? WIRE_TAG_LEN : WIRE_MAC_LEN) <= w.cap);
		if (type == WIRE_PAGES)
			apply_pages(payload, plen, 4096);
		if (type == WIRE_DISK)
			apply_disk(payload, plen);
	}
	require(rc < 0 && rc != -ETIMEDOUT && w.err[0]);
	require(wire_recv(&w, &type, &payload, &plen) == rc && !payload && !plen);
	wire_free(&w);
	close(sp[0]);
	close(sp[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	require(copy);
	fuzz_init();
	run_wire(data, len);
	if (len)
		memcpy(copy, data, len);
	frames_walk(copy, len, frame_seal);
	run_wire(copy, len);
	free(copy);
	apply_pages(data, len, 4096);
	apply_pages(data, len, 65536);
	apply_disk(data, len);
	return 0;
}

#ifdef FUZZ_WIRE_SEEDS
/* ---- Seed corpus: what a source-role wire sends ---- */

/* Queue a destination's HELLO and AUTH for the source on @fd. */
static void dest_queue(int fd, const uint8_t *sec)
{
	uint8_t h[WIRE_HELLO_LEN + WIRE_HDR_LEN + WIRE_MAC_LEN] = "ITSYMIG1";
	uint8_t key[WIRE_KEY_LEN];
	size_t n = WIRE_HELLO_LEN + WIRE_HDR_LEN + tag_len(sec);

	le_put(h + 8, WIRE_VERSION, 4);
	h[12] = WIRE_DESTINATION;
	h[13] = sec != NULL;
	memset(h + 14, NONCE_BYTE, WIRE_NONCE_LEN);
	key_make(key, 2, sec, h + 14);	/* the source's nonce is the same constant */
	memset(h + WIRE_HELLO_LEN, 0, WIRE_HDR_LEN);
	h[WIRE_HELLO_LEN] = WIRE_AUTH;
	frame_seal(h + WIRE_HELLO_LEN, 0, key, sec, 0);
	require(write(fd, h, n) == (ssize_t)n);
}

/* Undo frame_seal's encryption (the tag stays): seeds hold clear payloads. */
static void frame_open(uint8_t *f, size_t len, const uint8_t *key, const uint8_t *sec, uint64_t seq)
{
	uint8_t nonce[24];

	nonce_make(nonce, seq);
	if (sec)
		require(!crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
			f + WIRE_HDR_LEN, NULL, f + WIRE_HDR_LEN, len, f + WIRE_HDR_LEN + len, f,
			WIRE_HDR_LEN, nonce, key));
}

static void send_pages(struct wire *w)
{
	static uint8_t page[4096];
	struct pages_batch b;

	require(!pages_init(&b, sizeof(page), 3 * (8 + sizeof(page))));
	for (unsigned i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i * 13 + 1);
	require(!pages_add(&b, 0, page));
	memset(page, 0, sizeof(page));
	for (uint64_t off = 0x1000; off < 0x5000; off += 0x1000)
		require(!pages_add(&b, off, page));
	page[100] = 7;
	require(!pages_add(&b, 0x9000, page));
	require(!wire_send(w, WIRE_PAGES, b.buf, b.len));
	pages_free(&b);
}

/* A WIRE_DISK frame: data, then a zero range, on disk 0. */
static void send_disk(struct wire *w)
{
	static uint8_t f[DISK_HDR_LEN + 2 * DISK_REC_LEN + 1024];
	uint8_t *r = f + DISK_HDR_LEN;

	le_put(f, 0, 4);
	le_put(f + 4, 2, 4);
	le_put(r, 4096, 8);
	le_put(r + 8, 1024, 8);
	le_put(r + 16, DISK_KIND_DATA, 4);
	memset(r + DISK_REC_LEN, 0x3c, 1024);
	r += DISK_REC_LEN + 1024;
	le_put(r, 65536, 8);
	le_put(r + 8, 65536, 8);
	le_put(r + 16, DISK_KIND_ZERO, 4);
	require(!wire_send(w, WIRE_DISK, f, sizeof(f)));
}

enum { SEED_PAGES = 1, SEED_ERROR = 2, SEED_DISK = 4 };

static int seed_write(const char *dir, const char *name, const uint8_t *sec, unsigned parts)
{
	static uint8_t out[1 << 16], clear[1 << 16], again[1 << 16];
	struct wire w;
	char path[512];
	size_t n = 0;
	ssize_t got;
	FILE *f;
	int sp[2];

	require(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp));
	dest_queue(sp[0], sec);
	require(!wire_init(&w, sp[1], 1000));
	require(!wire_handshake(&w, 1, sec));
	require(!wire_send(&w, WIRE_BEGIN, "{\"ram\": 268435456}", 18));
	if (parts & SEED_DISK)
		send_disk(&w);
	if (parts & SEED_PAGES) {
		send_pages(&w);
		require(!wire_send(&w, WIRE_PASS_END, "\x01\0\0\0", 4));
		require(!wire_send(&w, WIRE_STATE, "state bytes", 11));
		require(!wire_send(&w, WIRE_GO, NULL, 0));
	}
	if (parts & SEED_ERROR)
		wire_send_error(&w, "the source failed: out of memory");
	wire_free(&w);
	close(sp[1]);
	/* everything the source sent, up to its end of the connection */
	while ((got = read(sp[0], out + n, sizeof(out) - n)) > 0)
		n += (size_t)got;
	close(sp[0]);
	require(got == 0 && n < sizeof(out));
	/* the seed in clear, which the harness must seal back into out */
	memcpy(clear, out, n);
	frames_walk(clear, n, frame_open);
	memcpy(again, clear, n);
	frames_walk(again, n, frame_seal);
	require(!memcmp(again, out, n));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(clear, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "%s: cannot write\n", path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	fuzz_init();
	return seed_write(argv[1], "handshake", secret, 0) ||
	       seed_write(argv[1], "pages", secret, SEED_PAGES) ||
	       seed_write(argv[1], "pages-insecure", NULL, SEED_PAGES) ||
	       seed_write(argv[1], "error", secret, SEED_ERROR) ||
	       seed_write(argv[1], "disk", secret, SEED_DISK | SEED_PAGES);
}
#endif
