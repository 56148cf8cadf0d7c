/* virtio-blk backend (devices/virtio-blk/blk.c). No thread, no transport: the
 * tests play the driver on rings in a plain guest RAM buffer, call the
 * kick handler directly, and use a temporary file as the disk. */
#include "devices/virtio-blk/blk.h"
#include "vmm/disk_log.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#define BASE	0x40000000ull		/* guest address of RAM */
#define RAM	0x100000ull		/* 1 MiB */
#define QSZ	16
#define DESC	(BASE + 0x0000)
#define AVAIL	(BASE + 0x1000)
#define USED	(BASE + 0x2000)
#define TABLE	(BASE + 0x3000)		/* indirect table */
#define HDRS	(BASE + 0x4000)		/* request headers, 16 bytes per head */
#define STAT	(BASE + 0x5000)		/* status bytes, one per head */
#define DATA	(BASE + 0x10000)
#define DATA2	(BASE + 0x40000)

#define SECTORS	128ull
#define SEC	512
#define HDR	sizeof(struct virtio_blk_outhdr)
#define F(bit)	(1ull << (bit))
#define R	0
#define W	1

static struct guest_mem mem;
static struct virtio_dev d;
static struct blk *b;
static char dir[64], disk[96];
static int interrupts, resets;

static void tp_interrupt(struct virtio_dev *dev, unsigned q)
{
	ck_assert_ptr_eq(dev, &d);
	ck_assert_uint_eq(q, 0);
	interrupts++;
}

static void tp_needs_reset(struct virtio_dev *dev)
{
	ck_assert_ptr_eq(dev, &d);
	resets++;
}

static const struct virtio_transport tp = {
	.interrupt = tp_interrupt, .needs_reset = tp_needs_reset,
};

static void *gp(uint64_t gpa)
{
	return mem.hva + (gpa - BASE);
}

static uint8_t *bytes(uint64_t gpa)
{
	return gp(gpa);
}

/* ---- Disk file ---- */

static void make_file(const char *path, off_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, size), 0);
	close(fd);
}

static void file_io(uint64_t off, void *buf, size_t len, int write)
{
	int fd = open(disk, O_RDWR);

	ck_assert_int_ge(fd, 0);
	if (write)
		ck_assert_int_eq(pwrite(fd, buf, len, off), (ssize_t)len);
	else
		ck_assert_int_eq(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

/* @len bytes of the disk at @off equal guest RAM at @gpa. */
static void assert_file(uint64_t off, uint64_t gpa, size_t len)
{
	uint8_t *buf = unit_alloc(len);

	file_io(off, buf, len, 0);
	ck_assert_mem_eq(buf, gp(gpa), len);
	free(buf);
}

static void fill(uint64_t gpa, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		bytes(gpa)[i] = (uint8_t)(i * 7 + seed * 13 + 1);
}

/* ---- Device ---- */

/* Every test runs twice: with the disk's io_uring, and with preadv and
 * pwritev (blk_no_uring()); both must give the same results. */
static int no_uring;

/* Whether this kernel lets a process have an io_uring at all. */
static int kernel_has_uring(void)
{
	struct io_uring ring;

	if (io_uring_queue_init(4, &ring, 0))
		return 0;
	io_uring_queue_exit(&ring);
	return 1;
}

static void dev_open(int readonly)
{
	char err[256];

	ck_assert_int_eq(blk_open(disk, readonly, &b, err, sizeof(err)), 0);
	if (no_uring)
		blk_no_uring(b);
	else
		ck_assert_int_eq(blk_uses_uring(b), kernel_has_uring());
	ck_assert_int_eq(virtio_dev_init(&d, blk_backend_of(b), b, &mem), 0);
	d.tp = &tp;
	d.features = blk_backend_of(b)->features | F(VIRTIO_F_VERSION_1);
	memset(mem.hva, 0, RAM);
	ck_assert_int_eq(virtq_init(&d.vq[0], &mem, QSZ, DESC, AVAIL, USED, 0), 0);
	interrupts = resets = 0;
}

static void dev_close(void)
{
	close(d.kick_fd[0]);
	close(d.stop_fd);
	blk_close(b);
	b = NULL;
}

static void reopen(int readonly)
{
	dev_close();
	dev_open(readonly);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/itsy-blk-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(disk, sizeof(disk), "%s/disk.img", dir);
	make_file(disk, SECTORS * SEC);
	ck_assert_int_eq(mem_alloc(&mem, BASE, RAM), 0);
	dev_open(0);
}

static void setup_no_uring(void)
{
	no_uring = 1;
	setup();
}

static void teardown(void)
{
	char path[128];

	dev_close();
	mem_free(&mem);
	unlink(disk);
	snprintf(path, sizeof(path), "%s/odd.img", dir);
	unlink(path);
	rmdir(dir);
}

/* ---- Rings ---- */

static struct vring_avail *avail(void)
{
	return gp(AVAIL);
}

static struct vring_used *used(void)
{
	return gp(USED);
}

static uint16_t used_idx(void)
{
	return le16toh(used()->idx);
}

/* Length of the last used element, and its head. */
static uint32_t used_len(void)
{
	return le32toh(used()->ring[(uint16_t)(used_idx() - 1) % QSZ].len);
}

static uint32_t used_head(void)
{
	return le32toh(used()->ring[(uint16_t)(used_idx() - 1) % QSZ].id);
}

static void put_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct vring_desc *p = gp(table + i * sizeof(*p));

	p->addr = htole64(addr);
	p->len = htole32(len);
	p->flags = htole16(flags);
	p->next = htole16(next);
}

static void offer(uint16_t head)
{
	uint16_t idx = le16toh(avail()->idx);

	avail()->ring[idx % QSZ] = htole16(head);
	avail()->idx = htole16(idx + 1);
}

struct seg {
	uint64_t addr;
	uint32_t len;
	int w;
};

/* Descriptors @head, @head + 1, ... of @table for @n segments. */
static void put_chain(uint64_t table, uint16_t head, const struct seg *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint16_t flags = (s[i].w ? VRING_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VRING_DESC_F_NEXT : 0);

		put_desc(table, head + i, s[i].addr, s[i].len, flags, head + i + 1);
	}
}

#define SEGS(...)	(const struct seg[]){ __VA_ARGS__ }
#define NSEGS(...)	(sizeof(SEGS(__VA_ARGS__)) / sizeof(struct seg))
/* Offer a chain at descriptor @head made of the segments given. */
#define CHAIN(head, ...) do { \
	put_chain(DESC, (head), SEGS(__VA_ARGS__), NSEGS(__VA_ARGS__)); \
	offer(head); \
} while (0)

static void put_hdr(uint64_t gpa, uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = {
		.type = htole32(type), .ioprio = htole32(7), .sector = htole64(sector),
	};

	memcpy(gp(gpa), &h, sizeof(h));
}

static void put_range(uint64_t gpa, uint64_t sector, uint32_t n, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes s = {
		.sector = htole64(sector), .num_sectors = htole32(n), .flags = htole32(flags),
	};

	memcpy(gp(gpa), &s, sizeof(s));
}

static void kick(void)
{
	blk_backend.kick(&d, 0);
}

/* Kick and check one more chain was returned, @head; status at @status. */
static uint8_t serve_at(uint16_t head, uint64_t status)
{
	uint16_t before = used_idx();

	*bytes(status) = 0xee;
	kick();
	ck_assert_uint_eq(used_idx(), (uint16_t)(before + 1));
	ck_assert_uint_eq(used_head(), head);
	ck_assert_int_eq(resets, 0);
	return *bytes(status);
}

/* The usual request: header, one data segment (device-@w), status. */
static uint8_t request(uint32_t type, uint64_t sector, uint64_t data, uint32_t len, int w)
{
	put_hdr(HDRS, type, sector);
	CHAIN(0, { HDRS, HDR, R }, { data, len, w }, { STAT, 1, W });
	return serve_at(0, STAT);
}

/* A header and a status only (FLUSH, unknown types). */
static uint8_t request0(uint32_t type)
{
	put_hdr(HDRS, type, 0);
	CHAIN(0, { HDRS, HDR, R }, { STAT, 1, W });
	return serve_at(0, STAT);
}

static uint8_t range(uint32_t type, uint64_t sector, uint32_t n, uint32_t flags)
{
	put_range(DATA, sector, n, flags);
	return request(type, 0, DATA, sizeof(struct virtio_blk_discard_write_zeroes), R);
}

/* ---- Configuration ---- */

START_TEST(config_contents)
{
	struct virtio_blk_config c;
	uint8_t buf[sizeof(c)];

	ck_assert_uint_ge(blk_backend.config_size,
			  offsetof(struct virtio_blk_config, write_zeroes_may_unmap) + 1);
	ck_assert_uint_le(blk_backend.config_size, sizeof(c));
	memset(buf, 0xaa, sizeof(buf));
	blk_backend.config(&d, buf);
	memcpy(&c, buf, sizeof(c));
	ck_assert_uint_eq(le64toh(c.capacity), SECTORS);
	ck_assert_uint_eq(blk_capacity(b), SECTORS);
	ck_assert_uint_eq(le32toh(c.seg_max), 254);
	ck_assert_uint_eq(le32toh(c.blk_size), 512);
	ck_assert_uint_eq(le32toh(c.size_max), 0);
	ck_assert_uint_eq(le32toh(c.max_discard_sectors), BLK_MAX_RANGE_SECTORS);
	ck_assert_uint_eq(le32toh(c.max_discard_seg), 1);
	ck_assert_uint_eq(le32toh(c.discard_sector_alignment), 1);
	ck_assert_uint_eq(le32toh(c.max_write_zeroes_sectors), BLK_MAX_RANGE_SECTORS);
	ck_assert_uint_eq(le32toh(c.max_write_zeroes_seg), 1);
}
END_TEST

START_TEST(features_read_write)
{
	const struct virtio_backend *be = blk_backend_of(b);
	const uint64_t want = F(VIRTIO_BLK_F_SEG_MAX) | F(VIRTIO_BLK_F_BLK_SIZE) |
			      F(VIRTIO_BLK_F_FLUSH) | F(VIRTIO_RING_F_EVENT_IDX) |
			      F(VIRTIO_RING_F_INDIRECT_DESC) | F(VIRTIO_BLK_F_DISCARD) |
			      F(VIRTIO_BLK_F_WRITE_ZEROES);

	ck_assert_uint_eq(be->features, want);
	ck_assert_uint_eq(blk_backend.features & F(VIRTIO_BLK_F_RO), 0);
	ck_assert_uint_eq(be->device_id, VIRTIO_ID_BLOCK);
	ck_assert_uint_eq(be->nqueues, 1);
	ck_assert_uint_eq(be->queue_max, 256);
	ck_assert_ptr_eq(be->kick, blk_backend.kick);
	ck_assert_ptr_eq(be->config, blk_backend.config);
	ck_assert_uint_eq(be->config_size, blk_backend.config_size);
}
END_TEST

START_TEST(features_read_only)
{
	struct virtio_blk_config c;
	uint8_t buf[sizeof(c)];
	uint64_t f;

	reopen(1);
	f = blk_backend_of(b)->features;
	ck_assert_uint_ne(f & F(VIRTIO_BLK_F_RO), 0);
	ck_assert_uint_ne(f & F(VIRTIO_BLK_F_FLUSH), 0);
	ck_assert_uint_eq(f & (F(VIRTIO_BLK_F_DISCARD) | F(VIRTIO_BLK_F_WRITE_ZEROES)), 0);
	memset(buf, 0xaa, sizeof(buf));
	blk_backend.config(&d, buf);
	memcpy(&c, buf, sizeof(c));
	ck_assert_uint_eq(le64toh(c.capacity), SECTORS);
	ck_assert_uint_eq(le32toh(c.max_discard_sectors), 0);
	ck_assert_uint_eq(le32toh(c.max_write_zeroes_sectors), 0);
}
END_TEST

/* ---- Reads and writes ---- */

START_TEST(write_read_back)
{
	fill(DATA, 1024, 1);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 3, DATA, 1024, R), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(), 1);
	assert_file(3 * SEC, DATA, 1024);
	memset(gp(DATA2), 0, 1024);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 3, DATA2, 1024, W), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(), 1025);
	ck_assert_mem_eq(gp(DATA2), gp(DATA), 1024);
	ck_assert_int_eq(interrupts, 2);
}
END_TEST

START_TEST(header_split)
{
	uint8_t h[HDR];

	/* 5 + 11 bytes, in two places. */
	put_hdr(HDRS, VIRTIO_BLK_T_OUT, 7);
	memcpy(h, gp(HDRS), HDR);
	memcpy(gp(HDRS + 0x100), h + 5, HDR - 5);
	fill(DATA, SEC, 2);
	CHAIN(0, { HDRS, 5, R }, { HDRS + 0x100, HDR - 5, R }, { DATA, SEC, R }, { STAT, 1, W });
	ck_assert_uint_eq(serve_at(0, STAT), VIRTIO_BLK_S_OK);
	assert_file(7 * SEC, DATA, SEC);
	/* 1 + 15, the second part sharing its segment with nothing else. */
	put_hdr(HDRS, VIRTIO_BLK_T_IN, 7);
	memcpy(h, gp(HDRS), HDR);
	memcpy(gp(HDRS + 0x200), h + 1, HDR - 1);
	CHAIN(0, { HDRS, 1, R }, { HDRS + 0x200, HDR - 1, R }, { DATA2, SEC, W }, { STAT, 1, W });
	ck_assert_uint_eq(serve_at(0, STAT), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(), SEC + 1);
	ck_assert_mem_eq(gp(DATA2), gp(DATA), SEC);
}
END_TEST

START_TEST(header_with_data)
{
	/* Header and data in one readable segment. */
	put_hdr(DATA, VIRTIO_BLK_T_OUT, 9);
	fill(DATA + HDR, 2 * SEC, 3);
	CHAIN(0, { DATA, HDR + 2 * SEC, R }, { STAT, 1, W });
	ck_assert_uint_eq(serve_at(0, STAT), VIRTIO_BLK_S_OK);
	assert_file(9 * SEC, DATA + HDR, 2 * SEC);
	/* Data and status in one writable segment. */
	put_hdr(HDRS, VIRTIO_BLK_T_IN, 9);
	CHAIN(0, { HDRS, HDR, R }, { DATA2, 2 * SEC + 1, W });
	ck_assert_uint_eq(serve_at(0, DATA2 + 2 * SEC), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(), 2 * SEC + 1);
	ck_assert_mem_eq(gp(DATA2), gp(DATA + HDR), 2 * SEC);
	/* Header and the first sector in one segment, the second in another. */
	put_hdr(DATA, VIRTIO_BLK_T_OUT, 12);
	fill(DATA + HDR, SEC, 4);
	fill(DATA2, SEC, 5);
	CHAIN(0, { DATA, HDR + SEC, R }, { DATA2, SEC, R }, { STAT, 1, W });
	ck_assert_uint_eq(serve_at(0, STAT), VIRTIO_BLK_S_OK);
	assert_file(12 * SEC, DATA + HDR, SEC);
	assert_file(13 * SEC, DATA2, SEC);
}
END_TEST

START_TEST(multi_segment)
{
	fill(DATA, 3 * SEC, 4);
	put_hdr(HDRS, VIRTIO_BLK_T_OUT, 10);
	/* 100 + 412 + 1000 + 24 bytes, one of them empty, out of order. */
	memcpy(gp(DATA2 + 0x3000), gp(DATA), 100);
	memcpy(gp(DATA2 + 0x1000), gp(DATA + 100), 412);
	memcpy(gp(DATA2), gp(DATA + 512), 1000);
	memcpy(gp(DATA2 + 0x2000), gp(DATA + 1512), 24);
	CHAIN(0, { HDRS, HDR, R }, { DATA2 + 0x3000, 100, R }, { DATA2 + 0x1000, 412, R },
	      { DATA2 + 0x5000, 0, R }, { DATA2, 1000, R }, { DATA2 + 0x2000, 24, R },
	      { STAT, 1, W });
	ck_assert_uint_eq(serve_at(0, STAT), VIRTIO_BLK_S_OK);
	assert_file(10 * SEC, DATA, 3 * SEC);
	/* Read it back in 700 + 300 + 536 (with the status) bytes. */
	memset(gp(DATA2), 0, 0x8000);
	put_hdr(HDRS, VIRTIO_BLK_T_IN, 10);
	CHAIN(0, { HDRS, HDR, R }, { DATA2 + 0x4000, 700, W }, { DATA2, 300, W },
	      { DATA2 + 0x2000, 537, W });
	ck_assert_uint_eq(serve_at(0, DATA2 + 0x2000 + 536), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(), 3 * SEC + 1);
	ck_assert_mem_eq(gp(DATA2 + 0x4000), gp(DATA), 700);
	ck_assert_mem_eq(gp(DATA2), gp(DATA + 700), 300);
	ck_assert_mem_eq(gp(DATA2 + 0x2000), gp(DATA + 1000), 536);
}
END_TEST

START_TEST(indirect_request)
{
	fill(DATA, SEC, 5);
	put_hdr(HDRS, VIRTIO_BLK_T_OUT, 11);
	put_chain(TABLE, 0, SEGS({ HDRS, HDR, R }, { DATA, SEC, R }, { STAT, 1, W }), 3);
	put_desc(DESC, 2, TABLE, 3 * sizeof(struct vring_desc), VRING_DESC_F_INDIRECT, 0);
	offer(2);
	ck_assert_uint_eq(serve_at(2, STAT), VIRTIO_BLK_S_OK);
	assert_file(11 * SEC, DATA, SEC);
}
END_TEST

START_TEST(beyond_capacity)
{
	uint8_t *before = unit_alloc(SECTORS * SEC);
	struct stat st;

	file_io(0, before, SECTORS * SEC, 0);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, SECTORS, DATA, SEC, W), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(used_len(), 1);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, SECTORS - 1, DATA, 2 * SEC, W),
			  VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, ~0ull, DATA, SEC, W), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, ~0ull >> 9, DATA, SEC, W), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, SECTORS, DATA, SEC, R), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, SECTORS - 1, DATA, 2 * SEC, R),
			  VIRTIO_BLK_S_IOERR);
	/* The last sector is fine. */
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, SECTORS - 1, DATA, SEC, W), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(), SEC + 1);
	/* The file neither grew nor changed. */
	file_io(0, gp(DATA2), SECTORS * SEC, 0);
	ck_assert_mem_eq(gp(DATA2), before, SECTORS * SEC);
	ck_assert_int_eq(stat(disk, &st), 0);
	ck_assert_int_eq(st.st_size, SECTORS * SEC);
	free(before);
}
END_TEST

START_TEST(partial_sector)
{
	memset(gp(DATA), 0x77, SEC);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 0, DATA, 100, R), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 0, DATA, SEC + 1, W), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(used_len(), 1);
	file_io(0, gp(DATA2), SEC, 0);
	ck_assert_uint_eq(bytes(DATA2)[0], 0);
	ck_assert_uint_eq(bytes(DATA2)[99], 0);
}
END_TEST

START_TEST(read_only)
{
	fill(DATA2, SEC, 6);
	file_io(0, gp(DATA2), SEC, 1);
	reopen(1);
	fill(DATA2, SEC, 6);		/* reopen cleared RAM */
	memset(gp(DATA), 0, SEC);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 0, DATA, SEC, R), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(used_len(), 1);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_WRITE_ZEROES, 0, 1, 0), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_DISCARD, 0, 1, 0), VIRTIO_BLK_S_IOERR);
	assert_file(0, DATA2, SEC);
	/* Reads still work, and so does FLUSH. */
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 0, DATA, SEC, W), VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(gp(DATA), gp(DATA2), SEC);
	ck_assert_uint_eq(request0(VIRTIO_BLK_T_FLUSH), VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(read_past_eof)
{
	/* Someone shrank the file under us: reads there give zeros. */
	ck_assert_int_eq(truncate(disk, 4 * SEC), 0);
	memset(gp(DATA), 0x55, 2 * SEC);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 3, DATA, 2 * SEC, W), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(), 2 * SEC + 1);
	ck_assert_uint_eq(bytes(DATA)[0], 0);
	ck_assert_uint_eq(bytes(DATA)[SEC], 0);
	ck_assert_uint_eq(bytes(DATA)[2 * SEC - 1], 0);
}
END_TEST

/* ---- Other requests ---- */

START_TEST(flush)
{
	fill(DATA, SEC, 7);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 20, DATA, SEC, R), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(request0(VIRTIO_BLK_T_FLUSH), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(), 1);
	assert_file(20 * SEC, DATA, SEC);
}
END_TEST

START_TEST(get_id)
{
	char id[VIRTIO_BLK_ID_BYTES];

	memset(gp(DATA), 0xff, 64);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_GET_ID, 0, DATA, VIRTIO_BLK_ID_BYTES, W),
			  VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(), VIRTIO_BLK_ID_BYTES + 1);
	memcpy(id, gp(DATA), sizeof(id));
	ck_assert_mem_eq(id, "itsy-", 5);
	ck_assert_uint_eq(strnlen(id, sizeof(id)), 13);
	for (unsigned i = 13; i < sizeof(id); i++)
		ck_assert_uint_eq(id[i], 0);
	ck_assert_uint_eq(bytes(DATA)[VIRTIO_BLK_ID_BYTES], 0xff);
	/* The same disk path gives the same id. */
	reopen(0);
	memset(gp(DATA), 0xff, 64);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_GET_ID, 0, DATA, 8, W), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(), 9);
	ck_assert_mem_eq(gp(DATA), id, 8);
	ck_assert_uint_eq(bytes(DATA)[8], 0xff);
}
END_TEST

START_TEST(unknown_type)
{
	ck_assert_uint_eq(request0(99), VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(used_len(), 1);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_SCSI_CMD, 0, DATA, SEC, R), VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(request0(VIRTIO_BLK_T_IN | VIRTIO_BLK_T_BARRIER), VIRTIO_BLK_S_UNSUPP);
}
END_TEST

START_TEST(discard)
{
	fill(DATA, 4 * SEC, 8);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 20, DATA, 4 * SEC, R), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_DISCARD, 20, 4, 0), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(), 1);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_DISCARD, 0, 0, 0), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_DISCARD, SECTORS - 1, 2, 0), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_DISCARD, ~0ull, 2, 0), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_DISCARD, 0, 1, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP),
			  VIRTIO_BLK_S_UNSUPP);
	/* Two ranges: more than max_discard_seg. */
	put_range(DATA, 0, 1, 0);
	put_range(DATA + 16, 2, 1, 0);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_DISCARD, 0, DATA, 32, R), VIRTIO_BLK_S_IOERR);
	/* No range at all. */
	ck_assert_uint_eq(request(VIRTIO_BLK_T_DISCARD, 0, DATA, 0, R), VIRTIO_BLK_S_IOERR);
}
END_TEST

/* While a migration moves the disk, what the guest changes is marked
 * (a sector per bit here), what it reads is not; once stopped, nothing. */
START_TEST(log_disk_marks_changes)
{
	const struct virtio_backend *be = blk_backend_of(b);
	struct disk_log log;
	unsigned long got[2] = { 0 };

	ck_assert_int_eq(be->log_disk(&d, &log), 0);
	ck_assert_uint_eq(log.size, SECTORS * SEC);
	disk_log_free(&log);
	ck_assert_int_eq(disk_log_init(&log, log.fd, SECTORS * SEC, 9), 0);
	fill(DATA, 2 * SEC, 3);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 4, DATA, 2 * SEC, R), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 40, DATA2, SEC, W), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_DISCARD, 10, 1, 0), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_WRITE_ZEROES, 20, 2, 0), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(request0(VIRTIO_BLK_T_FLUSH), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(disk_log_take(&log, got), 5);
	ck_assert_uint_eq(got[0], (3ul << 4) | (1ul << 10) | (3ul << 20));
	ck_assert_uint_eq(got[1], 0);
	ck_assert_int_eq(be->log_disk(&d, NULL), 0);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 60, DATA, SEC, R), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(disk_log_take(&log, got), 0);
	disk_log_free(&log);
}
END_TEST

/* Sectors 30 and 33 keep their data, 31 and 32 read back zero. */
static void check_zeroed(void)
{
	memset(gp(DATA2), 0xcc, 4 * SEC);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 30, DATA2, 4 * SEC, W), VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(gp(DATA2), gp(DATA), SEC);
	ck_assert_mem_eq(gp(DATA2 + 3 * SEC), gp(DATA + 3 * SEC), SEC);
	memset(gp(DATA + SEC), 0, 2 * SEC);
	ck_assert_mem_eq(gp(DATA2 + SEC), gp(DATA + SEC), 2 * SEC);
	assert_file(30 * SEC, DATA, 4 * SEC);
}

START_TEST(write_zeroes)
{
	for (uint32_t flags = 0; flags <= VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP; flags++) {
		fill(DATA, 4 * SEC, 9 + flags);
		ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 30, DATA, 4 * SEC, R), VIRTIO_BLK_S_OK);
		fill(DATA, 4 * SEC, 9 + flags);
		ck_assert_uint_eq(range(VIRTIO_BLK_T_WRITE_ZEROES, 31, 2, flags), VIRTIO_BLK_S_OK);
		ck_assert_uint_eq(used_len(), 1);
		fill(DATA, 4 * SEC, 9 + flags);
		check_zeroed();
	}
	ck_assert_uint_eq(range(VIRTIO_BLK_T_WRITE_ZEROES, SECTORS, 1, 0), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_WRITE_ZEROES, 0, BLK_MAX_RANGE_SECTORS + 1, 0),
			  VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_WRITE_ZEROES, 0, 1, 2), VIRTIO_BLK_S_UNSUPP);
}
END_TEST

START_TEST(large_disk)
{
	const uint64_t sectors = 2ull * BLK_MAX_RANGE_SECTORS;	/* 2 GiB, sparse */

	dev_close();
	ck_assert_int_eq(truncate(disk, sectors * SEC), 0);
	dev_open(0);
	ck_assert_uint_eq(blk_capacity(b), sectors);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_DISCARD, 0, BLK_MAX_RANGE_SECTORS + 1, 0),
			  VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_WRITE_ZEROES, 0, BLK_MAX_RANGE_SECTORS + 1, 0),
			  VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_DISCARD, 0, BLK_MAX_RANGE_SECTORS, 0),
			  VIRTIO_BLK_S_OK);
	/* Zeroes over more than one 64 KiB chunk of the fallback. */
	fill(DATA2, SEC, 11);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 130, DATA2, SEC, R), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(range(VIRTIO_BLK_T_WRITE_ZEROES, 0, 200, 0), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 130, DATA2, SEC, W), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(bytes(DATA2)[0], 0);
	ck_assert_uint_eq(bytes(DATA2)[SEC - 1], 0);
}
END_TEST

/* ---- Bad chains ---- */

START_TEST(malformed_with_status)
{
	memset(gp(DATA), 0x33, SEC);
	/* Header too short, even by one byte. */
	put_hdr(HDRS, VIRTIO_BLK_T_FLUSH, 0);
	CHAIN(0, { HDRS, HDR - 1, R }, { STAT, 1, W });
	ck_assert_uint_eq(serve_at(0, STAT), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(used_len(), 1);
	/* No header at all. */
	CHAIN(0, { DATA2, SEC, W }, { STAT, 1, W });
	ck_assert_uint_eq(serve_at(0, STAT), VIRTIO_BLK_S_IOERR);
	/* IN with readable data, OUT with writable data, GET_ID with readable. */
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 0, DATA, SEC, R), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 0, DATA, SEC, W), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(used_len(), 1);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_GET_ID, 0, DATA, 20, R), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(bytes(DATA)[0], 0x33);	/* nothing read into it */
	file_io(0, gp(DATA2), SEC, 0);
	ck_assert_uint_eq(bytes(DATA2)[0], 0);		/* nothing written */
}
END_TEST

START_TEST(no_status_byte)
{
	put_hdr(HDRS, VIRTIO_BLK_T_OUT, 0);
	memset(gp(DATA), 0x44, SEC);
	CHAIN(0, { HDRS, HDR, R }, { DATA, SEC, R });
	put_hdr(HDRS + HDR, VIRTIO_BLK_T_FLUSH, 0);
	CHAIN(4, { HDRS + HDR, HDR, R }, { STAT, 1, W });
	kick();
	ck_assert_int_eq(resets, 1);
	ck_assert_uint_eq(used_idx(), 0);	/* and the device stopped there */
	ck_assert_int_eq(interrupts, 0);
	/* The write was not done either. */
	file_io(0, gp(DATA2), SEC, 0);
	ck_assert_uint_eq(bytes(DATA2)[0], 0);
}
END_TEST

START_TEST(looping_chain)
{
	put_desc(DESC, 0, HDRS, HDR, VRING_DESC_F_NEXT, 1);
	put_desc(DESC, 1, STAT, 1, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 0);
	offer(0);
	kick();
	ck_assert_int_eq(resets, 1);
	ck_assert_uint_eq(used_idx(), 0);
	ck_assert_int_eq(interrupts, 0);
	kick();					/* the queue stays broken */
	ck_assert_int_eq(resets, 2);
}
END_TEST

/* ---- Queue handling ---- */

START_TEST(batch_one_interrupt)
{
	fill(DATA, SEC, 10);
	for (uint16_t i = 0; i < 3; i++) {
		put_hdr(HDRS + i * HDR, VIRTIO_BLK_T_OUT, 40 + i);
		*bytes(STAT + i) = 0xee;
		CHAIN(4 * i, { HDRS + i * HDR, HDR, R }, { DATA, SEC, R }, { STAT + i, 1, W });
	}
	kick();
	ck_assert_uint_eq(used_idx(), 3);
	for (uint16_t i = 0; i < 3; i++) {
		ck_assert_uint_eq(le32toh(used()->ring[i].id), 4 * i);
		ck_assert_uint_eq(*bytes(STAT + i), VIRTIO_BLK_S_OK);
		assert_file((40 + i) * SEC, DATA, SEC);
	}
	ck_assert_int_eq(interrupts, 1);
	/* The driver asks for no interrupts. */
	avail()->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	ck_assert_uint_eq(request0(VIRTIO_BLK_T_FLUSH), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(interrupts, 1);
	/* Nothing to do: no interrupt either. */
	avail()->flags = 0;
	kick();
	ck_assert_int_eq(interrupts, 1);
	ck_assert_int_eq(resets, 0);
}
END_TEST

/* One kick: writes, a FLUSH among them, then reads; each gets its status
 * and the used ring gives them back in the order they were offered. */
START_TEST(mixed_batch_in_order)
{
	static const uint32_t type[] = { VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
					 VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_IN };
	const uint16_t n = sizeof(type) / sizeof(type[0]);
	uint16_t head[sizeof(type) / sizeof(type[0])], next = 0;

	fill(DATA, 3 * SEC, 21);
	fill(DATA + 3 * SEC, SEC, 22);
	file_io(90 * SEC, bytes(DATA + 3 * SEC), SEC, 1);
	memset(bytes(DATA + 3 * SEC), 0, SEC);
	for (uint16_t i = 0; i < n; i++) {
		int in = type[i] == VIRTIO_BLK_T_IN;

		head[i] = next;
		put_hdr(HDRS + i * HDR, type[i], in ? 90 : 60 + i);
		*bytes(STAT + i) = 0xee;
		if (type[i] == VIRTIO_BLK_T_FLUSH) {
			CHAIN(next, { HDRS + i * HDR, HDR, R }, { STAT + i, 1, W });
			next += 2;
		} else {
			CHAIN(next, { HDRS + i * HDR, HDR, R },
			      { DATA + (i < 2 ? i : i - 1) * SEC, SEC, in }, { STAT + i, 1, W });
			next += 3;
		}
	}
	kick();
	ck_assert_uint_eq(used_idx(), n);
	for (uint16_t i = 0; i < n; i++) {
		ck_assert_uint_eq(le32toh(used()->ring[i].id), head[i]);
		ck_assert_uint_eq(le32toh(used()->ring[i].len), type[i] == VIRTIO_BLK_T_IN ? SEC + 1 : 1);
		ck_assert_uint_eq(*bytes(STAT + i), VIRTIO_BLK_S_OK);
	}
	assert_file(60 * SEC, DATA, 2 * SEC);
	assert_file(63 * SEC, DATA + 2 * SEC, SEC);
	assert_file(90 * SEC, DATA + 3 * SEC, SEC);
	ck_assert_int_eq(interrupts, 1);
	ck_assert_int_eq(resets, 0);
}
END_TEST

START_TEST(event_idx)
{
	__virtio16 *used_event = &avail()->ring[QSZ];

	ck_assert_int_eq(virtq_init(&d.vq[0], &mem, QSZ, DESC, AVAIL, USED, 1), 0);
	*used_event = htole16(1);		/* interrupt after the second */
	ck_assert_uint_eq(request0(VIRTIO_BLK_T_FLUSH), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(interrupts, 0);
	ck_assert_uint_eq(request0(VIRTIO_BLK_T_FLUSH), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(interrupts, 1);
}
END_TEST

/* ---- Opening ---- */

static int try_open(const char *path, int readonly, char *err, size_t len)
{
	struct blk *other = NULL;
	int rc = blk_open(path, readonly, &other, err, len);

	blk_close(other);
	return rc;
}

START_TEST(open_missing)
{
	char err[256], path[128], want[256];

	snprintf(path, sizeof(path), "%s/missing.img", dir);
	ck_assert_int_eq(try_open(path, 0, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "disk '%s': No such file or directory", path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(try_open(path, 1, err, sizeof(err)), -ENOENT);
}
END_TEST

START_TEST(open_directory)
{
	char err[256], want[256];

	ck_assert_int_eq(try_open(dir, 0, err, sizeof(err)), -EISDIR);
	snprintf(want, sizeof(want), "disk '%s': Is a directory", dir);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(try_open(dir, 1, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "disk '%s': not a regular file or block device", dir);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(open_odd_size)
{
	char err[256], path[128], want[256];

	snprintf(path, sizeof(path), "%s/odd.img", dir);
	make_file(path, 1000);
	ck_assert_int_eq(try_open(path, 0, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "disk '%s': size 1000 is not a multiple of 512 bytes", path);
	ck_assert_str_eq(err, want);
	make_file(path, 1024);
	ck_assert_int_eq(try_open(path, 0, err, sizeof(err)), 0);
}
END_TEST

START_TEST(open_locked)
{
	char err[256], want[256];

	snprintf(want, sizeof(want), "disk '%s': in use by another process (locked)", disk);
	ck_assert_int_eq(try_open(disk, 0, err, sizeof(err)), -EBUSY);
	ck_assert_str_eq(err, want);
	err[0] = 0;
	ck_assert_int_eq(try_open(disk, 1, err, sizeof(err)), -EBUSY);
	ck_assert_str_eq(err, want);
	/* Read-only opens share; a writer still cannot come in. */
	reopen(1);
	ck_assert_int_eq(try_open(disk, 1, err, sizeof(err)), 0);
	ck_assert_int_eq(try_open(disk, 0, err, sizeof(err)), -EBUSY);
	/* Closed: free again. */
	dev_close();
	ck_assert_int_eq(try_open(disk, 0, err, sizeof(err)), 0);
	dev_open(0);
}
END_TEST

START_TEST(open_small_err_buffer)
{
	char err[8];

	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(try_open(dir, 0, err, sizeof(err)), -EISDIR);
	ck_assert_str_eq(err, "disk '/");
	ck_assert_int_eq(try_open(dir, 0, NULL, 0), -EISDIR);
}
END_TEST

/* The test cases, with @setup_fn as their fixture; @sfx ends their names
 * (@set: 0 or 1, which of the two calls). */
static void add_cases(Suite *s, unsigned set, const char *sfx, void (*setup_fn)(void))
{
	static char all[2][6][32];	/* Check keeps the names: one set per call */
	static const char *const base[] = { "config", "rw", "other", "bad", "queue", "open" };
	char (*names)[32] = all[set];
	TCase *tc[6];

	for (unsigned i = 0; i < 6; i++)
		snprintf(names[i], sizeof(names[i]), "%s%s", base[i], sfx);
	tc[0] = UNIT_TCASE(s, names[0], config_contents, features_read_write,
			   features_read_only);
	tc[1] = UNIT_TCASE(s, names[1], write_read_back, header_split, header_with_data,
			   multi_segment, indirect_request, beyond_capacity, partial_sector,
			   read_only, read_past_eof);
	tc[2] = UNIT_TCASE(s, names[2], flush, get_id, unknown_type, discard, log_disk_marks_changes,
			   write_zeroes,
			   large_disk);
	tc[3] = UNIT_TCASE(s, names[3], malformed_with_status, no_status_byte, looping_chain);
	tc[4] = UNIT_TCASE(s, names[4], batch_one_interrupt, mixed_batch_in_order, event_idx);
	tc[5] = UNIT_TCASE(s, names[5], open_missing, open_directory, open_odd_size, open_locked,
			   open_small_err_buffer);
	for (unsigned i = 0; i < 6; i++)
		tcase_add_checked_fixture(tc[i], setup_fn, teardown);
}

int main(void)
{
	Suite *s = suite_create("virtio_blk");

	add_cases(s, 0, "", setup);
	add_cases(s, 1, "-preadv", setup_no_uring);
	return unit_run(s);
}
