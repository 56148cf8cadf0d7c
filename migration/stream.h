/* Snapshot state file: a portable, versioned, checksummed container of
 * named sections, each holding keyed entries. Saved state is always
 * encoded entry by entry through this module, never as a dump of a host
 * struct, so the file layout does not depend on the host's compiler,
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
 *        "gic.dist", "its", "dev.3.virtio-pci", "abi"
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
 *   Payload: a sequence of keyed entries (none for an empty section), each
 *     1  type byte: 0x07 (STREAM_KV), the only kind of entry in version 1
 *     8  key
 *     4  value length M
 *     M  value, stored byte for byte
 *   A payload holding any other type byte is refused. (0x01..0x06 were
 *   once set aside for positional u8, u16, u32, u64, bytes and str fields,
 *   which no itsy ever wrote into a file.) Entries come back in the order they were written, but they are sets read by
 *   key, not by position: vCPU registers keyed by KVM register id, GIC
 *   registers by offset, a device's state by the key numbers its header
 *   gives (tests/unit/test_state_keys.c pins them). Multi-byte integers in
 *   values are little-endian too; what a value means is its owner's.
 *
 * Versioning: a reader refuses a newer format version or another
 * architecture; each section's owner checks its own section version.
 *
 * Contract:
 *  - Errors are -errno. Every reader error leaves a one-line message for
 *    the user in the reader's or payload's err[] (naming the section when
 *    there is one, and an entry's position in it, counted from 0); reading
 *    never crashes on any input.
 *  - Writer errors are sticky, with their message in the writer's err[]:
 *    after the first failure every call returns it, so a caller may check
 *    only stream_section_end() and stream_writer_finish(); a failed writer
 *    never yields a finished file.
 *  - stream_reader_open() validates the whole file (header, every
 *    section's bounds and CRC, the end marker) before anything is handed
 *    out, so restore never starts on a damaged file. Entries are decoded
 *    as they are read, each bounds-checked.
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

/* The type byte of a keyed entry. */
#define STREAM_KV		0x07

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
	char err[STREAM_ERR_LEN];	/* ... and its message */
};

/* Start a file: writes the header. 0 or -ENOMEM. */
int stream_writer_init(struct stream_writer *w);
void stream_writer_free(struct stream_writer *w);

/* Open a section; @name must be 1..STREAM_NAME_MAX bytes of ASCII
 * 0x21..0x7e (-EINVAL otherwise). Sections do not nest. */
int stream_section_begin(struct stream_writer *w, const char *name, uint32_t version);
/* A keyed entry of the open section (-EINVAL outside one); @val's @len
 * bytes are stored as they are (@val may be NULL when @len is 0). */
int stream_put_kv(struct stream_writer *w, uint64_t key, const void *val, uint32_t len);
/* Close the open section: fills in its length and CRC. */
int stream_section_end(struct stream_writer *w);
/* Write the end marker; after it the file is complete and read-only. */
int stream_writer_finish(struct stream_writer *w);

/* The file so far (complete after stream_writer_finish() returned 0). */
const void *stream_writer_data(const struct stream_writer *w);
size_t stream_writer_len(const struct stream_writer *w);

/* Reader of one section's payload. */
struct stream_payload {
	const uint8_t *buf;
	size_t len, pos;
	size_t field;		/* index of the next entry, for messages */
	int error;		/* first error, sticky */
	char section[STREAM_NAME_MAX + 1];
	char err[STREAM_ERR_LEN];
};

struct stream_section {
	char name[STREAM_NAME_MAX + 1];
	uint32_t version;
	struct stream_payload payload;
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
const char *stream_reader_err(const struct stream_reader *r);

/* The next keyed entry of @p: 1, or 0 at the end of the payload, or
 * -EBADMSG if the next field is of another type ("section 'S': field N is
 * of type 0xTT; only keyed entries are expected") or runs past the
 * payload. *@val points into the file buffer. */
int stream_get_kv(struct stream_payload *p, uint64_t *key, const void **val, uint32_t *len);
/* 0 if every entry was read, else -EBADMSG (or the earlier error). */
int stream_get_end(struct stream_payload *p);
const char *stream_payload_err(const struct stream_payload *p);

#endif
