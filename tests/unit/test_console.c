/* The console's output side (vmm/console.c): guest output never blocks
 * the thread that queues it, whatever the terminal does, and nothing
 * queued is lost while the reader keeps up. */
#include "vmm/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/unit.h"

static int pfd[2];
static struct console *c;

static void setup(void)
{
	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	c = console_open(-1, pfd[1]);
	ck_assert_ptr_nonnull(c);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Offer output until neither the ring nor the pipe takes more: a write
 * that got nothing, after the writer thread had time to move what it
 * could into the pipe. Returns the bytes taken. */
static size_t fill_up(void)
{
	static uint8_t buf[64 << 10];
	size_t taken = 0, n;
	int idle = 0;

	memset(buf, 'x', sizeof(buf));
	while (idle < 3) {
		n = console_write(c, buf, sizeof(buf));
		taken += n;
		if (n)
			idle = 0;
		else if (++idle < 3)
			usleep(50000);
	}
	return taken;
}

/* Read from the pipe until @len bytes came (or 5 s passed). */
static size_t read_all(uint8_t *buf, size_t len)
{
	size_t got = 0;
	double until = now() + 5;

	while (got < len && now() < until) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) != 1)
			continue;
		n = read(pfd[0], buf + got, len - got);
		if (n > 0)
			got += n;
	}
	return got;
}

/* Bytes come out in order and whole. */
START_TEST(output_in_order)
{
	static uint8_t in[200000], out[200000];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 31 + 7);
	for (size_t off = 0; off < sizeof(in); off += 1000)
		ck_assert_uint_eq(console_write(c, in + off, 1000), 1000);
	ck_assert_uint_eq(read_all(out, sizeof(out)), sizeof(out));
	ck_assert_mem_eq(in, out, sizeof(in));
	console_close(c);
}
END_TEST

/* Nobody reads the terminal: writes and single bytes return at once, the
 * ring fills, the overflow is counted, and close gives up after a while. */
START_TEST(stopped_terminal_never_blocks)
{
	double t0 = now();
	size_t taken = fill_up();

	for (int i = 0; i < 100; i++)
		console_out(c, 'y');
	ck_assert_uint_ge(taken, CONSOLE_OUT_RING);
	ck_assert_uint_le(taken, CONSOLE_OUT_RING + (4u << 20));	/* ring + any pipe */
	ck_assert_uint_eq(console_dropped(c), 100);
	ck_assert_int_eq(console_has_room(c, 1), 0);
	ck_assert(now() - t0 < 5);
	t0 = now();
	console_close(c);
	ck_assert(now() - t0 < 5);
}
END_TEST

/* A drain returns once what was queued is in the pipe; on a stopped
 * terminal it gives up after the time it was given. */
START_TEST(drain_waits_for_the_writer)
{
	static uint8_t out[4096];
	int avail = 0;
	double t0;

	ck_assert_uint_eq(console_write(c, (const uint8_t *)"ITSY-TICK 7\n", 12), 12);
	ck_assert_int_eq(console_drain(c, 2000), 0);
	ck_assert_int_eq(ioctl(pfd[0], FIONREAD, &avail), 0);
	ck_assert_int_eq(avail, 12);		/* there without waiting */
	ck_assert_uint_eq(read_all(out, 12), 12);
	fill_up();
	t0 = now();
	ck_assert_int_eq(console_drain(c, 200), -ETIMEDOUT);
	ck_assert(now() - t0 >= 0.15 && now() - t0 < 2);
	ck_assert_int_eq(console_drain(NULL, 200), 0);
	console_close(c);
}
END_TEST

/* The room fd wakes a writer that was told there was no room. */
START_TEST(room_comes_back)
{
	static uint8_t sink[1 << 16];
	struct pollfd p = { .fd = console_room_fd(c), .events = POLLIN };
	uint64_t v;

	fill_up();	/* both the pipe and the ring are full */
	(void)!read(console_room_fd(c), &v, sizeof(v));	/* from the filling */
	ck_assert_int_eq(console_has_room(c, 4096), 0);
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	ck_assert_uint_gt(read(pfd[0], sink, sizeof(sink)), 0);
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("console");
	TCase *tc = UNIT_TCASE(s, "output", output_in_order, stopped_terminal_never_blocks,
			       room_comes_back, drain_waits_for_the_writer);

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	return unit_run(s);
}
