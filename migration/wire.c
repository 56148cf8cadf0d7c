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

#define KDF_LABEL	"itsy-migration-v1"	/* 17 bytes, no NUL */
#define DIR_TO_DEST	1			/* tag direction bytes */
#define DIR_TO_SOURCE	2

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
};

const char *wire_type_name(uint8_t type)
{
	if (type >= WIRE_HELLO && type <= WIRE_OK)
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

/* The timeout as text: "30" or "0.25". */
static const char *timeout_text(const struct wire *w, char *buf, size_t len)
{
	if (w->timeout_ms % 1000)
		snprintf(buf, len, "%.3g", w->timeout_ms / 1000.0);
	else
		snprintf(buf, len, "%d", w->timeout_ms / 1000);
	return buf;
}

/* Wait until @events is possible on the socket, for at most timeout_ms. */
static int io_wait(struct wire *w, short events)
{
	struct pollfd p = { .fd = w->fd, .events = events };
	int64_t end = now_ms() + w->timeout_ms;
	char t[32];

	for (;;) {
		int64_t left = end - now_ms();
		int n = poll(&p, 1, left > 0 ? (int)left : 0);

		if (n > 0)
			return 0;
		if (n == 0)
			return wfail(w, -ETIMEDOUT, events & POLLIN ?
				     "no data from the peer for %s s" :
				     "the peer took no data for %s s", timeout_text(w, t, sizeof(t)));
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

/* The tag of a frame going in direction @dir with sequence number @seq. */
static void frame_tag(const struct wire *w, uint8_t dir, uint64_t seq, const uint8_t *hdr,
		      const uint8_t *payload, size_t len, uint8_t tag[WIRE_TAG_LEN])
{
	crypto_generichash_state st;
	uint8_t pre[9];

	pre[0] = dir;
	le_put(pre + 1, seq, 8);
	crypto_generichash_init(&st, w->key, WIRE_KEY_LEN, WIRE_TAG_LEN);
	crypto_generichash_update(&st, pre, sizeof(pre));
	crypto_generichash_update(&st, hdr, WIRE_HDR_LEN);
	if (len)
		crypto_generichash_update(&st, payload, len);
	crypto_generichash_final(&st, tag, WIRE_TAG_LEN);
	sodium_memzero(&st, sizeof(st));
}

static uint8_t dir_out(const struct wire *w)
{
	return w->role == WIRE_SOURCE ? DIR_TO_DEST : DIR_TO_SOURCE;
}

static uint8_t dir_in(const struct wire *w)
{
	return w->role == WIRE_SOURCE ? DIR_TO_SOURCE : DIR_TO_DEST;
}

static int frame_send(struct wire *w, uint8_t type, const void *payload, size_t len)
{
	uint8_t hdr[WIRE_HDR_LEN] = { type }, tag[WIRE_TAG_LEN];
	struct iovec iov[3] = {
		{ hdr, sizeof(hdr) }, { (void *)payload, len }, { tag, sizeof(tag) },
	};
	int rc;

	le_put(hdr + 4, len, 4);
	frame_tag(w, dir_out(w), w->send_seq, hdr, payload, len, tag);
	rc = io_write(w, iov, 3);
	if (rc)
		return rc;
	w->send_seq++;
	return 0;
}

/* Room for @n bytes in the receive buffer. */
static int buf_reserve(struct wire *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 4096;
	uint8_t *p;

	if (n <= w->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if (cap > WIRE_MAX_PAYLOAD + WIRE_TAG_LEN)
		cap = WIRE_MAX_PAYLOAD + WIRE_TAG_LEN;	/* n is never above it */
	p = realloc(w->buf, cap);
	if (!p)
		return wfail(w, -ENOMEM, "out of memory for a %zu-byte frame", n);
	w->buf = p;
	w->cap = cap;
	return 0;
}

/* Read one frame and check its tag. Any type comes back. */
static int frame_recv(struct wire *w, uint8_t *type, const uint8_t **payload, size_t *len)
{
	uint8_t hdr[WIRE_HDR_LEN], tag[WIRE_TAG_LEN];
	uint64_t n;
	int rc = io_read(w, hdr, sizeof(hdr), false);

	if (rc)
		return rc;
	if (hdr[1] || hdr[2] || hdr[3])
		return wfail(w, -EBADMSG, "frame %llu from the peer has a corrupted header",
			     (unsigned long long)w->recv_seq);
	n = le_get(hdr + 4, 4);
	if (n > WIRE_MAX_PAYLOAD)
		return wfail(w, -EMSGSIZE, "frame %llu from the peer is %llu bytes long, above the limit of %u",
			     (unsigned long long)w->recv_seq, (unsigned long long)n, WIRE_MAX_PAYLOAD);
	rc = buf_reserve(w, n + WIRE_TAG_LEN);
	if (!rc)
		rc = io_read(w, w->buf, n + WIRE_TAG_LEN, true);
	if (rc)
		return rc;
	frame_tag(w, dir_in(w), w->recv_seq, hdr, w->buf, n, tag);
	if (sodium_memcmp(tag, w->buf + n, WIRE_TAG_LEN))
		return wfail(w, -EBADMSG, "frame %llu from the peer failed authentication: the stream was corrupted or tampered with",
			     (unsigned long long)w->recv_seq);
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
		return wfail(w, -EPROTO, "the peer speaks migration protocol version %u, this itsy speaks %u",
			     version, WIRE_VERSION);
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

/* Session key from the secret hash (zeros when insecure) and both nonces. */
static void key_derive(struct wire *w, const uint8_t *secret, const uint8_t *src_nonce,
		       const uint8_t *dst_nonce)
{
	static const uint8_t zero[WIRE_KEY_LEN];
	uint8_t in[sizeof(KDF_LABEL) - 1 + 2 * WIRE_NONCE_LEN];

	memcpy(in, KDF_LABEL, sizeof(KDF_LABEL) - 1);
	memcpy(in + sizeof(KDF_LABEL) - 1, src_nonce, WIRE_NONCE_LEN);
	memcpy(in + sizeof(KDF_LABEL) - 1 + WIRE_NONCE_LEN, dst_nonce, WIRE_NONCE_LEN);
	crypto_generichash(w->key, WIRE_KEY_LEN, in, sizeof(in),
			   secret ? secret : zero, WIRE_KEY_LEN);
}

/* Exchange AUTH frames under the session key. */
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
	if (w->role == WIRE_SOURCE)
		key_derive(w, secret, nonce, peer_nonce);
	else
		key_derive(w, secret, peer_nonce, nonce);
	return auth_exchange(w);
}

int wire_handshake(struct wire *w, int is_source, const uint8_t *secret)
{
	int rc;

	if (w->fd < 0 || w->timeout_ms <= 0)
		return wfail(w, -EINVAL, "the migration wire is not initialised");
	if (w->ready || w->role)
		return wfail(w, -EINVAL, "the handshake can only run once");
	w->role = is_source ? WIRE_SOURCE : WIRE_DESTINATION;
	rc = handshake_run(w, secret);
	if (rc) {
		sodium_memzero(w->key, sizeof(w->key));
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
	return 0;
}

void wire_free(struct wire *w)
{
	free(w->buf);
	w->buf = NULL;
	w->cap = 0;
	w->ready = 0;
	sodium_memzero(w->key, sizeof(w->key));
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
	if (type < WIRE_BEGIN || type > WIRE_OK)
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
	if (!rc && (*type < WIRE_BEGIN || *type > WIRE_OK))
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
