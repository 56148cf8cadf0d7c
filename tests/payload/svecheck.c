/*
 * svecheck: a guest workload for the SVE state tests. Round after round,
 * every Z and P register and FFR are filled with a pattern of that round
 * and held for about a second of scalar code (sve-hold.S), then compared:
 * a snapshot or migration that lost or cut any of them shows.
 *
 *   SVE none WHY                  the CPU has no SVE: exit 1
 *   SVE n ok vl=BITS              round n held every register
 *   SVEBAD n REG byte I want=0xAA got=0xBB vl=BITS
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <time.h>

#ifndef HWCAP_SVE
#define HWCAP_SVE	(1 << 22)
#endif

uint64_t sve_vl_bytes(void);
void sve_hold(const uint8_t *z, const uint8_t *p, uint8_t *z_out, uint8_t *p_out,
	      uint8_t *ffr_out, uint64_t spins);

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Round @n's byte @i of register @r (Z 0..31, P 32..47). */
static uint8_t pattern(unsigned long n, unsigned r, size_t i)
{
	return (uint8_t)(n * 131 + r * 37 + i * 7 + (i >> 8));
}

static int compare(unsigned long n, const char *kind, unsigned regs, size_t len,
		   const uint8_t *want, const uint8_t *got, unsigned vl)
{
	for (unsigned r = 0; r < regs; r++)
		for (size_t i = 0; i < len; i++)
			if (want[r * len + i] != got[r * len + i]) {
				printf("SVEBAD %lu %s%u byte %zu want=0x%02x got=0x%02x vl=%u\n", n, kind,
				       r, i, want[r * len + i], got[r * len + i], vl);
				return 1;
			}
	return 0;
}

int main(void)
{
	size_t vl, pl;
	uint8_t *z, *p, *zo, *po, ffr[256 / 8];
	uint64_t spins = 1000000;

	if (!(getauxval(AT_HWCAP) & HWCAP_SVE)) {
		printf("SVE none the CPU has no SVE\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The longest length the vCPU has (Linux starts tasks at 512 bits). */
	prctl(PR_SVE_SET_VL, 256, 0, 0, 0);
	vl = sve_vl_bytes();
	pl = vl / 8;
	z = malloc(32 * vl), zo = malloc(32 * vl), p = malloc(16 * pl), po = malloc(16 * pl);
	if (!z || !zo || !p || !po || pl > sizeof(ffr))
		return 1;
	printf("SVE vl=%zu\n", vl * 8);
	for (unsigned long n = 1;; n++) {
		double t0 = now();
		int bad;

		for (unsigned r = 0; r < 48; r++)
			for (size_t i = 0; i < (r < 32 ? vl : pl); i++)
				(r < 32 ? z + r * vl : p + (r - 32) * pl)[i] = pattern(n, r, i);
		memset(ffr, 0, sizeof(ffr));
		sve_hold(z, p, zo, po, ffr, spins);
		bad = compare(n, "z", 32, vl, z, zo, (unsigned)vl * 8) ||
		      compare(n, "p", 16, pl, p, po, (unsigned)vl * 8);
		/* FFR: the first 16 byte elements, bits 0..15. */
		if (!bad && (ffr[0] != 0xff || ffr[1] != 0xff || (pl > 2 && ffr[2]))) {
			printf("SVEBAD %lu ffr byte 0 want=0xff got=0x%02x vl=%zu\n", n, ffr[0], vl * 8);
			bad = 1;
		}
		if (!bad)
			printf("SVE %lu ok vl=%zu\n", n, vl * 8);
		/* About a second a round, whatever the machine's speed. */
		if (now() - t0 < 0.5 && spins < (1ull << 40))
			spins *= 2;
	}
}
