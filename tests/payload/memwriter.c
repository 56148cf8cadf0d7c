/*
 * memwriter: a guest workload for the live migration tests. It keeps a
 * known pattern in a block of RAM, dirties it at a steady rate and checks
 * all of it every second, so a page that a migration lost or carried in an
 * old version shows up as a mismatch on the destination.
 *
 *   memwriter MB RATE_MBPS
 *
 * MB MiB are allocated and every 4 KiB page is filled with a pattern made
 * from (page index, generation); the generation each page should have is
 * kept in a separate array (4 bytes a page). Then, forever:
 *  - pages picked at random are rewritten with their next generation, about
 *    RATE_MBPS MiB a second (0: nothing is written after the fill); each
 *    page is checked just before it is rewritten;
 *  - once a second every page is checked against its expected pattern;
 *  - CLOCK_MONOTONIC and CLOCK_REALTIME are sampled at every step and must
 *    never go backwards.
 *
 * Output, one line at a time, flushed at once:
 *   MEMWRITER ready mb=MB rate=R pages=P fill_ms=T
 *   COUNTER n                               every second, n = 1, 2, ...
 *   MEMCHK ok gen=N pages=P ms=T            N: page rewrites so far,
 *                                           T: how long the check took
 *   MEMCHK BAD page=X want_gen=G word=W want=0x.. got=0x.. bad_pages=K
 *   TIMEBACK monotonic|realtime delta=-NNN ns
 *   STALL ms=N                              the process did not run for
 *                                           more than 500 ms (e.g. paused)
 * A bad page is rewritten afterwards, so each BAD line is a new finding.
 * Exit status 2 on bad usage, 1 if memory cannot be had.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE		4096u
#define WORDS		(PAGE / sizeof(uint64_t))
#define TICK_NS		50000000L	/* 20 steps a second */
#define STALL_NS	500000000LL
#define MAX_MB		(64u * 1024)

static uint64_t *mem;
static uint32_t *gens;	/* the generation each page should hold */
static uint64_t npages, rewrites;
static int64_t last_mono, last_real;	/* the clocks' last samples */

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* The first word of a page; word i is seed ^ (i * the golden ratio). */
static uint64_t page_seed(uint64_t page, uint32_t gen)
{
	return mix64((page << 32 | gen) + 0x6d656d7772697465ULL);
}

static void fill_page(uint64_t page, uint32_t gen)
{
	uint64_t *p = mem + page * WORDS, seed = page_seed(page, gen);
	unsigned i;

	for (i = 0; i < WORDS; i++)
		p[i] = seed ^ (i * 0x9e3779b97f4a7c15ULL);
}

/* The index of the first wrong word of the page, or -1 if it is right. */
static int check_page(uint64_t page, uint64_t *want, uint64_t *got)
{
	const uint64_t *p = mem + page * WORDS;
	uint64_t seed = page_seed(page, gens[page]);
	unsigned i;

	for (i = 0; i < WORDS; i++) {
		uint64_t w = seed ^ (i * 0x9e3779b97f4a7c15ULL);

		if (p[i] != w) {
			*want = w;
			*got = p[i];
			return (int)i;
		}
	}
	return -1;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void check_clocks(void);

static void report_bad(uint64_t page, int word, uint64_t want, uint64_t got, uint64_t bad)
{
	say("MEMCHK BAD page=%llu want_gen=%u word=%d want=0x%016llx got=0x%016llx bad_pages=%llu",
	    (unsigned long long)page, gens[page], word, (unsigned long long)want,
	    (unsigned long long)got, (unsigned long long)bad);
}

/* Check every page; one line either way. */
static void check_all(void)
{
	int64_t t0 = clock_ns(CLOCK_MONOTONIC);
	uint64_t page, want = 0, got = 0, bad = 0, first = 0;
	int word, first_word = -1;
	uint64_t first_want = 0, first_got = 0;

	for (page = 0; page < npages; page++) {
		if (page % 256 == 0)
			check_clocks();
		word = check_page(page, &want, &got);
		if (word < 0)
			continue;
		if (!bad++) {
			first = page;
			first_word = word;
			first_want = want;
			first_got = got;
		}
		fill_page(page, gens[page]);	/* report each loss once */
	}
	if (bad)
		report_bad(first, first_word, first_want, first_got, bad);
	else
		say("MEMCHK ok gen=%llu pages=%llu ms=%lld", (unsigned long long)rewrites,
		    (unsigned long long)npages,
		    (long long)((clock_ns(CLOCK_MONOTONIC) - t0) / 1000000));
}

/* Check a page, then give it its next generation. */
static void rewrite(uint64_t page)
{
	uint64_t want, got;
	int word = check_page(page, &want, &got);

	if (word >= 0)
		report_bad(page, word, want, got, 1);
	gens[page]++;
	fill_page(page, gens[page]);
	rewrites++;
}

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Sample both clocks; complain if one went back since the last sample.
 * Samples are taken at least every 1 MiB of work, so a long gap between
 * two means the program did not run. */
static void check_clocks(void)
{
	int64_t m = clock_ns(CLOCK_MONOTONIC), r = clock_ns(CLOCK_REALTIME);

	if (m < last_mono)
		say("TIMEBACK monotonic delta=%lld ns", (long long)(m - last_mono));
	else if (m - last_mono > STALL_NS)
		say("STALL ms=%lld", (long long)((m - last_mono) / 1000000));
	if (r < last_real)
		say("TIMEBACK realtime delta=%lld ns", (long long)(r - last_real));
	last_mono = m;
	last_real = r;
}

static int parse(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned mb, rate;
	uint64_t page, seed = 0x2545f4914f6cdd1dULL, counter = 0, n;
	int64_t start, next_second, last;
	double debt = 0, pages_per_ns;

	if (argc != 3 || parse(argv[1], MAX_MB, &mb) || !mb || parse(argv[2], 100000, &rate)) {
		fprintf(stderr, "usage: memwriter MB RATE_MBPS  (1 <= MB <= %u)\n", MAX_MB);
		return 2;
	}
	npages = (uint64_t)mb * (1024 * 1024 / PAGE);
	mem = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gens = calloc(npages, sizeof(*gens));
	if (mem == MAP_FAILED || !gens) {
		say("MEMWRITER cannot allocate %u MiB", mb);
		return 1;
	}
	start = clock_ns(CLOCK_MONOTONIC);
	for (page = 0; page < npages; page++)
		fill_page(page, 0);
	last_mono = clock_ns(CLOCK_MONOTONIC);
	last_real = clock_ns(CLOCK_REALTIME);
	say("MEMWRITER ready mb=%u rate=%u pages=%llu fill_ms=%lld", mb, rate,
	    (unsigned long long)npages, (long long)((last_mono - start) / 1000000));
	pages_per_ns = rate * (1024.0 * 1024 / PAGE) / 1e9;
	next_second = last_mono + 1000000000LL;
	last = last_mono;
	for (;;) {
		int64_t now = clock_ns(CLOCK_MONOTONIC);

		/* Owe pages for the time that passed, at most a second's worth. */
		debt += (now - last) * pages_per_ns;
		if (debt > rate * (1024.0 * 1024 / PAGE))
			debt = rate * (1024.0 * 1024 / PAGE);
		last = now;
		for (n = 0; debt >= 1; n++, debt -= 1) {
			if (n % 256 == 0)
				check_clocks();
			rewrite(next_random(&seed) % npages);
		}
		check_clocks();
		if (last_mono >= next_second) {
			say("COUNTER %llu", (unsigned long long)++counter);
			check_all();
			check_clocks();
			next_second += 1000000000LL;
			if (next_second < last_mono)	/* fell behind (slow or paused) */
				next_second = last_mono + 1000000000LL;
		} else {
			struct timespec ts = { 0, TICK_NS };
			int64_t left = next_second - last_mono;

			if (left < TICK_NS)
				ts.tv_nsec = left;
			nanosleep(&ts, NULL);
		}
	}
}
