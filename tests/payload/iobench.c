/*
 * iobench: one I/O figure for scripts/bench-io, run the same way on the
 * emulated host (against the disk image) and in the guest (against the
 * virtio disk), so the two can be compared as a ratio.
 *
 *   iobench FILE MODE SPAN_MB SECONDS
 *     MODE: seqread | seqwrite   1 MiB blocks, prints MB/s
 *           randread | randwrite 4 KiB blocks at random offsets, prints IOPS
 *
 * I/O is O_DIRECT where the file allows it (not on tmpfs), within the first
 * SPAN_MB MiB of FILE, for about SECONDS. Writes end with fdatasync, inside
 * the timed part. Output: "iobench MODE VALUE UNIT direct|buffered".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct run {
	int fd, direct, write, random;
	size_t block;
	uint64_t blocks;	/* in the span */
	double seconds;
	uint8_t *buf;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int open_file(const char *path, struct run *r)
{
	int flags = r->write ? O_RDWR : O_RDONLY;

	r->fd = open(path, flags | O_DIRECT);
	r->direct = r->fd >= 0;
	if (r->fd < 0 && errno == EINVAL)
		r->fd = open(path, flags);
	return r->fd < 0 ? -errno : 0;
}

static int one_io(struct run *r, uint64_t index)
{
	off_t off = (off_t)(index * r->block);
	ssize_t n = r->write ? pwrite(r->fd, r->buf, r->block, off)
			     : pread(r->fd, r->buf, r->block, off);

	return n == (ssize_t)r->block ? 0 : -1;
}

/* Returns the operations done in about r->seconds, or -1 on an I/O error. */
static long long run_io(struct run *r, double *elapsed)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull, i = 0;
	double start = now();
	long long ops = 0;

	do {
		for (int k = 0; k < 16; k++, ops++) {
			uint64_t index = r->random ? next_random(&seed) % r->blocks : i++ % r->blocks;

			if (one_io(r, index))
				return -1;
		}
	} while (now() - start < r->seconds);
	if (r->write && fdatasync(r->fd))
		return -1;
	*elapsed = now() - start;
	return ops;
}

static int parse_mode(const char *m, struct run *r)
{
	static const char *const modes[] = { "seqread", "seqwrite", "randread", "randwrite" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(m, modes[i])) {
			r->write = i & 1;
			r->random = i >> 1;
			r->block = r->random ? 4096 : 1 << 20;
			return 0;
		}
	return -1;
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	double elapsed = 0;
	long long ops;

	if (argc != 5 || parse_mode(argv[2], &r) || atoi(argv[3]) <= 0 || atof(argv[4]) <= 0) {
		fprintf(stderr, "usage: iobench FILE seqread|seqwrite|randread|randwrite SPAN_MB SECONDS\n");
		return 2;
	}
	r.blocks = ((uint64_t)atoi(argv[3]) << 20) / r.block;
	r.seconds = atof(argv[4]);
	if (open_file(argv[1], &r) || posix_memalign((void **)&r.buf, 4096, r.block)) {
		fprintf(stderr, "iobench: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	memset(r.buf, 0xa5, r.block);
	ops = run_io(&r, &elapsed);
	if (ops < 0) {
		fprintf(stderr, "iobench: %s: I/O error: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (r.random)
		printf("iobench %s %.0f IOPS %s\n", argv[2], ops / elapsed, r.direct ? "direct" : "buffered");
	else
		printf("iobench %s %.1f MB/s %s\n", argv[2], ops * (double)r.block / elapsed / 1e6,
		       r.direct ? "direct" : "buffered");
	return 0;
}
