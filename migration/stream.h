/* Snapshot state file: a portable, versioned, checksummed container of
 * named sections, each holding typed little-endian fields. Saved state is
 * always encoded field by field through this module, never as a dump of a
 * host struct, so the file layout does not depend on the host's compiler,
 * padding or byte order. Portable: no KVM; zlib for CRC32.
 *
 * File layout (every integer little-endian, no padding, no alignment):
 *
 *   Header, 28 bytes:
 *     0   8  magic "ITSYSNAP"
 *     8   4  format version, 1 (STREAM_FORMAT_VERSION); 0 is invalid
 *    12   8  architecture tag, ASCII 0x21..0x7e then NUL padding ("arm64")
 *    20   4  flags; none are defined in version 1, so it must be 0
 *    24   4  CRC32 of bytes 0..23
 *   then zero or more sections, then the end marker.
 *
 *   Section:
 *     1  name length N, 1..31 (0 starts the end marker instead)
 *     N  name, ASCII 0x21..0x7e (no spaces, no NUL), e.g. "vcpu.0",
 *        "gic.dist", "its", "dev.virtio-blk.0", "abi"
 *     4  section version (the owner's own payload version)
 *     8  payload length L
 *     L  payload
 *     4  CRC32 of the whole section so far: name length through payload
 *
 *   End marker:
 *     1  0
 *     4  number of sections before it
 *   Nothing may follow it. A file without one is truncated.
 *
 *   CRC32 is zlib's crc32(0, data, len): the IEEE 802.3 CRC (reflected
 *   polynomial 0xedb88320, initial value and final xor 0xffffffff).
 *
 *   Payload: a sequence of fields, each a type byte then its value:
 *     0x01 u8     1 byte
 *     0x02 u16    2 bytes
 *     0x03 u32    4 bytes
 *     0x04 u64    8 bytes
 *     0x05 bytes  length M (4 bytes), then M bytes
 *     0x06 str    length M (4 bytes), then M bytes of text without NUL
 *     0x07 kv     key (8 bytes), length M (4 bytes), then M bytes
 *   Any other type byte is invalid. Fields are read back in the order they
 *   were written; a reader asking for one type and finding another fails.
 *   Keyed (kv) fields hold sets read back by key rather than by position,
 *   e.g. vCPU registers keyed by KVM register id, GIC registers by offset;
 *   multi-byte values in them are little-endian too (stream_put_kv_u64).
 *
 * Versioning: a reader refuses a newer format version or another
 * architecture; each section's owner checks its own section version.
 *
 * Contract:
 *  - Errors are -errno. Every reader error leaves a one-line message for
 *    the user in the reader's or payload's err[] (naming the section when
 *    there is one); reading never crashes on any input.
 *  - Writer errors are sticky: after the first failure every call returns
 *    it, so a caller may check only stream_section_end() and
 *    stream_writer_finish(); a failed writer never yields a finished file.
 *  - stream_reader_open() validates the whole file (header, every
 *    section's bounds and CRC, the end marker) before anything is handed
 *    out, so restore never starts on a damaged file. Payload fields are
 *    decoded lazily and bounds-checked on every read.
 *  - A reader and its sections point into the caller's buffer, which must
 *    outlive them and not change.
 *  - Payload read errors are sticky as well; outputs are zeroed on error. */
#ifndef ITSY_STREAM_H
#define ITSY_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define STREAM_MAGIC		"ITSYSNAP"	/* 8 bytes, no NUL in the file */
#define STREAM_FORMAT_VERSION	1u
#define STREAM_ARCH		"arm64"
#define STREAM_NAME_MAX		31		/* bytes of a section name */
#define STREAM_ERR_LEN		160

enum stream_type {
	STREAM_U8 = 1,
	STREAM_U16,
	STREAM_U32,
	STREAM_U64,
	STREAM_BYTES,
	STREAM_STR,
	STREAM_KV,
};

/* Writer: builds the whole file in memory. */
struct stream_writer {
	uint8_t *buf;
	size_t len, cap;
	size_t sect;		/* offset of the open section */
	size_t payload;		/* offset of its payload */
	int open;		/* a section is open */
	int done;		/* the end marker is written */
	uint32_t nsect;		/* sections ended */
	int error;		/* first error, sticky */
	char err[STREAM_ERR_LEN];
};

/* Start a file: writes the header. 0 or -ENOMEM. */
int stream_writer_init(struct stream_writer *w);
void stream_writer_free(struct stream_writer *w);

/* Open a section; @name must be 1..STREAM_NAME_MAX bytes of ASCII
 * 0x21..0x7e (-EINVAL otherwise). Sections do not nest. */
int stream_section_begin(struct stream_writer *w, const char *name, uint32_t version);
/* Close the open section: fills in its length and CRC. */
int stream_section_end(struct stream_writer *w);
/* Write the end marker; after it the file is complete and read-only. */
int stream_writer_finish(struct stream_writer *w);

/* The file so far (complete after stream_writer_finish() returned 0). */
const void *stream_writer_data(const struct stream_writer *w);
size_t stream_writer_len(const struct stream_writer *w);
const char *stream_writer_err(const struct stream_writer *w);

/* Fields of the open section (-EINVAL outside one). Lengths above
 * UINT32_MAX are -EOVERFLOW. @data may be NULL when @len is 0. */
int stream_put_u8(struct stream_writer *w, uint8_t v);
int stream_put_u16(struct stream_writer *w, uint16_t v);
int stream_put_u32(struct stream_writer *w, uint32_t v);
int stream_put_u64(struct stream_writer *w, uint64_t v);
int stream_put_bytes(struct stream_writer *w, const void *data, size_t len);
int stream_put_str(struct stream_writer *w, const char *s);
/* A keyed entry; @val is stored byte for byte. */
int stream_put_kv(struct stream_writer *w, uint64_t key, const void *val, uint32_t len);
/* A keyed entry whose value is @v as 8 little-endian bytes. */
int stream_put_kv_u64(struct stream_writer *w, uint64_t key, uint64_t v);

/* Reader of one section's payload. */
struct stream_payload {
	const uint8_t *buf;
	size_t len, pos;
	size_t field;		/* index of the next field, for messages */
	int error;		/* first error, sticky */
	char section[STREAM_NAME_MAX + 1];
	char err[STREAM_ERR_LEN];
};

struct stream_section {
	char name[STREAM_NAME_MAX + 1];
	uint32_t version;
	struct stream_payload payload;
};

/* One decoded field, for generic walks. */
struct stream_field {
	enum stream_type type;
	uint64_t u;		/* u8 .. u64: the value */
	uint64_t key;		/* kv: the key */
	const void *data;	/* bytes, str, kv: the contents (in the buffer) */
	uint32_t len;		/* ... and their length */
};

/* Reader of a whole file held in memory by the caller. */
struct stream_reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;		/* offset of the next section */
	uint32_t index;		/* of the next section */
	int error;		/* stream_reader_open() failed with it */
	char err[STREAM_ERR_LEN];
};

/* Check the file in @buf (magic, format version, architecture, header
 * CRC and flags, then every section and the end marker). 0 or -errno:
 * -EBADMSG for a damaged or foreign file, -ENOTSUP for a newer
 * format version, -ENOEXEC for another architecture. */
int stream_reader_open(struct stream_reader *r, const void *buf, size_t len);
/* The next section into @s: 1, or 0 after the last one (and on every call
 * after that), or -errno if the reader did not open. */
int stream_next_section(struct stream_reader *r, struct stream_section *s);
/* The first section named @name, whatever the position of
 * stream_next_section() (which it leaves alone): 0, or -ENOENT. */
int stream_find_section(struct stream_reader *r, const char *name, struct stream_section *s);
const char *stream_reader_err(const struct stream_reader *r);

/* Typed reads of the next field: 0, or -ENODATA if the payload has ended,
 * or -EBADMSG if the field is of another type, runs past the payload, or
 * does not fit the request. */
int stream_get_u8(struct stream_payload *p, uint8_t *v);
int stream_get_u16(struct stream_payload *p, uint16_t *v);
int stream_get_u32(struct stream_payload *p, uint32_t *v);
int stream_get_u64(struct stream_payload *p, uint64_t *v);
/* A bytes field, in place: *data points into the file buffer. */
int stream_get_bytes(struct stream_payload *p, const void **data, uint32_t *len);
/* A bytes field of exactly @len bytes, copied to @dst. */
int stream_get_bytes_fixed(struct stream_payload *p, void *dst, uint32_t len);
/* A str field, copied to @dst with a NUL; it must fit in @size. */
int stream_get_str(struct stream_payload *p, char *dst, size_t size);
/* The next keyed entry: 1, or 0 when the payload ends or the next field
 * is not a kv (so a keyed run can be followed by other fields), or
 * -errno. *val points into the file buffer. */
int stream_get_kv(struct stream_payload *p, uint64_t *key, const void **val, uint32_t *len);
/* As stream_get_kv() for a value of 8 little-endian bytes (else -EBADMSG). */
int stream_get_kv_u64(struct stream_payload *p, uint64_t *key, uint64_t *v);
/* Any next field: 1, or 0 at the end of the payload, or -EBADMSG. */
int stream_get_field(struct stream_payload *p, struct stream_field *f);
/* 0 if every field was read, else -EBADMSG (or the earlier error). */
int stream_get_end(struct stream_payload *p);
const char *stream_payload_err(const struct stream_payload *p);

/* Write @len bytes as DIR/NAME atomically and durably: into DIR/.NAME.tmp
 * (mode 0600: the state may hold guest secrets), fsync, rename over
 * DIR/NAME, fsync DIR. On failure the temporary file is removed and any
 * earlier DIR/NAME is left as it was. @name is one path component
 * (-EINVAL otherwise). 0 or -errno. */
int stream_write_file_atomic(const char *dir, const char *name, const void *buf, size_t len);

#endif
