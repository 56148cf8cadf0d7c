/* Disks moved with a migration (vmm/disk_log.c, migration/disk_copy.c):
 * the source's passes run on real files and their frames are applied to a
 * destination's targets, which must then equal the source byte for byte;
 * hostile frames are built byte by byte from the layout in disk_copy.h. */
#include "migration/disk_copy.h"
#include "vmm/disk_log.h"
#include "vmm/le.h"
#include "vmm/regset.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#define DISK_SIZE	(4u << 20)	/* 64 chunks of 64 KiB */
#define CHUNK		(1u << DISK_LOG_SHIFT)

static char dir[] = "/tmp/itsy-disk-copy-XXXXXX";
static char src_path[64], dst_path[64];
static char err[512];
static struct disk_in in;
static unsigned frames;

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(src_path, sizeof(src_path), "%s/src.img", dir);
	snprintf(dst_path, sizeof(dst_path), "%s/dst.img", dir);
	memset(&in, 0, sizeof(in));
	frames = 0;
}

static void teardown(void)
{
	disk_in_abort(&in);
	unlink(src_path);
	unlink(dst_path);
	rmdir(dir);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

static void put(int fd, uint64_t off, uint8_t byte, size_t len)
{
	uint8_t b[CHUNK];

	memset(b, byte, len);
	ck_assert_int_eq(pwrite(fd, b, len, (off_t)off), (ssize_t)len);
}

/* A sparse source: data at 0, a chunk of zeros written out at 1 MiB,
 * data straddling two chunks at 2 MiB - 4 KiB, the rest holes. */
static int make_source(void)
{
	int fd = open(src_path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, DISK_SIZE), 0);
	put(fd, 0, 0xa1, 8192);
	put(fd, 1u << 20, 0, CHUNK);
	put(fd, (2u << 20) - 4096, 0xb2, 8192);
	return fd;
}

/* The frame goes straight to the destination, as receive.c does. */
static int to_dest(void *ctx, const uint8_t *p, size_t len)
{
	(void)ctx;
	frames++;
	ck_assert_uint_le(len, DISK_FRAME_BYTES + CHUNK + DISK_HDR_LEN + DISK_REC_LEN);
	return disk_in_apply(&in, p, len, err, sizeof(err));
}

static void open_dest(const struct disk_out *o)
{
	const char *paths[] = { dst_path };
	struct regset_list l = { 0 };
	const struct named_regset *s;

	ck_assert_int_eq(disk_out_describe(o, &l), 0);
	s = regset_list_find(&l, DISK_COPY_SECTION);
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(!disk_in_open(&in, &s->set, s->version, paths, 1, err, sizeof(err)), "%s", err);
	regset_list_free(&l);
}

static void start(struct disk_out *o, int fd)
{
	memset(o, 0, sizeof(*o));
	o->n = 1;
	ck_assert_int_eq(disk_log_init(&o->log[0], fd, DISK_SIZE, DISK_LOG_SHIFT), 0);
	ck_assert_int_eq(disk_out_init(o, to_dest, NULL), 0);
	open_dest(o);
}

static void stop(struct disk_out *o)
{
	disk_log_free(&o->log[0]);
	disk_out_free(o);
}

static void assert_equal_files(void)
{
	static uint8_t a[DISK_SIZE], b[DISK_SIZE];
	int fa = open(src_path, O_RDONLY), fb = open(dst_path, O_RDONLY);

	ck_assert_int_eq(pread(fa, a, DISK_SIZE, 0), DISK_SIZE);
	ck_assert_int_eq(pread(fb, b, DISK_SIZE, 0), DISK_SIZE);
	if (memcmp(a, b, DISK_SIZE))
		for (size_t i = 0; i < DISK_SIZE; i++)
			ck_assert_msg(a[i] == b[i], "byte %zu: source %u, destination %u", i, a[i],
				      b[i]);
	close(fa);
	close(fb);
}

START_TEST(log_marks_and_takes)
{
	struct disk_log l;
	unsigned long out[2] = { 0 };

	ck_assert_int_eq(disk_log_init(&l, -1, 10 * CHUNK + 512, DISK_LOG_SHIFT), 0);
	ck_assert_uint_eq(l.chunks, 11);
	disk_log_mark(&l, CHUNK - 512, 1024);		/* chunks 0 and 1 */
	disk_log_mark(&l, 10 * CHUNK, 1u << 30);	/* clipped: chunk 10 */
	disk_log_mark(&l, 11 * CHUNK, 512);		/* past the end: nothing */
	disk_log_mark(&l, 5 * CHUNK, 0);		/* empty: nothing */
	ck_assert_uint_eq(disk_log_take(&l, out), 3);
	ck_assert_uint_eq(out[0], (1ul << 0) | (1ul << 1) | (1ul << 10));
	ck_assert_uint_eq(disk_log_take(&l, out), 0);	/* taken: clear */
	disk_log_mark(&l, 0, 512);
	ck_assert_uint_eq(disk_log_take(&l, out), 0);	/* already in out */
	disk_log_free(&l);
	disk_log_free(&l);
	ck_assert_int_eq(disk_log_init(&l, -1, 1, 8), -EINVAL);
}
END_TEST

START_TEST(first_pass_copies_data_and_keeps_holes)
{
	struct disk_out o;
	struct stat st;
	int fd = make_source();

	start(&o, fd);
	ck_assert_msg(!disk_out_first(&o, err, sizeof(err)), "%s", err);
	assert_equal_files();
	/* 16 KiB of data read; the written-out zero chunk and holes are zero
	 * records, so the new file stays sparse */
	ck_assert_uint_eq(o.data_bytes, 16384);
	ck_assert_uint_eq(in.data_bytes, 16384);
	ck_assert_uint_eq(in.zero_bytes, DISK_SIZE - 16384);
	ck_assert_int_eq(stat(dst_path, &st), 0);
	ck_assert_int_le(st.st_blocks * 512, 256 * 1024);
	ck_assert_uint_ge(frames, 1);
	ck_assert_int_eq(disk_in_finish(&in, err, sizeof(err)), 0);
	ck_assert_int_eq(in.t[0].fd, -1);
	stop(&o);
	close(fd);
}
END_TEST

/* What the guest changes after a chunk went is sent again, zeroed or
 * discarded ranges included. */
START_TEST(later_passes_send_what_changed)
{
	struct disk_out o;
	int fd = make_source();

	start(&o, fd);
	ck_assert_int_eq(disk_out_first(&o, err, sizeof(err)), 0);
	put(fd, 3u << 20, 0xc3, 4096);
	disk_log_mark(&o.log[0], 3u << 20, 4096);
	ck_assert_int_eq(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, CHUNK), 0);
	disk_log_mark(&o.log[0], 0, CHUNK);
	ck_assert_uint_eq(disk_out_collect(&o), 2 * CHUNK);
	ck_assert_uint_eq(o.dirty_bytes, 2 * CHUNK);
	ck_assert_int_eq(disk_out_send(&o, err, sizeof(err)), 0);
	ck_assert_uint_eq(o.dirty_bytes, 0);
	assert_equal_files();
	/* nothing marked: nothing sent */
	frames = 0;
	ck_assert_uint_eq(disk_out_collect(&o), 0);
	ck_assert_int_eq(disk_out_send(&o, err, sizeof(err)), 0);
	ck_assert_uint_eq(frames, 0);
	stop(&o);
	close(fd);
}
END_TEST

/* Apply @p (@len bytes) to a fresh 1 MiB target; it must fail with
 * -EINVAL and write nothing. */
static void apply_bad(const uint8_t *p, size_t len, const char *what)
{
	struct stat st;

	ck_assert_int_eq(disk_in_apply(&in, p, len, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, what), "message '%s' lacks '%s'", err, what);
	ck_assert_int_eq(fstat(in.t[0].fd, &st), 0);
	ck_assert_int_eq(st.st_size, 1 << 20);
	ck_assert_int_eq(st.st_blocks, 0);
}

static size_t frame(uint8_t *b, uint32_t disk, uint32_t n, uint64_t off, uint64_t len,
		    uint32_t kind, uint32_t pad)
{
	le_put(b, disk, 4);
	le_put(b + 4, n, 4);
	le_put(b + 8, off, 8);
	le_put(b + 16, len, 8);
	le_put(b + 24, kind, 4);
	le_put(b + 28, pad, 4);
	return DISK_HDR_LEN + DISK_REC_LEN;
}

START_TEST(hostile_frames_write_nothing)
{
	static uint8_t b[DISK_HDR_LEN + DISK_REC_LEN + 8192];
	struct disk_out o = { .n = 1 };

	o.log[0].size = 1 << 20;
	open_dest(&o);
	apply_bad(b, 4, "frame of 4 bytes");
	frame(b, 1, 1, 0, 512, DISK_KIND_ZERO, 0);
	apply_bad(b, DISK_HDR_LEN + DISK_REC_LEN, "for disk 1");
	frame(b, 0, 1, 1 << 20, 512, DISK_KIND_DATA, 0);
	apply_bad(b, sizeof(b), "outside");
	frame(b, 0, 1, (1 << 20) - 512, 1024, DISK_KIND_DATA, 0);
	apply_bad(b, sizeof(b), "outside");
	frame(b, 0, 1, UINT64_MAX - 511, 1024, DISK_KIND_ZERO, 0);
	apply_bad(b, sizeof(b), "outside");
	frame(b, 0, 1, 100, 512, DISK_KIND_DATA, 0);
	apply_bad(b, sizeof(b), "outside");		/* unaligned */
	frame(b, 0, 1, 0, 0, DISK_KIND_ZERO, 0);
	apply_bad(b, sizeof(b), "outside");		/* empty */
	frame(b, 0, 1, 0, 8192 + 512, DISK_KIND_DATA, 0);
	apply_bad(b, sizeof(b), "past the frame's end");
	frame(b, 0, 1, 0, 512, 2, 0);
	apply_bad(b, sizeof(b), "bad disk record");
	frame(b, 0, 1, 0, 512, DISK_KIND_ZERO, 7);
	apply_bad(b, sizeof(b), "bad disk record");
	frame(b, 0, 2, 0, 512, DISK_KIND_ZERO, 0);
	apply_bad(b, DISK_HDR_LEN + DISK_REC_LEN, "ends after 1 of its 2");
	apply_bad(b, DISK_HDR_LEN + DISK_REC_LEN - 1, "cut short");	/* found by fuzz-wire */
	frame(b, 0, 1, 0, 512, DISK_KIND_ZERO, 0);
	apply_bad(b, DISK_HDR_LEN + DISK_REC_LEN + 3, "after its records");
	frame(b, 0, 1, 0, 512, DISK_KIND_DATA, 0);
	apply_bad(b, DISK_HDR_LEN + DISK_REC_LEN + 100, "past the frame's end");
	/* and a good one goes in */
	memset(b + DISK_HDR_LEN + DISK_REC_LEN, 0x5a, 512);
	ck_assert_int_eq(disk_in_apply(&in, b, DISK_HDR_LEN + DISK_REC_LEN + 512, err,
				       sizeof(err)), 0);
	ck_assert_uint_eq(in.data_bytes, 512);
}
END_TEST

static const char *const *one_disk(const char *path)
{
	static const char *paths[1];

	paths[0] = path;
	return paths;
}

static int open_with(const char *const *paths, uint64_t size, unsigned count)
{
	struct regset_list l = { 0 };
	struct regset *s = regset_list_add(&l, DISK_COPY_SECTION, DISK_COPY_VERSION);
	int rc;

	regset_put_uint(s, 1, count, 4);
	regset_put_uint(s, 0x100, size, 8);
	rc = disk_in_open(&in, s, DISK_COPY_VERSION, paths, 1, err, sizeof(err));
	regset_list_free(&l);
	return rc;
}

START_TEST(targets_checked_and_created_ones_removed)
{
	struct stat st;
	int fd;

	/* created, then removed on failure */
	ck_assert_int_eq(open_with(one_disk(dst_path), 1 << 20, 1), 0);
	ck_assert_int_eq(in.t[0].created, 1);
	ck_assert_int_eq(stat(dst_path, &st), 0);
	ck_assert_int_eq(st.st_size, 1 << 20);
	disk_in_abort(&in);
	ck_assert_int_eq(stat(dst_path, &st), -1);
	disk_in_abort(&in);	/* twice: nothing more */
	/* counts and sizes from the stream are checked */
	ck_assert_int_eq(open_with(one_disk(dst_path), 1 << 20, 2), -EINVAL);
	ck_assert_int_eq(open_with(one_disk(dst_path), 1000, 1), -EINVAL);
	ck_assert_int_eq(stat(dst_path, &st), -1);
	/* an existing file: its size must be the disk's, and it stays */
	fd = open(dst_path, O_RDWR | O_CREAT, 0600);
	ck_assert_int_eq(ftruncate(fd, 1 << 21), 0);
	ck_assert_int_eq(open_with(one_disk(dst_path), 1 << 20, 1), -EINVAL);
	ck_assert_msg(strstr(err, "has 2097152 bytes"), "%s", err);
	ck_assert_int_eq(open_with(one_disk(dst_path), 1 << 21, 1), 0);
	ck_assert_int_eq(in.t[0].created, 0);
	disk_in_abort(&in);
	ck_assert_int_eq(stat(dst_path, &st), 0);
	/* a disk in use (the source's own, on this host) is refused */
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	ck_assert_int_eq(open_with(one_disk(dst_path), 1 << 21, 1), -EBUSY);
	ck_assert_msg(strstr(err, "in use"), "%s", err);
	close(fd);
	/* a path in a missing directory */
	ck_assert_int_lt(open_with(one_disk("/nonexistent/dir/x.img"), 1 << 20, 1), 0);
	ck_assert_msg(strstr(err, "/nonexistent/dir/x.img"), "%s", err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("disk_copy");
	TCase *tc = UNIT_TCASE(s, "disk_copy", log_marks_and_takes,
			       first_pass_copies_data_and_keeps_holes,
			       later_passes_send_what_changed, hostile_frames_write_nothing,
			       targets_checked_and_created_ones_removed);

	tcase_add_checked_fixture(tc, setup, teardown);
	return unit_run(s);
}
