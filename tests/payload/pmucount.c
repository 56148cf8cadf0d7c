/*
 * pmucount: a guest workload for the PMU state tests. It counts the CPU
 * cycles it spends spinning, with a hardware event of the Arm PMU
 * (perf_event_open), so the count lives in a PMU counter that KVM
 * emulates and a snapshot or migration must carry. Once a second:
 *
 *   PMU n COUNT DELTA     n = 1, 2, ...; COUNT the event's total so far,
 *                         DELTA what it grew by since the line before
 *
 * A counter whose state was lost shows as a DELTA of 0 (no longer
 * counting) or as an absurd jump (the guest's perf code reads a counter
 * that restarted from 0 as one that wrapped around).
 *   PMU none ERRNO-TEXT   the event cannot be opened (no PMU): exit 1
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int open_cycles(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_CPU_CYCLES;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	int fd = open_cycles();
	uint64_t count, last = 0;
	volatile uint64_t spin = 0;

	if (fd < 0) {
		printf("PMU none %s\n", strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (unsigned long n = 1;; n++) {
		double until = now() + 1;

		while (now() < until)
			for (int i = 0; i < 10000; i++)
				spin++;
		if (read(fd, &count, sizeof(count)) != sizeof(count)) {
			printf("PMU none read: %s\n", strerror(errno));
			return 1;
		}
		printf("PMU %lu %llu %llu\n", n, (unsigned long long)count,
		       (unsigned long long)(count - last));
		last = count;
	}
}
