/*
 * iobench: one I/O figure for scripts/bench-io, run the same way on the
 * emulated host (against the disk image) and in the guest (against the
 * virtio disk), so the two can be compared as a ratio.
 *
 *   iobench FILE MODE SPAN_MB SECONDS [DEPTH]
 *     MODE: seqread | seqwrite   1 MiB blocks, prints MB/s
 *           randread | randwrite 4 KiB blocks at random offsets, prints IOPS
 *     DEPTH: requests in flight (threads, each with its own offsets),
 *           default 1; the MODE printed is then e.g. randread-qd32
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
#include <pthread.h>
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
	uint64_t seed;
	long long ops;		/* a thread's result */
	double elapsed;
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
	uint64_t seed = r->seed, i = 0;
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

static void *thread_io(void *arg)
{
	struct run *r = arg;

	r->ops = run_io(r, &r->elapsed);
	return NULL;
}

/* @depth copies of @r at once, each with its own buffer and offsets;
 * the operations of all, in *@elapsed (the longest). */
static long long run_depth(const struct run *r, int depth, double *elapsed)
{
	struct run t[64];
	pthread_t id[64];
	long long ops = 0;

	for (int i = 0; i < depth; i++) {
		t[i] = *r;
		t[i].seed = r->seed + 0x1000193ull * (uint64_t)i;
		if (posix_memalign((void **)&t[i].buf, 4096, r->block))
			return -1;
		memset(t[i].buf, 0xa5, r->block);
		if (pthread_create(&id[i], NULL, thread_io, &t[i]))
			return -1;
	}
	*elapsed = 0;
	for (int i = 0; i < depth; i++) {
		pthread_join(id[i], NULL);
		if (t[i].ops < 0)
			ops = -1;
		else if (ops >= 0)
			ops += t[i].ops;
		*elapsed = t[i].elapsed > *elapsed ? t[i].elapsed : *elapsed;
		free(t[i].buf);
	}
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
	struct run r = { .seed = 0x9e3779b97f4a7c15ull };
	int depth = argc == 6 ? atoi(argv[5]) : 1;
	double elapsed = 0;
	char mode[32];
	long long ops;

	if ((argc != 5 && argc != 6) || parse_mode(argv[2], &r) || atoi(argv[3]) <= 0 ||
	    atof(argv[4]) <= 0 || depth < 1 || depth > 64) {
		fprintf(stderr, "usage: iobench FILE seqread|seqwrite|randread|randwrite SPAN_MB SECONDS [DEPTH 1-64]\n");
		return 2;
	}
	r.blocks = ((uint64_t)atoi(argv[3]) << 20) / r.block;
	r.seconds = atof(argv[4]);
	if (open_file(argv[1], &r) || posix_memalign((void **)&r.buf, 4096, r.block)) {
		fprintf(stderr, "iobench: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	memset(r.buf, 0xa5, r.block);
	ops = depth > 1 ? run_depth(&r, depth, &elapsed) : run_io(&r, &elapsed);
	if (ops < 0) {
		fprintf(stderr, "iobench: %s: I/O error: %s\n", argv[1], strerror(errno));
		return 1;
	}
	snprintf(mode, sizeof(mode), depth > 1 ? "%s-qd%d" : "%s", argv[2], depth);
	if (r.random)
		printf("iobench %s %.0f IOPS %s\n", mode, ops / elapsed, r.direct ? "direct" : "buffered");
	else
		printf("iobench %s %.1f MB/s %s\n", mode, ops * (double)r.block / elapsed / 1e6,
		       r.direct ? "direct" : "buffered");
	return 0;
}
