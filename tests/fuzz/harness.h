/* What the device fuzzers (fuzz_virtio_pci.c, fuzz_virtio_backends.c)
 * share: reading the input, failing a rule, and the stand-ins for the
 * VMM's log and confinement, which the harnesses do not link. Included
 * once, by the harness's one source file. */
#ifndef ITSY_FUZZ_HARNESS_H
#define ITSY_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A broken rule: say which, then crash (libFuzzer keeps the input). */
#define require(cond)	do { if (!(cond)) broken(__FILE__, __LINE__, #cond); } while (0)

__attribute__((__noreturn__, noinline, cold)) static void broken(const char *file, int line,
								   const char *rule)
{
	fprintf(stderr, "%s:%d: broken rule: %s\n", file, line, rule);
	__builtin_trap();
}

struct in {
	const uint8_t *p;
	size_t n;
};

/* @bytes little-endian bytes of input, zeros once it has run out. */
static uint64_t get(struct in *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && in->n; i++, in->n--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

static unsigned log_count;

/* The harness's log: quiet, but every message must say something. */
void log_msg(const char *fmt, ...)
{
	require(fmt && fmt[0]);
	log_count++;
}

/* No device thread runs here, so none is confined (vmm/sandbox.h): the
 * stand-ins a real sandbox, if linked, overrides. */
__attribute__((weak)) int sandbox_enter(int kind);
__attribute__((weak)) int sandbox_enter(int kind)
{
	(void)kind;
	return 0;
}

__attribute__((weak)) void sandbox_block_signals(void);
__attribute__((weak)) void sandbox_block_signals(void)
{
}

#endif
