/* Migration wire (migration/wire.c) over socketpairs. Two wires talk to each
 * other (one of them in a thread), or one wire talks to a hand-written peer
 * that builds HELLOs, keys and frames from the layout documented in
 * migration/wire.h, so that the tests check the format and not only that
 * both ends agree. */
#include "migration/wire.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#define TIMEOUT_MS	5000

static const uint8_t secret_a[WIRE_KEY_LEN] = "the first secret hash, 32 bytes";
static const uint8_t secret_b[WIRE_KEY_LEN] = "another secret hash, 32 bytes!!";

static void le_put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void pair_open(int sp[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
}

static void write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t put = write(fd, b, n);

		ck_assert_int_gt(put, 0);
		b += put;
		n -= (size_t)put;
	}
}

static void read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;

	while (n) {
		ssize_t got = read(fd, b, n);

		ck_assert_int_gt(got, 0);
		b += got;
		n -= (size_t)got;
	}
}

static void err_has(const struct wire *w, const char *what)
{
	ck_assert_msg(strstr(w->err, what), "message '%s' lacks '%s'", w->err, what);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- One end in a thread ---- */

struct side {
	struct wire w;
	int is_source;
	const uint8_t *secret;
	int rc;
	pthread_t thread;
};

static void *side_run(void *arg)
{
	struct side *s = arg;

	s->rc = wire_handshake(&s->w, s->is_source, s->secret);
	return NULL;
}

static void side_start(struct side *s, int fd, int is_source, const uint8_t *secret)
{
	ck_assert_int_eq(wire_init(&s->w, fd, TIMEOUT_MS), 0);
	s->is_source = is_source;
	s->secret = secret;
	ck_assert_int_eq(pthread_create(&s->thread, NULL, side_run, s), 0);
}

static void side_join(struct side *s)
{
	ck_assert_int_eq(pthread_join(s->thread, NULL), 0);
}

/* Handshake a source @src with secret @ss and a destination @dst with @ds. */
static void both_handshake(int sp[2], struct side *src, const uint8_t *ss,
			   struct side *dst, const uint8_t *ds)
{
	pair_open(sp);
	side_start(dst, sp[1], 0, ds);
	ck_assert_int_eq(wire_init(&src->w, sp[0], TIMEOUT_MS), 0);
	src->rc = wire_handshake(&src->w, 1, ss);
	side_join(dst);
}

static void both_close(int sp[2], struct side *src, struct side *dst)
{
	wire_free(&src->w);
	wire_free(&dst->w);
	close(sp[0]);
	close(sp[1]);
}

START_TEST(handshake_secured)
{
	struct side src, dst;
	int sp[2];

	both_handshake(sp, &src, secret_a, &dst, secret_a);
	ck_assert_int_eq(src.rc, 0);
	ck_assert_int_eq(dst.rc, 0);
	ck_assert_mem_eq(src.w.send_key, dst.w.recv_key, WIRE_KEY_LEN);
	ck_assert_mem_eq(src.w.recv_key, dst.w.send_key, WIRE_KEY_LEN);
	ck_assert(memcmp(src.w.send_key, src.w.recv_key, WIRE_KEY_LEN));	/* one per direction */
	ck_assert_uint_eq(src.w.send_seq, 1);
	ck_assert_uint_eq(src.w.recv_seq, 1);
	ck_assert_uint_eq(dst.w.send_seq, 1);
	ck_assert_uint_eq(src.w.bytes_sent, WIRE_HELLO_LEN + WIRE_HDR_LEN + WIRE_TAG_LEN);
	ck_assert_uint_eq(src.w.bytes_recv, dst.w.bytes_sent);
	ck_assert_uint_eq(dst.w.bytes_recv, src.w.bytes_sent);
	ck_assert_int_eq(wire_handshake(&src.w, 1, secret_a), -EINVAL);
	both_close(sp, &src, &dst);
}
END_TEST

START_TEST(handshake_insecure)
{
	struct side src, dst;
	int sp[2];

	both_handshake(sp, &src, NULL, &dst, NULL);
	ck_assert_int_eq(src.rc, 0);
	ck_assert_int_eq(dst.rc, 0);
	ck_assert_uint_eq(src.w.bytes_sent, WIRE_HELLO_LEN + WIRE_HDR_LEN + WIRE_MAC_LEN);
	ck_assert_int_eq(wire_send(&src.w, WIRE_BEGIN, "x", 1), 0);
	both_close(sp, &src, &dst);
}
END_TEST

START_TEST(handshake_wrong_secret)
{
	static const char msg[] = "authentication failed: the peer's secret differs "
				  "(or the stream was tampered with)";
	struct side src, dst;
	int sp[2];

	both_handshake(sp, &src, secret_a, &dst, secret_b);
	ck_assert_int_eq(src.rc, -EACCES);
	ck_assert_int_eq(dst.rc, -EACCES);
	err_has(&src.w, msg);
	err_has(&dst.w, msg);
	/* the failed wire stays failed */
	ck_assert_int_eq(wire_send(&src.w, WIRE_BEGIN, NULL, 0), -EACCES);
	both_close(sp, &src, &dst);
}
END_TEST

START_TEST(handshake_secret_mismatch)
{
	struct side src, dst;
	int sp[2];

	both_handshake(sp, &src, secret_a, &dst, NULL);
	ck_assert_int_eq(src.rc, -EACCES);
	ck_assert_int_eq(dst.rc, -EACCES);
	err_has(&src.w, "the destination was started without a secret (--insecure)");
	err_has(&dst.w, "the destination was started without a secret (--insecure)");
	both_close(sp, &src, &dst);

	both_handshake(sp, &src, NULL, &dst, secret_a);
	ck_assert_int_eq(src.rc, -EACCES);
	ck_assert_int_eq(dst.rc, -EACCES);
	err_has(&src.w, "the source was started without a secret (--insecure)");
	err_has(&dst.w, "the source was started without a secret (--insecure)");
	both_close(sp, &src, &dst);
}
END_TEST

START_TEST(handshake_same_role)
{
	struct side a, b;
	int sp[2];

	pair_open(sp);
	side_start(&a, sp[0], 1, NULL);
	side_start(&b, sp[1], 1, NULL);
	side_join(&a);
	side_join(&b);
	ck_assert_int_eq(a.rc, -EPROTO);
	err_has(&a.w, "both ends are migration sources");
	both_close(sp, &a, &b);
}
END_TEST

/* ---- A hand-written source peer ---- */

struct peer {
	int sp[2];		/* sp[0]: the peer's end; sp[1]: the wire's */
	struct side dst;
	int secured;
	uint8_t to_dst[WIRE_KEY_LEN], to_src[WIRE_KEY_LEN];	/* direction keys 1 and 2 */
	uint64_t seq;		/* next frame to the destination */
};

static void hello_make(uint8_t *h, const char *magic, uint32_t version, uint8_t role,
		       uint8_t secured, uint8_t nonce_byte)
{
	memcpy(h, magic, 8);
	le_put(h + 8, version, 4);
	h[12] = role;
	h[13] = secured;
	memset(h + 14, nonce_byte, WIRE_NONCE_LEN);
}

static void key_make(uint8_t *key, uint8_t dir, const uint8_t *secret, const uint8_t *src_nonce,
		     const uint8_t *dst_nonce)
{
	static const uint8_t zero[WIRE_KEY_LEN];
	uint8_t in[17 + 1 + 64];

	memcpy(in, "itsy-migration-v2", 17);
	in[17] = dir;
	memcpy(in + 18, src_nonce, 32);
	memcpy(in + 50, dst_nonce, 32);
	crypto_generichash(key, 32, in, sizeof(in), secret ? secret : zero, 32);
}

static size_t tag_of(int secured)
{
	return secured ? 16 : 32;
}

/* Frame @type with @len bytes of @payload, number @seq, under @key, into
 * @out (secured: XChaCha20-Poly1305; else in clear with a BLAKE2b tag);
 * returns its length. */
static size_t frame_make(uint8_t *out, const uint8_t *key, int secured, uint64_t seq,
			 uint8_t type, const void *payload, uint32_t len)
{
	uint8_t nonce[24] = { 0 }, s[8];
	crypto_generichash_state st;

	memset(out, 0, 8);
	out[0] = type;
	le_put(out + 4, len, 4);
	le_put(s, seq, 8);
	if (secured) {
		memcpy(nonce, s, 8);
		crypto_aead_xchacha20poly1305_ietf_encrypt_detached(out + 8, out + 8 + len, NULL,
								    payload, len, out, 8, NULL,
								    nonce, key);
		return 8 + len + 16;
	}
	if (len)
		memcpy(out + 8, payload, len);
	crypto_generichash_init(&st, key, 32, 32);
	crypto_generichash_update(&st, s, 8);
	crypto_generichash_update(&st, out, 8 + len);
	crypto_generichash_final(&st, out + 8 + len, 32);
	return 8 + len + 32;
}

/* Handshake the destination wire with the hand-written source. */
static void peer_open(struct peer *p, const uint8_t *secret)
{
	uint8_t hello[WIRE_HELLO_LEN], got[WIRE_HELLO_LEN], frame[40], want[40];
	uint8_t src_nonce[32];
	size_t n;

	memset(p, 0, sizeof(*p));
	memset(src_nonce, 0x11, sizeof(src_nonce));
	p->secured = secret != NULL;
	pair_open(p->sp);
	hello_make(hello, "ITSYMIG1", 2, 1, secret != NULL, 0x11);
	write_all(p->sp[0], hello, sizeof(hello));
	side_start(&p->dst, p->sp[1], 0, secret);
	read_all(p->sp[0], got, sizeof(got));
	ck_assert_mem_eq(got, "ITSYMIG1\x02\0\0\0\x02", 13);
	ck_assert_uint_eq(got[13], secret != NULL);
	key_make(p->to_dst, 1, secret, src_nonce, got + 14);
	key_make(p->to_src, 2, secret, src_nonce, got + 14);
	n = frame_make(frame, p->to_dst, p->secured, 0, WIRE_AUTH, NULL, 0);
	ck_assert_uint_eq(n, 8 + tag_of(p->secured));
	write_all(p->sp[0], frame, n);
	read_all(p->sp[0], got, n);
	frame_make(want, p->to_src, p->secured, 0, WIRE_AUTH, NULL, 0);
	ck_assert_mem_eq(got, want, n);
	side_join(&p->dst);
	ck_assert_int_eq(p->dst.rc, 0);
	p->seq = 1;
}

static void peer_close(struct peer *p)
{
	wire_free(&p->dst.w);
	close(p->sp[0]);
	close(p->sp[1]);
}

/* Send a valid frame; returns its length in @buf. */
static size_t peer_frame(struct peer *p, uint8_t *buf, uint8_t type, const char *text)
{
	size_t n = frame_make(buf, p->to_dst, p->secured, p->seq++, type, text,
			      (uint32_t)strlen(text));

	write_all(p->sp[0], buf, n);
	return n;
}

static int recv_one(struct peer *p, uint8_t *type, const uint8_t **d, size_t *len)
{
	return wire_recv(&p->dst.w, type, d, len);
}

START_TEST(peer_format)
{
	struct peer p;
	uint8_t buf[128], type, got[80], want[80];
	const uint8_t *d;
	size_t len;

	peer_open(&p, secret_a);
	peer_frame(&p, buf, WIRE_BEGIN, "hello there");
	peer_frame(&p, buf, WIRE_PAGES, "");
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), 0);
	ck_assert_uint_eq(type, WIRE_BEGIN);
	ck_assert_uint_eq(len, 11);
	ck_assert_mem_eq(d, "hello there", 11);
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), 0);
	ck_assert_uint_eq(type, WIRE_PAGES);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_nonnull(d);
	/* and the other way */
	ck_assert_int_eq(wire_send(&p.dst.w, WIRE_READY, "ok!", 3), 0);
	read_all(p.sp[0], got, 8 + 3 + 16);
	frame_make(want, p.to_src, 1, 1, WIRE_READY, "ok!", 3);
	ck_assert_mem_eq(got, want, 8 + 3 + 16);
	ck_assert_uint_eq(p.dst.w.bytes_sent, WIRE_HELLO_LEN + 24 + 27);
	peer_close(&p);
}
END_TEST

START_TEST(peer_insecure_format)
{
	struct peer p;
	uint8_t buf[64], type, got[64], want[64];
	const uint8_t *d;
	size_t len;

	peer_open(&p, NULL);
	peer_frame(&p, buf, WIRE_GO, "go");
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), 0);
	ck_assert_uint_eq(type, WIRE_GO);
	ck_assert_mem_eq(d, "go", 2);
	ck_assert_int_eq(wire_send(&p.dst.w, WIRE_READY, "ok!", 3), 0);
	read_all(p.sp[0], got, 8 + 3 + 32);
	frame_make(want, p.to_src, 0, 1, WIRE_READY, "ok!", 3);
	ck_assert_mem_eq(got, want, 8 + 3 + 32);
	ck_assert_mem_eq(got + 8, "ok!", 3);	/* in clear */
	peer_close(&p);
}
END_TEST

/* A frame with bit @bit of byte @byte flipped is refused. */
static void flipped(const uint8_t *secret, size_t byte, unsigned bit)
{
	struct peer p;
	uint8_t buf[64], type;
	const uint8_t *d;
	size_t len, n;

	peer_open(&p, secret);
	n = frame_make(buf, p.to_dst, p.secured, p.seq++, WIRE_STATE, "some state", 10);
	ck_assert_uint_lt(byte, n);
	buf[byte] ^= (uint8_t)(1u << bit);
	write_all(p.sp[0], buf, n);
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), -EBADMSG);
	ck_assert_ptr_null(d);
	err_has(&p.dst.w, "frame 1 from the peer");
	/* sticky */
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), -EBADMSG);
	peer_close(&p);
}

START_TEST(flipped_bit)
{
	flipped(secret_a, 0, 0);	/* type */
	flipped(secret_a, 1, 3);	/* header padding */
	flipped(secret_a, 8, 0);	/* ciphertext */
	flipped(secret_a, 17, 7);
	flipped(secret_a, 18, 2);	/* tag */
	flipped(secret_a, 33, 7);
	flipped(NULL, 0, 0);		/* insecure: corruption is still caught */
	flipped(NULL, 12, 1);
	flipped(NULL, 49, 7);
}
END_TEST

/* With a secret the payload never crosses in clear; without, it does. */
static void clear_or_not(const uint8_t *secret)
{
	static const char mark[] = "GUEST-RAM-PAGE:";
	static uint8_t page[4096], got[8 + 4096 + 32], want[8 + 4096 + 32];
	size_t n = 8 + sizeof(page) + tag_of(secret != NULL);
	struct peer p;

	for (size_t i = 0; i + sizeof(mark) <= sizeof(page); i += sizeof(mark))
		memcpy(page + i, mark, sizeof(mark));
	peer_open(&p, secret);
	ck_assert_int_eq(wire_send(&p.dst.w, WIRE_PAGES, page, sizeof(page)), 0);
	read_all(p.sp[0], got, n);
	ck_assert_uint_eq(got[0], WIRE_PAGES);		/* the header is in clear */
	ck_assert_mem_eq(got + 4, "\x00\x10\0\0", 4);
	if (secret)
		ck_assert_ptr_null(memmem(got, n, mark, sizeof(mark) - 1));
	else
		ck_assert_ptr_nonnull(memmem(got, n, mark, sizeof(mark) - 1));
	frame_make(want, p.to_src, p.secured, 1, WIRE_PAGES, page, sizeof(page));
	ck_assert_mem_eq(got, want, n);		/* as wire.h says */
	peer_close(&p);
}

START_TEST(encrypted_on_the_socket)
{
	clear_or_not(secret_a);
	clear_or_not(NULL);
}
END_TEST

START_TEST(replay_reorder_reflect)
{
	struct peer p;
	uint8_t a[64], b[64], type;
	const uint8_t *d;
	size_t len, na, nb;

	/* replay */
	peer_open(&p, secret_a);
	na = peer_frame(&p, a, WIRE_STATE, "once");
	write_all(p.sp[0], a, na);
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), 0);
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), -EBADMSG);
	err_has(&p.dst.w, "failed authentication");
	peer_close(&p);

	/* reorder */
	peer_open(&p, secret_a);
	na = frame_make(a, p.to_dst, 1, 1, WIRE_STATE, "first", 5);
	nb = frame_make(b, p.to_dst, 1, 2, WIRE_STATE, "second", 6);
	write_all(p.sp[0], b, nb);
	write_all(p.sp[0], a, na);
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), -EBADMSG);
	peer_close(&p);

	/* a dropped frame: 1 never arrives, 2 does */
	peer_open(&p, secret_a);
	nb = frame_make(b, p.to_dst, 1, 2, WIRE_STATE, "second", 6);
	write_all(p.sp[0], b, nb);
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), -EBADMSG);
	peer_close(&p);

	/* reflection: a frame the destination itself would send */
	peer_open(&p, secret_a);
	na = frame_make(a, p.to_src, 1, 1, WIRE_STATE, "mirror", 6);
	write_all(p.sp[0], a, na);
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), -EBADMSG);
	peer_close(&p);

	/* reflection of what it really sent, at the right number */
	peer_open(&p, secret_a);
	ck_assert_int_eq(wire_send(&p.dst.w, WIRE_STATE, "mirror", 6), 0);
	read_all(p.sp[0], a, 8 + 6 + 16);
	write_all(p.sp[0], a, 8 + 6 + 16);
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), -EBADMSG);
	peer_close(&p);
}
END_TEST

START_TEST(oversize)
{
	struct peer p;
	uint8_t hdr[8] = { WIRE_PAGES }, type;
	const uint8_t *d;
	size_t len;

	peer_open(&p, secret_a);
	le_put(hdr + 4, WIRE_MAX_PAYLOAD + 1, 4);
	write_all(p.sp[0], hdr, sizeof(hdr));
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), -EMSGSIZE);
	err_has(&p.dst.w, "above the limit");
	ck_assert_uint_eq(p.dst.w.bytes_recv, WIRE_HELLO_LEN + 24 + 8);
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), -EMSGSIZE);
	/* and nothing that big goes out */
	ck_assert_int_eq(wire_send(&p.dst.w, WIRE_PAGES, &type, WIRE_MAX_PAYLOAD + 1), -EMSGSIZE);
	peer_close(&p);
}
END_TEST

START_TEST(unexpected_types)
{
	struct peer p;
	uint8_t buf[64], type;
	const uint8_t *d;
	size_t len;

	peer_open(&p, secret_a);
	peer_frame(&p, buf, WIRE_AUTH, "");
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), -EPROTO);
	err_has(&p.dst.w, "unexpected auth frame");
	peer_close(&p);

	peer_open(&p, secret_a);
	peer_frame(&p, buf, 200, "");
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), -EPROTO);
	err_has(&p.dst.w, "type 200");
	peer_close(&p);
}
END_TEST

START_TEST(closed_midway)
{
	struct peer p;
	uint8_t buf[64], type;
	const uint8_t *d;
	size_t len, n;

	for (size_t cut = 0; cut < 8 + 4 + 16; cut += 3) {
		peer_open(&p, secret_a);
		n = frame_make(buf, p.to_dst, 1, 1, WIRE_STATE, "abcd", 4);
		ck_assert_uint_lt(cut, n);
		write_all(p.sp[0], buf, cut);
		shutdown(p.sp[0], SHUT_WR);
		ck_assert_int_eq(recv_one(&p, &type, &d, &len), -ECONNRESET);
		err_has(&p.dst.w, "the peer closed the connection");
		if (cut)
			err_has(&p.dst.w, "in the middle of a frame");
		peer_close(&p);
	}
}
END_TEST

START_TEST(closed_in_handshake)
{
	struct side dst;
	int sp[2];

	pair_open(sp);
	write_all(sp[0], "ITSYMIG1", 8);
	shutdown(sp[0], SHUT_WR);
	ck_assert_int_eq(wire_init(&dst.w, sp[1], TIMEOUT_MS), 0);
	ck_assert_int_eq(wire_handshake(&dst.w, 0, NULL), -ECONNRESET);
	err_has(&dst.w, "the peer closed the connection");
	wire_free(&dst.w);
	close(sp[0]);
	close(sp[1]);
}
END_TEST

START_TEST(send_to_closed)
{
	struct peer p;
	static uint8_t big[1 << 20];
	int rc;

	peer_open(&p, secret_a);
	close(p.sp[0]);
	p.sp[0] = -1;
	rc = wire_send(&p.dst.w, WIRE_PAGES, big, sizeof(big));
	ck_assert_int_eq(rc, -ECONNRESET);
	err_has(&p.dst.w, "the peer closed the connection");
	wire_free(&p.dst.w);
	close(p.sp[1]);
}
END_TEST

START_TEST(timeout)
{
	struct peer p;
	uint8_t type;
	const uint8_t *d;
	size_t len;

	peer_open(&p, secret_a);
	p.dst.w.timeout_ms = 100;
	ck_assert_int_eq(recv_one(&p, &type, &d, &len), -ETIMEDOUT);
	err_has(&p.dst.w, "no data from the peer for 0.1 s");
	peer_close(&p);
}
END_TEST

START_TEST(timeout_handshake)
{
	struct wire w;
	int sp[2];

	pair_open(sp);
	ck_assert_int_eq(wire_init(&w, sp[0], 1000), 0);
	ck_assert_int_eq(wire_handshake(&w, 1, secret_a), -ETIMEDOUT);
	err_has(&w, "no data from the peer for 1 s");
	wire_free(&w);
	close(sp[0]);
	close(sp[1]);
}
END_TEST

START_TEST(bad_hello)
{
	static const struct {
		const char *magic;
		uint32_t version;
		uint8_t role, secured;
		const char *msg;
	} cases[] = {
		{ "ITSYMIG2", 2, 1, 0, "bad magic" },
		{ "ITSYSNAP", 2, 1, 0, "bad magic" },
		{ "ITSYMIG1", 3, 1, 0, "protocol version 3, this itsy speaks 2" },
		{ "ITSYMIG1", 0, 1, 0, "protocol version 0" },
		{ "ITSYMIG1", 2, 2, 0, "both ends are migration destinations" },
		{ "ITSYMIG1", 2, 0, 0, "invalid role 0" },
		{ "ITSYMIG1", 2, 3, 0, "invalid role 3" },
		{ "ITSYMIG1", 2, 1, 2, "invalid secured flag 2" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t h[WIRE_HELLO_LEN];
		struct wire w;
		int sp[2];

		pair_open(sp);
		hello_make(h, cases[i].magic, cases[i].version, cases[i].role, cases[i].secured, 0);
		write_all(sp[0], h, sizeof(h));
		ck_assert_int_eq(wire_init(&w, sp[1], TIMEOUT_MS), 0);
		ck_assert_int_eq(wire_handshake(&w, 0, NULL), -EPROTO);
		err_has(&w, cases[i].msg);
		wire_free(&w);
		close(sp[0]);
		close(sp[1]);
	}
}
END_TEST

/* A version 1 peer (MAC-only frames) and this one refuse each other at
 * HELLO: ours goes out whole first, so the old end reads version 2. */
START_TEST(old_version)
{
	uint8_t h[WIRE_HELLO_LEN], got[WIRE_HELLO_LEN];
	struct wire w;
	int sp[2];

	pair_open(sp);
	hello_make(h, "ITSYMIG1", 1, 1, 1, 0x22);
	write_all(sp[0], h, sizeof(h));
	ck_assert_int_eq(wire_init(&w, sp[1], TIMEOUT_MS), 0);
	ck_assert_int_eq(wire_handshake(&w, 0, secret_a), -EPROTO);
	err_has(&w, "the peer speaks migration protocol version 1, this itsy speaks 2");
	err_has(&w, "both hosts need an itsy with the same protocol");
	read_all(sp[0], got, sizeof(got));
	ck_assert_mem_eq(got, "ITSYMIG1\x02\0\0\0", 12);
	ck_assert_int_eq(wire_send(&w, WIRE_BEGIN, NULL, 0), -EPROTO);	/* sticky */
	wire_free(&w);
	close(sp[0]);
	close(sp[1]);
}
END_TEST

/* ---- The handshake's deadline ---- */

struct trickler {
	int fd;
	volatile int stop;
	pthread_t thread;
};

/* A valid source HELLO, then AUTH-looking bytes, one every 100 ms. */
static void *trickle_run(void *arg)
{
	struct trickler *t = arg;
	uint8_t h[WIRE_HELLO_LEN + 64] = { 0 };

	hello_make(h, "ITSYMIG1", 2, 1, 1, 0x33);
	for (size_t i = 0; i < sizeof(h) && !t->stop; i++) {
		if (write(t->fd, h + i, 1) != 1)
			break;
		usleep(100000);
	}
	return NULL;
}

START_TEST(handshake_deadline)
{
	struct trickler t = { 0 };
	struct wire w;
	int sp[2], rc;
	int64_t t0;

	pair_open(sp);
	t.fd = sp[0];
	ck_assert_int_eq(pthread_create(&t.thread, NULL, trickle_run, &t), 0);
	ck_assert_int_eq(wire_init(&w, sp[1], TIMEOUT_MS), 0);
	ck_assert_int_eq(w.handshake_ms, WIRE_HANDSHAKE_MS);
	w.handshake_ms = 1000;
	t0 = now_ms();
	rc = wire_handshake(&w, 0, secret_a);
	t0 = now_ms() - t0;
	ck_assert_int_eq(rc, -ETIMEDOUT);
	err_has(&w, "the handshake took too long: over 1 s");
	ck_assert_msg(t0 >= 950 && t0 < 1500, "the handshake failed after %lld ms", (long long)t0);
	ck_assert_uint_lt(w.bytes_recv, WIRE_HELLO_LEN);	/* it did get bytes */
	ck_assert_uint_gt(w.bytes_recv, 5);
	ck_assert_int_eq(w.deadline, 0);
	t.stop = 1;
	ck_assert_int_eq(pthread_join(t.thread, NULL), 0);
	wire_free(&w);
	close(sp[0]);
	close(sp[1]);
}
END_TEST

/* The deadline is for the handshake only: frames later wait timeout_ms. */
START_TEST(deadline_handshake_only)
{
	struct side src, dst;
	const uint8_t *d;
	size_t len;
	uint8_t type;
	int sp[2];

	pair_open(sp);
	ck_assert_int_eq(wire_init(&dst.w, sp[1], 100), 0);
	dst.w.handshake_ms = 300;
	dst.is_source = 0;
	dst.secret = secret_a;
	ck_assert_int_eq(pthread_create(&dst.thread, NULL, side_run, &dst), 0);
	ck_assert_int_eq(wire_init(&src.w, sp[0], TIMEOUT_MS), 0);
	ck_assert_int_eq(wire_handshake(&src.w, 1, secret_a), 0);
	side_join(&dst);
	ck_assert_int_eq(dst.rc, 0);
	usleep(400000);		/* past the handshake's deadline */
	ck_assert_int_eq(wire_send(&src.w, WIRE_GO, NULL, 0), 0);
	ck_assert_int_eq(wire_recv(&dst.w, &type, &d, &len), 0);
	ck_assert_int_eq(wire_recv(&dst.w, &type, &d, &len), -ETIMEDOUT);
	err_has(&dst.w, "no data from the peer for 0.1 s");
	both_close(sp, &src, &dst);
}
END_TEST

/* ---- Accepting (wire_accept) ---- */

struct acceptor_side {
	struct wire w;
	int lfd, rc;
	const uint8_t *secret;
	pthread_t thread;
};

static char refusals[2048];

static void refusal_note(const char *why)
{
	size_t n = strlen(refusals);

	snprintf(refusals + n, sizeof(refusals) - n, "%s\n", why);
}

static void *acceptor_run(void *arg)
{
	struct acceptor_side *a = arg;

	a->rc = wire_accept(&a->w, a->lfd, a->secret, refusal_note);
	return NULL;
}

/* A listening socket of our own (abstract AF_UNIX) and a thread on it. */
static void acceptor_start(struct acceptor_side *a, struct sockaddr_un *sa, const uint8_t *secret)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "itsy-test-wire-%d", (int)getpid());
	a->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(a->lfd, 0);
	ck_assert_int_eq(bind(a->lfd, (struct sockaddr *)sa, sizeof(*sa)), 0);
	ck_assert_int_eq(listen(a->lfd, WIRE_ACCEPT_MAX), 0);
	a->secret = secret;
	refusals[0] = '\0';
	ck_assert_int_eq(pthread_create(&a->thread, NULL, acceptor_run, a), 0);
}

static int dial(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (const struct sockaddr *)sa, sizeof(*sa)), 0);
	return fd;
}

/* A source on a new connection; its handshake's result. */
static int source_dial(struct wire *w, const struct sockaddr_un *sa, const uint8_t *secret)
{
	ck_assert_int_eq(wire_init(w, dial(sa), TIMEOUT_MS), 0);
	return wire_handshake(w, 1, secret);
}

/* The acceptor won a connection: frames go both ways with @src. */
static void acceptor_won(struct acceptor_side *a, struct wire *src)
{
	ck_assert_int_eq(pthread_join(a->thread, NULL), 0);
	ck_assert_int_eq(a->rc, 0);
	ck_assert_int_ge(a->w.fd, 0);
	ck_assert_int_eq(wire_send(src, WIRE_BEGIN, "x", 1), 0);
	ck_assert_int_eq(wire_expect(&a->w, WIRE_BEGIN, NULL, NULL), 0);
	ck_assert_int_eq(wire_send(&a->w, WIRE_OK, NULL, 0), 0);
	ck_assert_int_eq(wire_expect(src, WIRE_OK, NULL, NULL), 0);
	close(a->w.fd);
	wire_free(&a->w);
	close(src->fd);
	wire_free(src);
	close(a->lfd);
}

/* The other end of @fd was closed (after its HELLO, maybe). */
static void closed_by_peer(int fd)
{
	uint8_t b[WIRE_HELLO_LEN + 1];
	size_t n = 0;
	ssize_t got;

	while ((got = read(fd, b, sizeof(b))) > 0)
		n += (size_t)got;
	ck_assert_int_le(got, 0);
	ck_assert_uint_le(n, WIRE_HELLO_LEN);
	close(fd);
}

/* Silent connections in every slot do not keep a real source out: the
 * oldest makes room, and the rest are closed once the source is in. */
START_TEST(accept_past_holders)
{
	int holder[WIRE_ACCEPT_MAX + 1];
	struct acceptor_side a;
	struct sockaddr_un sa;
	struct wire src;
	int64_t t0;

	acceptor_start(&a, &sa, secret_a);
	for (int i = 0; i <= WIRE_ACCEPT_MAX; i++) {
		holder[i] = dial(&sa);
		usleep(20000);
	}
	usleep(200000);
	t0 = now_ms();
	ck_assert_int_eq(source_dial(&src, &sa, secret_a), 0);
	ck_assert_int_lt(now_ms() - t0, 1000);
	acceptor_won(&a, &src);
	ck_assert_ptr_nonnull(strstr(refusals, "dropped to make room"));
	for (int i = 0; i <= WIRE_ACCEPT_MAX; i++)
		closed_by_peer(holder[i]);
}
END_TEST

/* A refused connection is told and forgotten; the next one can win. */
START_TEST(accept_after_refusal)
{
	struct acceptor_side a;
	struct sockaddr_un sa;
	struct wire bad, src;

	acceptor_start(&a, &sa, secret_a);
	ck_assert_int_eq(source_dial(&bad, &sa, secret_b), -EACCES);
	ck_assert_int_eq(source_dial(&src, &sa, secret_a), 0);
	acceptor_won(&a, &src);
	ck_assert_ptr_nonnull(strstr(refusals, "the peer's secret differs"));
	close(bad.fd);
	wire_free(&bad);
}
END_TEST

START_TEST(accept_fails)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);	/* always readable */
	struct wire w;

	ck_assert_int_eq(wire_accept(&w, fd, secret_a, NULL), -ENOTSOCK);
	err_has(&w, "accepting a migration connection");
	ck_assert_int_eq(w.fd, -1);
	close(fd);
}
END_TEST

/* ---- Two wires moving frames ---- */

static const size_t sizes[] = { 0, 1, 31, 4095, 4096 + 8, 65539, 1u << 20, WIRE_MAX_PAYLOAD };

static uint8_t pattern(size_t size, size_t i)
{
	return (uint8_t)(i * 131 + size * 7 + (i >> 9));
}

static void *sender_run(void *arg)
{
	struct side *s = arg;
	uint8_t *buf = malloc(WIRE_MAX_PAYLOAD);

	s->rc = buf ? 0 : -ENOMEM;
	for (size_t k = 0; !s->rc && k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (size_t i = 0; i < sizes[k]; i++)
			buf[i] = pattern(sizes[k], i);
		s->rc = wire_send(&s->w, WIRE_PAGES, buf, sizes[k]);
	}
	if (!s->rc)
		s->rc = wire_send(&s->w, WIRE_PASS_END, NULL, 0);
	free(buf);
	return NULL;
}

static void roundtrip(const uint8_t *secret)
{
	struct side src, dst;
	const uint8_t *d;
	size_t len;
	uint8_t type;
	int sp[2];

	both_handshake(sp, &src, secret, &dst, secret);
	ck_assert_int_eq(src.rc | dst.rc, 0);
	ck_assert_int_eq(pthread_create(&src.thread, NULL, sender_run, &src), 0);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		ck_assert_int_eq(wire_recv(&dst.w, &type, &d, &len), 0);
		ck_assert_uint_eq(type, WIRE_PAGES);
		ck_assert_uint_eq(len, sizes[k]);
		for (size_t i = 0; i < len; i++)
			if (d[i] != pattern(sizes[k], i))
				ck_abort_msg("frame of %zu bytes differs at %zu", len, i);
	}
	ck_assert_int_eq(wire_expect(&dst.w, WIRE_PASS_END, &d, &len), 0);
	ck_assert_uint_eq(len, 0);
	side_join(&src);
	ck_assert_int_eq(src.rc, 0);
	ck_assert_uint_eq(src.w.bytes_sent, dst.w.bytes_recv);
	ck_assert_uint_eq(src.w.send_seq, dst.w.recv_seq);
	ck_assert_uint_le(dst.w.cap, WIRE_MAX_PAYLOAD + WIRE_MAC_LEN);
	ck_assert_uint_le(src.w.scap, WIRE_MAX_PAYLOAD + WIRE_MAC_LEN);
	ck_assert(secret ? src.w.sbuf != NULL : src.w.sbuf == NULL);
	both_close(sp, &src, &dst);
}

START_TEST(roundtrip_sizes)
{
	roundtrip(secret_a);
	roundtrip(NULL);
}
END_TEST

START_TEST(expect_error)
{
	struct side src, dst;
	const uint8_t *d;
	size_t len;
	int sp[2];

	both_handshake(sp, &src, secret_a, &dst, secret_a);
	ck_assert_int_eq(src.rc | dst.rc, 0);
	ck_assert_int_eq(wire_send(&dst.w, WIRE_READY, NULL, 0), 0);
	ck_assert_int_eq(wire_expect(&src.w, WIRE_GO, &d, &len), -EPROTO);
	err_has(&src.w, "expected a go message from the peer, got ready");

	snprintf(dst.w.err, sizeof(dst.w.err), "cannot map RAM: out of memory\nsecond line");
	wire_send_error(&dst.w, dst.w.err);
	ck_assert_str_eq(dst.w.err, "cannot map RAM: out of memory\nsecond line");
	ck_assert_int_eq(wire_expect(&src.w, WIRE_GO, &d, &len), -ECONNABORTED);
	ck_assert_str_eq(src.w.err, "the peer says: cannot map RAM: out of memory?second line");
	ck_assert_ptr_null(d);

	wire_send_error(&dst.w, "");
	ck_assert_int_eq(wire_expect(&src.w, WIRE_OK, NULL, NULL), -ECONNABORTED);
	ck_assert_str_eq(src.w.err, "the peer says: ");

	/* asked for, an error frame is just a frame */
	wire_send_error(&dst.w, "plain");
	ck_assert_int_eq(wire_expect(&src.w, WIRE_ERROR, &d, &len), 0);
	ck_assert_uint_eq(len, 5);
	both_close(sp, &src, &dst);
}
END_TEST

START_TEST(long_error_text)
{
	struct side src, dst;
	char msg[3000];
	const uint8_t *d;
	size_t len;
	int sp[2];

	both_handshake(sp, &src, NULL, &dst, NULL);
	memset(msg, 'e', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	wire_send_error(&src.w, msg);
	ck_assert_int_eq(wire_expect(&dst.w, WIRE_ERROR, &d, &len), 0);
	ck_assert_uint_eq(len, WIRE_ERROR_MAX);
	wire_send_error(&src.w, msg);
	ck_assert_int_eq(wire_expect(&dst.w, WIRE_GO, &d, &len), -ECONNABORTED);
	ck_assert_uint_eq(strlen(dst.w.err), sizeof(dst.w.err) - 1);
	both_close(sp, &src, &dst);
}
END_TEST

START_TEST(misuse)
{
	struct side src, dst;
	struct wire w;
	const uint8_t *d;
	size_t len;
	uint8_t type;
	int sp[2];

	ck_assert_int_eq(wire_init(&w, -1, 100), -EINVAL);
	ck_assert_int_eq(wire_handshake(&w, 1, NULL), -EINVAL);
	wire_free(&w);
	ck_assert_int_eq(wire_init(&w, 0, 0), -EINVAL);
	ck_assert_int_eq(wire_init(&w, 0, 100), 0);
	ck_assert_int_eq(wire_send(&w, WIRE_BEGIN, NULL, 0), -ENOTCONN);
	ck_assert_int_eq(wire_recv(&w, &type, &d, &len), -ENOTCONN);
	err_has(&w, "handshake");
	wire_free(&w);
	wire_free(&w);

	both_handshake(sp, &src, NULL, &dst, NULL);
	ck_assert_int_eq(wire_send(&src.w, WIRE_HELLO, NULL, 0), -EINVAL);
	ck_assert_int_eq(wire_send(&src.w, WIRE_AUTH, NULL, 0), -EINVAL);
	ck_assert_int_eq(wire_send(&src.w, 0, NULL, 0), -EINVAL);
	ck_assert_int_eq(wire_send(&src.w, WIRE_LAST + 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(wire_send(&src.w, WIRE_OK, NULL, 3), -EINVAL);
	ck_assert_int_eq(wire_send(&src.w, WIRE_OK, NULL, 0), 0);	/* not sticky */
	ck_assert_int_eq(wire_expect(&dst.w, WIRE_OK, NULL, NULL), 0);
	both_close(sp, &src, &dst);
}
END_TEST

START_TEST(type_names)
{
	ck_assert_str_eq(wire_type_name(WIRE_HELLO), "hello");
	ck_assert_str_eq(wire_type_name(WIRE_PAGES), "pages");
	ck_assert_str_eq(wire_type_name(WIRE_PASS_END), "pass-end");
	ck_assert_str_eq(wire_type_name(WIRE_OK), "ok");
	ck_assert_str_eq(wire_type_name(WIRE_DISK), "disk");
	ck_assert_str_eq(wire_type_name(WIRE_PAGE_REQ), "page-request");
	ck_assert_str_eq(wire_type_name(WIRE_POSTCOPY_END), "postcopy-end");
	ck_assert_str_eq(wire_type_name(0), "unknown");
	ck_assert_str_eq(wire_type_name(WIRE_LAST + 1), "unknown");
	ck_assert_str_eq(wire_type_name(255), "unknown");
}
END_TEST

/* ---- Secret files ---- */

static char dir[64];

static const char *file_make(const char *name, const void *data, size_t len)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	if (len)
		write_all(fd, data, len);
	close(fd);
	return path;
}

static void secret_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/itsy-test-wire.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void secret_teardown(void)
{
	static const char *const names[] = { "empty", "short", "ok", "max", "long" };
	char path[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/subdir", dir);
	rmdir(path);
	rmdir(dir);
}

static int secret_load(const char *path, uint8_t *out, char *err)
{
	memset(out, 0, WIRE_KEY_LEN);
	err[0] = '\0';
	return wire_secret_load(path, out, err, 256);
}

START_TEST(secret_files)
{
	static uint8_t big[WIRE_SECRET_MAX + 1];
	uint8_t out[WIRE_KEY_LEN], want[WIRE_KEY_LEN];
	char err[256], path[128];
	const char *p;

	snprintf(path, sizeof(path), "%s/missing", dir);
	ck_assert_int_eq(secret_load(path, out, err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "missing"));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));

	p = file_make("empty", "", 0);
	ck_assert_int_eq(secret_load(p, out, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "is empty"));

	p = file_make("short", "fifteen bytes!!", 15);
	ck_assert_int_eq(secret_load(p, out, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "too short: 15 bytes"));

	memset(big, 'k', sizeof(big));
	p = file_make("long", big, sizeof(big));
	ck_assert_int_eq(secret_load(p, out, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "too long"));

	snprintf(path, sizeof(path), "%s/subdir", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(secret_load(path, out, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	ck_assert_int_eq(secret_load("/dev/null", out, err), -EINVAL);

	p = file_make("ok", "sixteen bytes!!\n", 16);
	ck_assert_int_eq(secret_load(p, out, err), 0);
	crypto_generichash(want, 32, (const uint8_t *)"sixteen bytes!!\n", 16, NULL, 0);
	ck_assert_mem_eq(out, want, 32);

	p = file_make("max", big, WIRE_SECRET_MAX);
	ck_assert_int_eq(secret_load(p, out, err), 0);
	crypto_generichash(want, 32, big, WIRE_SECRET_MAX, NULL, 0);
	ck_assert_mem_eq(out, want, 32);
	ck_assert_int_eq(wire_secret_load("/nonexistent/x", out, NULL, 0), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wire");
	TCase *tc;

	UNIT_TCASE(s, "handshake", handshake_secured, handshake_insecure, handshake_wrong_secret,
		   handshake_secret_mismatch, handshake_same_role, bad_hello, old_version,
		   closed_in_handshake, timeout_handshake, handshake_deadline,
		   deadline_handshake_only);
	UNIT_TCASE(s, "accept", accept_past_holders, accept_after_refusal, accept_fails);
	UNIT_TCASE(s, "frames", peer_format, peer_insecure_format, flipped_bit,
		   encrypted_on_the_socket, replay_reorder_reflect, oversize, unexpected_types,
		   closed_midway,
		   send_to_closed, timeout, roundtrip_sizes, expect_error, long_error_text,
		   misuse, type_names);
	tc = UNIT_TCASE(s, "secret", secret_files);
	tcase_add_checked_fixture(tc, secret_setup, secret_teardown);
	return unit_run(s);
}
