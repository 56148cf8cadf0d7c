/* Throughput of the migration wire (migration/wire.c), natively: a sender
 * thread pushes WIRE_PAGES frames of WIRE_MAX_PAYLOAD bytes over a
 * socketpair to the receiving thread, with a secret (XChaCha20-Poly1305)
 * and without (clear, BLAKE2b tag), and the bare socket moving the same
 * bytes for scale. RUNS runs of each; prints every run and the median.
 * Built and run by scripts/bench-wire:  bench-wire [MIB]  (default 1024) */
#include "migration/wire.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RUNS	3
#define FRAME	WIRE_MAX_PAYLOAD

static const uint8_t secret[WIRE_KEY_LEN] = "itsy bench secret hash, 32 byte";

struct end {
	struct wire w;
	int fd;
	const uint8_t *secret;
	const uint8_t *data;
	unsigned frames;
	int rc;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void check(int rc, const char *what, const struct wire *w)
{
	if (rc) {
		fprintf(stderr, "bench-wire: %s: %s\n", what, w && w->err[0] ? w->err : strerror(-rc));
		exit(1);
	}
}

static void *dst_handshake(void *arg)
{
	struct end *e = arg;

	e->rc = wire_handshake(&e->w, 0, e->secret);
	return NULL;
}

static void *wire_sender(void *arg)
{
	struct end *e = arg;

	for (unsigned i = 0; i < e->frames && !e->rc; i++)
		e->rc = wire_send(&e->w, WIRE_PAGES, e->data, FRAME);
	return NULL;
}

/* Both wires on a new socketpair, handshaken with @sec (or none). */
static void pair_up(struct end *src, struct end *dst, const uint8_t *sec)
{
	int sp[2];
	pthread_t t;

	check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) ? -errno : 0, "socketpair", NULL);
	src->fd = sp[0];
	dst->fd = sp[1];
	src->secret = dst->secret = sec;
	check(wire_init(&src->w, sp[0], WIRE_IO_TIMEOUT_MS), "wire_init", &src->w);
	check(wire_init(&dst->w, sp[1], WIRE_IO_TIMEOUT_MS), "wire_init", &dst->w);
	check(pthread_create(&t, NULL, dst_handshake, dst), "pthread_create", NULL);
	check(wire_handshake(&src->w, 1, sec), "source handshake", &src->w);
	pthread_join(t, NULL);
	check(dst->rc, "destination handshake", &dst->w);
}

/* MB/s of one run through two wires, first frame sent to last received. */
static double run_wire(const uint8_t *sec, const uint8_t *data, unsigned frames)
{
	struct end src = { .data = data, .frames = frames }, dst = { 0 };
	const uint8_t *p;
	size_t len;
	uint8_t type;
	pthread_t t;
	double t0;

	pair_up(&src, &dst, sec);
	t0 = now_s();
	check(pthread_create(&t, NULL, wire_sender, &src), "pthread_create", NULL);
	for (unsigned i = 0; i < frames; i++) {
		check(wire_recv(&dst.w, &type, &p, &len), "receive", &dst.w);
		if (type != WIRE_PAGES || len != FRAME || p[len - 1] != data[len - 1])
			check(-EBADMSG, "a frame came out wrong", NULL);
	}
	t0 = now_s() - t0;
	pthread_join(t, NULL);
	check(src.rc, "send", &src.w);
	wire_free(&src.w);
	wire_free(&dst.w);
	close(src.fd);
	close(dst.fd);
	return (double)frames * FRAME / t0 / 1e6;
}

static void *raw_sender(void *arg)
{
	struct end *e = arg;

	for (unsigned i = 0; i < e->frames; i++)
		for (size_t off = 0; off < FRAME;) {
			ssize_t n = write(e->fd, e->data + off, FRAME - off);

			if (n <= 0)
				return NULL;
			off += (size_t)n;
		}
	return NULL;
}

/* MB/s of the bare socket moving the same bytes. */
static double run_raw(const uint8_t *sec, const uint8_t *data, unsigned frames)
{
	struct end src = { .data = data, .frames = frames };
	uint8_t *buf = malloc(FRAME);
	uint64_t left = (uint64_t)frames * FRAME;
	int sp[2];
	pthread_t t;
	double t0;

	(void)sec;
	check(!buf || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) ? -ENOMEM : 0, "setup", NULL);
	src.fd = sp[0];
	t0 = now_s();
	check(pthread_create(&t, NULL, raw_sender, &src), "pthread_create", NULL);
	while (left) {
		ssize_t n = read(sp[1], buf, left < FRAME ? left : FRAME);

		check(n <= 0 ? -EPIPE : 0, "read", NULL);
		left -= (uint64_t)n;
	}
	t0 = now_s() - t0;
	pthread_join(t, NULL);
	close(sp[0]);
	close(sp[1]);
	free(buf);
	return (double)frames * FRAME / t0 / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Print the runs of one mode; returns the median. */
static double mode_row(const char *name, double (*run)(const uint8_t *, const uint8_t *, unsigned),
		       const uint8_t *sec, const uint8_t *data, unsigned frames)
{
	double r[RUNS], s[RUNS];

	printf("%-30s", name);
	fflush(stdout);
	for (int i = 0; i < RUNS; i++) {
		r[i] = s[i] = run(sec, data, frames);
		printf(" %8.0f", r[i]);
		fflush(stdout);
	}
	qsort(s, RUNS, sizeof(s[0]), cmp_double);
	printf("   %8.0f\n", s[RUNS / 2]);
	return s[RUNS / 2];
}

int main(int argc, char **argv)
{
	unsigned mib = argc > 1 ? (unsigned)atoi(argv[1]) : 1024;
	unsigned frames = mib / (FRAME >> 20);
	uint8_t *data = malloc(FRAME);
	double raw, clear, sealed;

	if (!data || !frames) {
		fprintf(stderr, "usage: bench-wire [MIB, at least %u]\n", FRAME >> 20);
		return 2;
	}
	for (size_t i = 0; i < FRAME; i++)	/* not all zero: like guest pages */
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	printf("%u MiB in %u-MiB WIRE_PAGES frames over a socketpair, MB/s (10^6 bytes/s)\n",
	       frames * (FRAME >> 20), FRAME >> 20);
	printf("%-30s %8s %8s %8s   %8s\n", "mode", "run 1", "run 2", "run 3", "median");
	raw = mode_row("socket only (no wire)", run_raw, NULL, data, frames);
	clear = mode_row("insecure (BLAKE2b tag)", run_wire, NULL, data, frames);
	sealed = mode_row("secured (XChaCha20-Poly1305)", run_wire, secret, data, frames);
	printf("secured / insecure: %.2f    insecure / socket: %.2f    secured / socket: %.2f\n",
	       sealed / clear, clear / raw, sealed / raw);
	free(data);
	return 0;
}
