/* Live-migration wire: sequenced, length-framed messages over a connected
 * stream socket (TCP in production, a socketpair in the tests), encrypted
 * and authenticated when both ends have the shared secret. Portable: no
 * KVM; libsodium for hashing, the AEAD and randomness.
 *
 * Every integer on the wire is little-endian, with no padding.
 *
 * Handshake (wire_handshake), both ends at once:
 *  1. Each end sends a HELLO, 46 bytes, in clear and not authenticated:
 *       0   8  magic "ITSYMIG1"
 *       8   4  protocol version, 2 (WIRE_VERSION)
 *      12   1  role: 1 source, 2 destination
 *      13   1  secured: 1 if this end has a secret, else 0
 *      14  32  nonce, fresh random bytes (randombytes_buf)
 *  2. Each end checks the peer's HELLO: the magic, the version, that the
 *     roles are opposite, and that both ends agree on using a secret. The
 *     checks are symmetric, so a mismatch fails on both ends with the same
 *     kind of message (e.g. "the destination was started without a secret
 *     (--insecure)"). Version 1 (MAC-only frames) and version 2 ends share
 *     the magic and check the version right after it, so each refuses the
 *     other here, naming both versions.
 *  3. Two keys, one per direction d (1: source to destination, 2: back),
 *     32 bytes each = keyed BLAKE2b-256 (crypto_generichash) of
 *       "itsy-migration-v2" (17 bytes) || d (1 byte)
 *       || source nonce (32) || destination nonce (32)
 *     keyed with the 32-byte secret hash (wire_secret_load), or with 32
 *     zero bytes in insecure mode. An end sends with the key of its own
 *     direction and receives with the other, so the two directions never
 *     share a key.
 *  4. Each end sends an AUTH frame (empty payload, below) and expects the
 *     peer's. A peer with another secret derives other keys, so its AUTH
 *     fails: "authentication failed: the peer's secret differs (or the
 *     stream was tampered with)".
 *  The whole handshake must end within w->handshake_ms (WIRE_HANDSHAKE_MS
 *  unless changed after wire_init), however the peer spreads its bytes.
 *
 * Frame (everything after the HELLOs, the AUTH frames included):
 *     0   1  type (enum wire_type)
 *     1   3  zero
 *     4   4  payload length L, at most WIRE_MAX_PAYLOAD
 *     8   L  payload: encrypted with a secret, in clear without
 *   8+L   T  tag
 *  The 8 header bytes are always in clear (an observer sees each frame's
 *  type and length), so that a length above WIRE_MAX_PAYLOAD is refused
 *  before any of the payload is read; they are authenticated either way.
 *  S, the frame's sequence number, counts the frames of one direction from
 *  0 (the AUTH frame is 0) and is never sent; below it is 8 bytes,
 *  little-endian.
 *  - With a secret (T = 16, WIRE_TAG_LEN): XChaCha20-Poly1305
 *    (crypto_aead_xchacha20poly1305_ietf_encrypt_detached) with the
 *    direction's key, the 24-byte nonce S || 16 zero bytes, the
 *    8 header bytes as additional data and the payload as the message;
 *    bytes 8.. are the ciphertext (L bytes), then its 16-byte tag.
 *  - Insecure (T = 32, WIRE_MAC_LEN): the payload as it is, then keyed
 *    BLAKE2b-256 with the direction's key of S || the 8 header
 *    bytes || the payload. Anyone can compute the keys: this detects
 *    corruption, truncation and reordering, nothing more.
 *  A replayed, dropped, reordered, reflected or altered frame therefore
 *  fails its tag.
 *
 * Contract:
 *  - Errors are -errno, with a one-line message in w->err. Nothing crashes
 *    on any input from the peer.
 *  - Every wait for the socket is a poll() of at most timeout_ms, and
 *    during the handshake of at most what is left of handshake_ms: a quiet
 *    peer gives -ETIMEDOUT ("no data from the peer for N s"), a handshake
 *    past its deadline -ETIMEDOUT ("the handshake took too long: over N
 *    s"); a closed connection -ECONNRESET ("the peer closed the
 *    connection"); a bad tag -EBADMSG (-EACCES for the handshake's AUTH);
 *    a frame out of protocol -EPROTO; an oversized one -EMSGSIZE.
 *  - Failures are sticky per direction: once a receive failed, every later
 *    wire_recv() returns the same error (the stream position is lost), and
 *    likewise for sends. w->err keeps the first message.
 *  - wire_send()/wire_recv() need a completed handshake (-ENOTCONN before).
 *  - Payloads are decrypted in place in w->buf; a secured wire encrypts
 *    into a second buffer of its own. Both grow to the largest frame seen
 *    (at most WIRE_MAX_PAYLOAD plus a tag) and are kept: no allocation per
 *    frame once they have grown.
 *  - The socket is the caller's: wire_free() does not close it. It may be
 *    blocking or not (every socket call is MSG_DONTWAIT after a poll());
 *    sends use MSG_NOSIGNAL, so a closed peer never raises SIGPIPE.
 *  - wire_init() calls sodium_init() (once per process); a test may install
 *    its own randombytes implementation before that.
 *  - Not thread-safe: one wire, one thread at a time (wire_accept runs one
 *    wire per thread). */
#ifndef ITSY_WIRE_H
#define ITSY_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC		"ITSYMIG1"	/* 8 bytes, no NUL on the wire */
#define WIRE_VERSION		2u
#define WIRE_MAX_PAYLOAD	(4u << 20)
#define WIRE_IO_TIMEOUT_MS	15000		/* a peer silent this long is gone */
#define WIRE_HANDSHAKE_MS	10000		/* the whole handshake, however slow */
#define WIRE_ACCEPT_MAX		4		/* wire_accept: handshakes at once */
#define WIRE_KEY_LEN		32		/* secret hash, direction keys */
#define WIRE_NONCE_LEN		32		/* of a HELLO */
#define WIRE_TAG_LEN		16		/* secured: the AEAD's tag */
#define WIRE_MAC_LEN		32		/* insecure: the BLAKE2b tag */
#define WIRE_HELLO_LEN		46
#define WIRE_HDR_LEN		8
#define WIRE_SECRET_MIN		16		/* bytes of a secret file */
#define WIRE_SECRET_MAX		4096
#define WIRE_ERROR_MAX		1024		/* bytes of text in a WIRE_ERROR */

enum wire_role {
	WIRE_SOURCE = 1,
	WIRE_DESTINATION = 2,
};

/* Message types; the values are on the wire. */
enum wire_type {
	WIRE_HELLO = 1,		/* handshake only (internal to wire.c) */
	WIRE_AUTH,		/* handshake only (internal) */
	WIRE_BEGIN,
	WIRE_PROFILE,
	WIRE_PAGES,
	WIRE_PASS_END,
	WIRE_STATE,
	WIRE_READY,
	WIRE_GO,
	WIRE_RUNNING,
	WIRE_ERROR,		/* payload: text, not NUL-terminated */
	WIRE_OK,
	WIRE_DISK,		/* disk contents (migration/disk_copy.h) */
	WIRE_POSTCOPY,		/* the pages the source still holds (postcopy.h) */
	WIRE_PAGE_REQ,		/* pages a fault waits for: u64 LE RAM offsets */
	WIRE_POSTCOPY_END,	/* every held page has been sent */
	WIRE_LAST = WIRE_POSTCOPY_END,
};

struct wire {
	int fd;			/* not owned */
	int timeout_ms;		/* per read/write wait, poll() based */
	int handshake_ms;	/* the whole handshake (WIRE_HANDSHAKE_MS) */
	int64_t deadline;	/* CLOCK_MONOTONIC ms while the handshake runs, else 0 */
	uint8_t send_key[WIRE_KEY_LEN], recv_key[WIRE_KEY_LEN];	/* one per direction */
	int secured;		/* AEAD frames (a secret), else clear ones */
	uint64_t send_seq, recv_seq;
	uint64_t bytes_sent, bytes_recv;	/* everything on the socket, headers included */
	uint8_t *buf;		/* receive buffer (payload, then tag), owned */
	size_t cap;
	uint8_t *sbuf;		/* send buffer (ciphertext), owned; secured only */
	size_t scap;
	int role;		/* enum wire_role, set by the handshake */
	int ready;		/* the handshake succeeded */
	int send_rc, recv_rc;	/* first failure per direction, sticky */
	char err[256];		/* one-line message after any failure */
};

/* Set up @w on the connected stream socket @fd, which stays the caller's
 * (wire_free() closes nothing). @timeout_ms > 0. 0, or -EINVAL, or -EIO when
 * libsodium cannot initialise. */
int wire_init(struct wire *w, int fd, int timeout_ms);

/* A migration socket: small frames (READY, GO) go out at once, and a dead
 * link fails a send within @timeout_ms instead of TCP's minutes of
 * retries. Best effort. */
void wire_tune_socket(int fd, unsigned timeout_ms);
/* Free the buffers and wipe the keys. Safe on a zeroed or freed wire. */
void wire_free(struct wire *w);

/* Read the secret file @path and hash it (unkeyed BLAKE2b-256 of its bytes,
 * exactly as they are, a trailing newline included) into @out. The file
 * must be a regular file of WIRE_SECRET_MIN..WIRE_SECRET_MAX bytes; its
 * permissions are not checked. 0, or -errno with a message in @err. */
int wire_secret_load(const char *path, uint8_t out[WIRE_KEY_LEN], char *err, size_t errlen);

/* Run the handshake above as the source (@is_source) or the destination.
 * @secret is the WIRE_KEY_LEN-byte secret hash, or NULL for insecure mode.
 * 0 once both ends proved they share the secret (or both are insecure),
 * within w->handshake_ms or -ETIMEDOUT. */
int wire_handshake(struct wire *w, int is_source, const uint8_t *secret);

/* The destination's side of connecting: accept on the listening socket
 * @lfd and run wire_handshake(@secret) as the destination on up to
 * WIRE_ACCEPT_MAX connections at once, one thread each, each bounded by
 * WIRE_HANDSHAKE_MS. The first to complete wins: @w is set up on it (its
 * w->fd is the caller's to close) and the other pending ones are closed.
 * When all are pending, a new connection drops the oldest, so a peer
 * holding connections open keeps a real source out only by opening new
 * ones faster than that source completes its handshake. @refused, if not
 * NULL, gets a one-line reason for each connection turned away (called
 * from this thread). Waits for as long as it takes; -errno with w->err
 * only when accepting itself fails. */
int wire_accept(struct wire *w, int lfd, const uint8_t *secret, void (*refused)(const char *why));

/* Send one frame of @type (WIRE_BEGIN..WIRE_LAST) with @len bytes of @payload
 * (may be NULL when @len is 0). -EMSGSIZE above WIRE_MAX_PAYLOAD. */
int wire_send(struct wire *w, uint8_t type, const void *payload, size_t len);

/* Receive one authenticated (and, with a secret, decrypted) frame of a type
 * WIRE_BEGIN..WIRE_LAST (others are -EPROTO). *payload points into w->buf and
 * stays valid until the next receive on @w; it is non-NULL even when *len
 * is 0. */
int wire_recv(struct wire *w, uint8_t *type, const uint8_t **payload, size_t *len);

/* wire_recv(), then fail with -EPROTO unless the type is @want. A WIRE_ERROR
 * frame (when @want is another type) becomes -ECONNABORTED with "the peer
 * says: TEXT" in w->err. @payload and @len may be NULL. */
int wire_expect(struct wire *w, uint8_t want, const uint8_t **payload, size_t *len);

/* Best effort: send a WIRE_ERROR frame with the text @msg (at most
 * WIRE_ERROR_MAX bytes of it, without the NUL). Leaves w->err as it was, so
 * it may be passed w->err itself. */
void wire_send_error(struct wire *w, const char *msg);

/* "begin", "pages", ...; "unknown" for any other value. */
const char *wire_type_name(uint8_t type);

#endif
