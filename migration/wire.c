#include "migration/wire.h"
#include "vmm/le.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define KDF_LABEL	"itsy-migration-v2"	/* no NUL on the wire */
#define KDF_LABEL_LEN	(sizeof(KDF_LABEL) - 1)
#define DIR_TO_DEST	1			/* direction bytes of the keys */
#define DIR_TO_SOURCE	2
#define AEAD_NONCE_LEN	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES

_Static_assert(KDF_LABEL_LEN == 17, "the label's length is part of the format");
_Static_assert(WIRE_TAG_LEN == crypto_aead_xchacha20poly1305_ietf_ABYTES, "AEAD tag");
_Static_assert(WIRE_KEY_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "AEAD key");

/* HELLO field offsets. */
#define HELLO_VERSION	8
#define HELLO_ROLE	12
#define HELLO_SECURED	13
#define HELLO_NONCE	14

static const char *const type_names[] = {
	[WIRE_HELLO] = "hello", [WIRE_AUTH] = "auth", [WIRE_BEGIN] = "begin",
	[WIRE_PROFILE] = "profile", [WIRE_PAGES] = "pages", [WIRE_PASS_END] = "pass-end",
	[WIRE_STATE] = "state", [WIRE_READY] = "ready", [WIRE_GO] = "go",
	[WIRE_RUNNING] = "running", [WIRE_ERROR] = "error", [WIRE_OK] = "ok",
	[WIRE_DISK] = "disk", [WIRE_POSTCOPY] = "postcopy", [WIRE_PAGE_REQ] = "page-request",
	[WIRE_POSTCOPY_END] = "postcopy-end",
};

const char *wire_type_name(uint8_t type)
{
	if (type >= WIRE_HELLO && type <= WIRE_LAST)
		return type_names[type];
	return "unknown";
}

static __attribute__((format(printf, 3, 4)))
int wfail(struct wire *w, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- libsodium, once per process ---- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_rc;

static void sodium_start(void)
{
	sodium_rc = sodium_init() < 0 ? -EIO : 0;
}

static int sodium_ready(void)
{
	pthread_once(&sodium_once, sodium_start);
	return sodium_rc;
}

/* ---- Socket I/O: poll() with the timeout, then a non-blocking call ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* @ms as seconds of text: "30" or "0.25". */
static const char *secs_text(int ms, char *buf, size_t len)
{
	if (ms % 1000)
		snprintf(buf, len, "%.3g", ms / 1000.0);
	else
		snprintf(buf, len, "%d", ms / 1000);
	return buf;
}

static int io_late(struct wire *w)
{
	char t[32];

	return wfail(w, -ETIMEDOUT, "the handshake took too long: over %s s",
		     secs_text(w->handshake_ms, t, sizeof(t)));
}

/* Wait until @events is possible on the socket, for at most timeout_ms
 * and, while the handshake runs, not past its deadline. */
static int io_wait(struct wire *w, short events)
{
	struct pollfd p = { .fd = w->fd, .events = events };
	int64_t end = now_ms() + w->timeout_ms;
	bool capped = w->deadline && w->deadline <= end;
	char t[32];

	if (capped)
		end = w->deadline;
	for (;;) {
		int64_t left = end - now_ms();
		int n;

		if (capped && left <= 0)
			return io_late(w);	/* even if a byte is ready: no trickling past it */
		n = poll(&p, 1, left > 0 ? (int)left : 0);
		if (n > 0)
			return 0;
		if (n == 0 && capped)
			return io_late(w);
		if (n == 0)
			return wfail(w, -ETIMEDOUT, events & POLLIN ?
				     "no data from the peer for %s s" :
				     "the peer took no data for %s s",
				     secs_text(w->timeout_ms, t, sizeof(t)));
		if (errno != EINTR)
			return wfail(w, -errno, "poll on the migration socket: %s", strerror(errno));
	}
}

static int io_closed(struct wire *w, bool midway)
{
	return wfail(w, -ECONNRESET, "the peer closed the connection%s",
		     midway ? " in the middle of a frame" : "");
}

/* Read exactly @n bytes. @midway: a frame is already partly read. */
static int io_read(struct wire *w, void *buf, size_t n, bool midway)
{
	uint8_t *p = buf;
	int rc;

	while (n) {
		ssize_t got = recv(w->fd, p, n, MSG_DONTWAIT);

		if (got > 0) {
			p += got;
			n -= (size_t)got;
			w->bytes_recv += (uint64_t)got;
			midway = true;
			continue;
		}
		if (got == 0 || errno == ECONNRESET)
			return io_closed(w, midway);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return wfail(w, -errno, "receive from the peer: %s", strerror(errno));
		rc = io_wait(w, POLLIN);
		if (rc)
			return rc;
	}
	return 0;
}

/* Step over @n sent bytes of @m's vectors, and over empty vectors. */
static void iov_advance(struct msghdr *m, size_t n)
{
	while (m->msg_iovlen && n >= m->msg_iov->iov_len) {
		n -= m->msg_iov->iov_len;
		m->msg_iov++;
		m->msg_iovlen--;
	}
	if (n) {
		m->msg_iov->iov_base = (uint8_t *)m->msg_iov->iov_base + n;
		m->msg_iov->iov_len -= n;
	}
}

/* Write all of @iov[0..@n), which this consumes. */
static int io_write(struct wire *w, struct iovec *iov, int n)
{
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	int rc;

	iov_advance(&msg, 0);
	while (msg.msg_iovlen) {
		ssize_t put = sendmsg(w->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (put > 0) {
			w->bytes_sent += (uint64_t)put;
			iov_advance(&msg, (size_t)put);
			continue;
		}
		if (put < 0 && (errno == EPIPE || errno == ECONNRESET))
			return io_closed(w, false);
		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return wfail(w, -errno, "send to the peer: %s", strerror(errno));
		rc = io_wait(w, POLLOUT);	/* full, or sent nothing */
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- Frames ---- */

static size_t tag_len(const struct wire *w)
{
	return w->secured ? WIRE_TAG_LEN : WIRE_MAC_LEN;
}

/* The AEAD nonce of frame @seq: the number, then zeros. */
static void aead_nonce(uint64_t seq, uint8_t nonce[AEAD_NONCE_LEN])
{
	memset(nonce, 0, AEAD_NONCE_LEN);
	le_put(nonce, seq, 8);
}

/* An insecure frame's tag: keyed BLAKE2b of @seq || header || payload. */
static void frame_mac(const uint8_t *key, uint64_t seq, const uint8_t *hdr,
		      const uint8_t *payload, size_t len, uint8_t mac[WIRE_MAC_LEN])
{
	crypto_generichash_state st;
	uint8_t s[8];

	le_put(s, seq, 8);
	crypto_generichash_init(&st, key, WIRE_KEY_LEN, WIRE_MAC_LEN);
	crypto_generichash_update(&st, s, sizeof(s));
	crypto_generichash_update(&st, hdr, WIRE_HDR_LEN);
	if (len)
		crypto_generichash_update(&st, payload, len);
	crypto_generichash_final(&st, mac, WIRE_MAC_LEN);
	sodium_memzero(&st, sizeof(st));
}

/* Room for @n bytes in the buffer *@buf of *@cap bytes (allocated even for
 * 0). Grows only, so a stream of big frames allocates once. */
static int buf_reserve(struct wire *w, uint8_t **buf, size_t *cap, size_t n)
{
	size_t c = *cap ? *cap : 4096;
	uint8_t *p;

	if (*buf && n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	if (c > WIRE_MAX_PAYLOAD + WIRE_MAC_LEN)
		c = WIRE_MAX_PAYLOAD + WIRE_MAC_LEN;	/* n is never above it */
	p = realloc(*buf, c);
	if (!p)
		return wfail(w, -ENOMEM, "out of memory for a %zu-byte frame", n);
	*buf = p;
	*cap = c;
	return 0;
}

/* The payload as it goes out, in *@body, and its tag: encrypted into
 * w->sbuf with a secret, else as it is with a MAC. */
static int frame_seal(struct wire *w, const uint8_t *hdr, const uint8_t *payload, size_t len,
		      const uint8_t **body, uint8_t *tag)
{
	uint8_t nonce[AEAD_NONCE_LEN];
	int rc;

	if (!w->secured) {
		frame_mac(w->send_key, w->send_seq, hdr, payload, len, tag);
		*body = payload;
		return 0;
	}
	rc = buf_reserve(w, &w->sbuf, &w->scap, len);
	if (rc)
		return rc;
	aead_nonce(w->send_seq, nonce);
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(w->sbuf, tag, NULL, payload, len, hdr,
							    WIRE_HDR_LEN, NULL, nonce, w->send_key);
	*body = w->sbuf;
	return 0;
}

static int frame_send(struct wire *w, uint8_t type, const void *payload, size_t len)
{
	uint8_t hdr[WIRE_HDR_LEN] = { type }, tag[WIRE_MAC_LEN];
	const uint8_t *body;
	int rc;

	le_put(hdr + 4, len, 4);
	rc = frame_seal(w, hdr, payload, len, &body, tag);
	if (!rc) {
		struct iovec iov[3] = {
			{ hdr, sizeof(hdr) }, { (void *)body, len }, { tag, tag_len(w) },
		};

		rc = io_write(w, iov, 3);
	}
	if (rc)
		return rc;
	w->send_seq++;
	return 0;
}

/* Check the tag of the @n-byte payload in w->buf (the tag follows it) and,
 * with a secret, decrypt it in place. */
static int frame_open(struct wire *w, const uint8_t *hdr, size_t n)
{
	uint8_t nonce[AEAD_NONCE_LEN], mac[WIRE_MAC_LEN];
	int bad;

	if (w->secured) {
		aead_nonce(w->recv_seq, nonce);
		bad = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
			w->buf, NULL, w->buf, n, w->buf + n, hdr, WIRE_HDR_LEN, nonce, w->recv_key);
	} else {
		frame_mac(w->recv_key, w->recv_seq, hdr, w->buf, n, mac);
		bad = sodium_memcmp(mac, w->buf + n, WIRE_MAC_LEN);
	}
	if (bad)
		return wfail(w, -EBADMSG, "frame %llu from the peer failed authentication: the stream was corrupted or tampered with",
			     (unsigned long long)w->recv_seq);
	return 0;
}

/* Read one frame and check its tag. Any type comes back. */
static int frame_recv(struct wire *w, uint8_t *type, const uint8_t **payload, size_t *len)
{
	uint8_t hdr[WIRE_HDR_LEN];
	uint64_t n;
	int rc = io_read(w, hdr, sizeof(hdr), false);

	if (rc)
		return rc;
	if (hdr[1] || hdr[2] || hdr[3])
		return wfail(w, -EBADMSG, "frame %llu from the peer has a corrupted header",
			     (unsigned long long)w->recv_seq);
	n = le_get(hdr + 4, 4);
	/* Why before reading on: the length is the peer's word, not checked yet. */
	if (n > WIRE_MAX_PAYLOAD)
		return wfail(w, -EMSGSIZE, "frame %llu from the peer is %llu bytes long, above the limit of %u",
			     (unsigned long long)w->recv_seq, (unsigned long long)n, WIRE_MAX_PAYLOAD);
	rc = buf_reserve(w, &w->buf, &w->cap, n + tag_len(w));
	rc = rc ? rc : io_read(w, w->buf, n + tag_len(w), true);
	rc = rc ? rc : frame_open(w, hdr, n);
	if (rc)
		return rc;
	w->recv_seq++;
	*type = hdr[0];
	*payload = w->buf;
	*len = n;
	return 0;
}

/* ---- Handshake ---- */

static const char *role_name(int role)
{
	return role == WIRE_SOURCE ? "source" : "destination";
}

static uint8_t dir_out(const struct wire *w)
{
	return w->role == WIRE_SOURCE ? DIR_TO_DEST : DIR_TO_SOURCE;
}

static uint8_t dir_in(const struct wire *w)
{
	return w->role == WIRE_SOURCE ? DIR_TO_SOURCE : DIR_TO_DEST;
}

static int hello_send(struct wire *w, bool secured, const uint8_t *nonce)
{
	uint8_t h[WIRE_HELLO_LEN];
	struct iovec iov = { h, sizeof(h) };

	memcpy(h, WIRE_MAGIC, 8);
	le_put(h + HELLO_VERSION, WIRE_VERSION, 4);
	h[HELLO_ROLE] = (uint8_t)w->role;
	h[HELLO_SECURED] = secured;
	memcpy(h + HELLO_NONCE, nonce, WIRE_NONCE_LEN);
	return io_write(w, &iov, 1);
}

/* Check the peer's HELLO @h against ours; keeps its nonce in @nonce. */
static int hello_check(struct wire *w, const uint8_t *h, bool secured, uint8_t *nonce)
{
	uint32_t version = (uint32_t)le_get(h + HELLO_VERSION, 4);
	uint8_t role = h[HELLO_ROLE], peer_secured = h[HELLO_SECURED];

	if (memcmp(h, WIRE_MAGIC, 8))
		return wfail(w, -EPROTO, "the peer is not an itsy migration endpoint (bad magic)");
	if (version != WIRE_VERSION)
		return wfail(w, -EPROTO, "the peer speaks migration protocol version %u, this itsy speaks %u: "
			     "both hosts need an itsy with the same protocol", version, WIRE_VERSION);
	if (role != WIRE_SOURCE && role != WIRE_DESTINATION)
		return wfail(w, -EPROTO, "the peer's hello has an invalid role %u", role);
	if (role == w->role)
		return wfail(w, -EPROTO, "both ends are migration %ss", role_name(role));
	if (peer_secured > 1)
		return wfail(w, -EPROTO, "the peer's hello has an invalid secured flag %u", peer_secured);
	if (secured != peer_secured)
		return wfail(w, -EACCES, "the %s was started without a secret (--insecure)",
			     role_name(secured ? role : w->role));
	memcpy(nonce, h + HELLO_NONCE, WIRE_NONCE_LEN);
	return 0;
}

/* The key of direction @dir from the secret hash (zeros when insecure) and
 * both nonces. */
static void key_derive(uint8_t key[WIRE_KEY_LEN], uint8_t dir, const uint8_t *secret,
		       const uint8_t *src_nonce, const uint8_t *dst_nonce)
{
	static const uint8_t zero[WIRE_KEY_LEN];
	uint8_t in[KDF_LABEL_LEN + 1 + 2 * WIRE_NONCE_LEN];

	memcpy(in, KDF_LABEL, KDF_LABEL_LEN);
	in[KDF_LABEL_LEN] = dir;
	memcpy(in + KDF_LABEL_LEN + 1, src_nonce, WIRE_NONCE_LEN);
	memcpy(in + KDF_LABEL_LEN + 1 + WIRE_NONCE_LEN, dst_nonce, WIRE_NONCE_LEN);
	crypto_generichash(key, WIRE_KEY_LEN, in, sizeof(in), secret ? secret : zero, WIRE_KEY_LEN);
}

/* Our sending and receiving keys from our @nonce and the peer's. */
static void keys_derive(struct wire *w, const uint8_t *secret, const uint8_t *nonce,
			const uint8_t *peer_nonce)
{
	bool src = w->role == WIRE_SOURCE;
	const uint8_t *sn = src ? nonce : peer_nonce, *dn = src ? peer_nonce : nonce;

	key_derive(w->send_key, dir_out(w), secret, sn, dn);
	key_derive(w->recv_key, dir_in(w), secret, sn, dn);
}

/* Exchange AUTH frames under the new keys. */
static int auth_exchange(struct wire *w)
{
	const uint8_t *p;
	size_t len;
	uint8_t type;
	int rc = frame_send(w, WIRE_AUTH, NULL, 0);

	if (!rc)
		rc = frame_recv(w, &type, &p, &len);
	if (rc == -EBADMSG)
		return wfail(w, -EACCES, "authentication failed: the peer's secret differs (or the stream was tampered with)");
	if (rc)
		return rc;
	if (type != WIRE_AUTH || len)
		return wfail(w, -EPROTO, "expected the peer's auth, got a %s frame of %zu bytes",
			     wire_type_name(type), len);
	return 0;
}

static int handshake_run(struct wire *w, const uint8_t *secret)
{
	uint8_t nonce[WIRE_NONCE_LEN], peer_nonce[WIRE_NONCE_LEN], h[WIRE_HELLO_LEN];
	bool secured = secret != NULL;
	int rc;

	randombytes_buf(nonce, sizeof(nonce));
	rc = hello_send(w, secured, nonce);
	if (!rc)
		rc = io_read(w, h, sizeof(h), false);
	if (!rc)
		rc = hello_check(w, h, secured, peer_nonce);
	if (rc)
		return rc;
	keys_derive(w, secret, nonce, peer_nonce);
	return auth_exchange(w);
}

static void keys_wipe(struct wire *w)
{
	sodium_memzero(w->send_key, sizeof(w->send_key));
	sodium_memzero(w->recv_key, sizeof(w->recv_key));
}

int wire_handshake(struct wire *w, int is_source, const uint8_t *secret)
{
	int rc;

	if (w->fd < 0 || w->timeout_ms <= 0 || w->handshake_ms <= 0)
		return wfail(w, -EINVAL, "the migration wire is not initialised");
	if (w->ready || w->role)
		return wfail(w, -EINVAL, "the handshake can only run once");
	w->role = is_source ? WIRE_SOURCE : WIRE_DESTINATION;
	w->secured = secret != NULL;
	/* Why from here: every wait of the handshake, our HELLO's included,
	 * comes out of the one deadline. */
	w->deadline = now_ms() + w->handshake_ms;
	rc = handshake_run(w, secret);
	w->deadline = 0;
	if (rc) {
		keys_wipe(w);
		w->send_rc = w->recv_rc = rc;
		return rc;
	}
	w->ready = 1;
	return 0;
}

/* ---- Setup ---- */

int wire_init(struct wire *w, int fd, int timeout_ms)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (fd < 0 || timeout_ms <= 0)
		return wfail(w, -EINVAL, "invalid migration socket %d or timeout %d ms", fd, timeout_ms);
	if (sodium_ready())
		return wfail(w, -EIO, "libsodium failed to initialise");
	w->fd = fd;
	w->timeout_ms = timeout_ms;
	w->handshake_ms = WIRE_HANDSHAKE_MS;
	return 0;
}

void wire_free(struct wire *w)
{
	free(w->buf);
	w->buf = NULL;
	w->cap = 0;
	free(w->sbuf);
	w->sbuf = NULL;
	w->scap = 0;
	w->ready = 0;
	keys_wipe(w);
}

/* ---- Frames, public ---- */

/* A failure or -ENOTCONN if @w cannot move frames in the direction of @rc. */
static int usable(struct wire *w, int rc)
{
	if (rc)
		return rc;
	if (!w->ready)
		return wfail(w, -ENOTCONN, "the migration handshake has not completed");
	return 0;
}

int wire_send(struct wire *w, uint8_t type, const void *payload, size_t len)
{
	int rc = usable(w, w->send_rc);

	if (rc)
		return rc;
	if (type < WIRE_BEGIN || type > WIRE_LAST)
		return wfail(w, -EINVAL, "cannot send a frame of type %u", type);
	if (len > WIRE_MAX_PAYLOAD)
		return wfail(w, -EMSGSIZE, "a %s frame of %zu bytes is above the limit of %u",
			     wire_type_name(type), len, WIRE_MAX_PAYLOAD);
	if (len && !payload)
		return wfail(w, -EINVAL, "a %s frame of %zu bytes without data", wire_type_name(type), len);
	rc = frame_send(w, type, payload, len);
	if (rc)
		w->send_rc = rc;
	return rc;
}

int wire_recv(struct wire *w, uint8_t *type, const uint8_t **payload, size_t *len)
{
	int rc = usable(w, w->recv_rc);

	if (!rc)
		rc = frame_recv(w, type, payload, len);
	if (!rc && (*type < WIRE_BEGIN || *type > WIRE_LAST))
		rc = wfail(w, -EPROTO, "unexpected %s frame (type %u) from the peer",
			   wire_type_name(*type), *type);
	if (rc && rc != -ENOTCONN)
		w->recv_rc = rc;
	if (rc) {
		*type = 0;
		*payload = NULL;
		*len = 0;
	}
	return rc;
}

/* "the peer says: TEXT", with the text made printable. */
static int peer_error(struct wire *w, const uint8_t *p, size_t len)
{
	static const char prefix[] = "the peer says: ";
	size_t n = sizeof(prefix) - 1;

	memcpy(w->err, prefix, n);
	for (size_t i = 0; i < len && n < sizeof(w->err) - 1; i++)
		w->err[n++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	w->err[n] = '\0';
	return -ECONNABORTED;
}

int wire_expect(struct wire *w, uint8_t want, const uint8_t **payload, size_t *len)
{
	const uint8_t *p;
	size_t n;
	uint8_t type;
	int rc = wire_recv(w, &type, &p, &n);

	if (payload)
		*payload = NULL;
	if (len)
		*len = 0;
	if (rc)
		return rc;
	if (type != want && type == WIRE_ERROR)
		return peer_error(w, p, n);
	if (type != want)
		return wfail(w, -EPROTO, "expected a %s message from the peer, got %s",
			     wire_type_name(want), wire_type_name(type));
	if (payload)
		*payload = p;
	if (len)
		*len = n;
	return 0;
}

void wire_send_error(struct wire *w, const char *msg)
{
	char saved[sizeof(w->err)], text[WIRE_ERROR_MAX];
	size_t n = msg ? strnlen(msg, sizeof(text)) : 0;

	if (n)
		memcpy(text, msg, n);
	memcpy(saved, w->err, sizeof(saved));
	wire_send(w, WIRE_ERROR, text, n);
	memcpy(w->err, saved, sizeof(saved));
}

/* ---- Secret file ---- */

static __attribute__((format(printf, 4, 5)))
int secret_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Read the whole of the open secret file @fd into @buf. */
static int secret_read(int fd, const char *path, uint8_t *buf, size_t *len,
		       char *err, size_t errlen)
{
	struct stat st;
	size_t n = 0;

	if (fstat(fd, &st))
		return secret_fail(-errno, err, errlen, "secret file %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return secret_fail(-EINVAL, err, errlen, "secret file %s is not a regular file", path);
	while (n <= WIRE_SECRET_MAX) {
		ssize_t got = read(fd, buf + n, WIRE_SECRET_MAX + 1 - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return secret_fail(-errno, err, errlen, "secret file %s: %s", path,
					   strerror(errno));
		if (!got)
			break;
		n += (size_t)got;
	}
	*len = n;
	if (!n)
		return secret_fail(-EINVAL, err, errlen, "secret file %s is empty", path);
	if (n < WIRE_SECRET_MIN)
		return secret_fail(-EINVAL, err, errlen,
				   "secret file %s is too short: %zu bytes, want %d to %d", path,
				   n, WIRE_SECRET_MIN, WIRE_SECRET_MAX);
	if (n > WIRE_SECRET_MAX)
		return secret_fail(-EINVAL, err, errlen,
				   "secret file %s is too long: over %d bytes, want %d to %d", path,
				   WIRE_SECRET_MAX, WIRE_SECRET_MIN, WIRE_SECRET_MAX);
	return 0;
}

int wire_secret_load(const char *path, uint8_t out[WIRE_KEY_LEN], char *err, size_t errlen)
{
	uint8_t buf[WIRE_SECRET_MAX + 1];
	size_t len = 0;
	int fd, rc;

	if (sodium_ready())
		return secret_fail(-EIO, err, errlen, "libsodium failed to initialise");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return secret_fail(-errno, err, errlen, "cannot open secret file %s: %s", path,
				   strerror(errno));
	rc = secret_read(fd, path, buf, &len, err, errlen);
	close(fd);
	if (!rc)
		crypto_generichash(out, WIRE_KEY_LEN, buf, len, NULL, 0);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

void wire_tune_socket(int fd, unsigned timeout_ms)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout_ms, sizeof(timeout_ms));
}

/* ---- Accepting: a few handshakes at once ---- */

struct pending {
	struct wire w;
	const uint8_t *secret;
	int fd;			/* -1: a free slot */
	int note;		/* the pipe to write idx to once done */
	uint8_t idx;
	bool dropped;		/* shut down to make room */
	int64_t since;		/* accepted, CLOCK_MONOTONIC ms */
	int rc;
	pthread_t thread;
};

struct acceptor {
	struct pending slot[WIRE_ACCEPT_MAX];
	int lfd, note[2];	/* note: a pipe, one byte per finished handshake */
	unsigned busy;		/* slots in use */
	void (*refused)(const char *why);
};

static void *pending_run(void *arg)
{
	struct pending *p = arg;
	int rc = wire_init(&p->w, p->fd, WIRE_IO_TIMEOUT_MS);

	p->rc = rc ? rc : wire_handshake(&p->w, 0, p->secret);
	/* Why last: once the byte is read, the acceptor joins us and may
	 * hand p->w to its caller. */
	while (write(p->note, &p->idx, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void acc_refuse(struct acceptor *a, const char *why)
{
	if (a->refused)
		a->refused(why);
}

/* Run the handshake on the new connection @fd in a free slot. */
static void acc_start(struct acceptor *a, int fd)
{
	struct pending *p = a->slot;

	while (p->fd >= 0)
		p++;
	wire_tune_socket(fd, WIRE_IO_TIMEOUT_MS);
	p->fd = fd;
	p->dropped = false;
	p->since = now_ms();
	if (pthread_create(&p->thread, NULL, pending_run, p)) {
		p->fd = -1;
		close(fd);
		acc_refuse(a, "no thread for its handshake");
		return;
	}
	a->busy++;
}

/* Shut the oldest pending handshake down; its thread then ends at once. */
static void acc_drop(struct acceptor *a)
{
	struct pending *old = NULL;

	for (struct pending *p = a->slot; p < a->slot + WIRE_ACCEPT_MAX; p++)
		if (p->fd >= 0 && !p->dropped && (!old || p->since < old->since))
			old = p;
	if (old) {
		shutdown(old->fd, SHUT_RDWR);
		old->dropped = true;
	}
}

static bool acc_dropping(const struct acceptor *a)
{
	for (const struct pending *p = a->slot; p < a->slot + WIRE_ACCEPT_MAX; p++)
		if (p->fd >= 0 && p->dropped)
			return true;
	return false;
}

/* Collect the handshake that just finished; 1 if it won, into @w. */
static int acc_reap(struct acceptor *a, struct wire *w)
{
	struct pending *p;
	uint8_t idx;

	if (read(a->note[0], &idx, 1) != 1 || idx >= WIRE_ACCEPT_MAX)
		return 0;	/* EINTR: poll again */
	p = &a->slot[idx];
	pthread_join(p->thread, NULL);
	a->busy--;
	if (!p->rc && !p->dropped) {
		*w = p->w;	/* the wire and its socket are the caller's now */
		p->fd = -1;
		return 1;
	}
	if (p->dropped)
		acc_refuse(a, "dropped to make room: it was the oldest of the pending handshakes");
	else
		acc_refuse(a, p->w.err[0] ? p->w.err : strerror(-p->rc));
	wire_free(&p->w);
	close(p->fd);
	p->fd = -1;
	return 0;
}

static int acc_take(struct acceptor *a, struct wire *w)
{
	int fd = accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd >= 0)
		acc_start(a, fd);
	else if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
		return wfail(w, -errno, "accepting a migration connection: %s", strerror(errno));
	return 0;
}

/* Wait for a finished handshake or a new connection; 1 once one won. */
static int acc_step(struct acceptor *a, struct wire *w)
{
	struct pollfd p[2] = {
		{ .fd = a->note[0], .events = POLLIN }, { .fd = a->lfd, .events = POLLIN },
	};
	bool full = a->busy == WIRE_ACCEPT_MAX;
	/* Why not always: with every slot taken and one already being
	 * dropped, a waiting connection would wake us in a loop. */
	nfds_t n = full && acc_dropping(a) ? 1 : 2;

	if (poll(p, n, -1) < 0)
		return errno == EINTR ? 0 : wfail(w, -errno, "poll for migration connections: %s",
						  strerror(errno));
	if (p[0].revents)
		return acc_reap(a, w);
	if (p[1].revents && full)
		acc_drop(a);
	else if (p[1].revents)
		return acc_take(a, w);
	return 0;
}

/* Close every pending handshake and the pipe. */
static void acc_stop(struct acceptor *a)
{
	for (struct pending *p = a->slot; p < a->slot + WIRE_ACCEPT_MAX; p++) {
		if (p->fd < 0)
			continue;
		shutdown(p->fd, SHUT_RDWR);
		pthread_join(p->thread, NULL);
		wire_free(&p->w);
		close(p->fd);
	}
	/* Why after the joins: a thread still writes its byte to the pipe. */
	close(a->note[0]);
	close(a->note[1]);
}

int wire_accept(struct wire *w, int lfd, const uint8_t *secret, void (*refused)(const char *why))
{
	struct acceptor a = { .lfd = lfd, .refused = refused };
	int rc;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (pipe2(a.note, O_CLOEXEC))
		return wfail(w, -errno, "pipe for migration connections: %s", strerror(errno));
	for (unsigned i = 0; i < WIRE_ACCEPT_MAX; i++)
		a.slot[i] = (struct pending){ .secret = secret, .fd = -1, .note = a.note[1], .idx = (uint8_t)i };
	do
		rc = acc_step(&a, w);
	while (!rc);
	acc_stop(&a);
	return rc < 0 ? rc : 0;
}
