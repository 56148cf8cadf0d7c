/* virtio-rng (devices/virtio-rng/rng.c) with the tests as its driver: what one
 * kick may cost, whatever buffers the guest offers. */
#include "devices/virtio-rng/rng.h"

#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "tests/unit/guest_ring.h"

#define BASE	0x40000000ull
#define RAM	(4ull << 20)
#define BUF	(BASE + 0x100000)	/* 1 MiB the chains point at */
#define BUFLEN	(1u << 20)

static struct guest_mem mem;
static struct virtio_dev d;
static struct guest_ring r;
static int interrupts;

static void tp_interrupt(struct virtio_dev *dev, unsigned q)
{
	(void)dev;
	(void)q;
	interrupts++;
}

static void tp_needs_reset(struct virtio_dev *dev)
{
	(void)dev;
	ck_abort_msg("the device asked for a reset");
}

static const struct virtio_transport tp = { .interrupt = tp_interrupt, .needs_reset = tp_needs_reset };

static void setup(void)
{
	ck_assert_int_eq(mem_alloc(&mem, BASE, RAM), 0);
	ck_assert_int_eq(virtio_dev_init(&d, &rng_backend, NULL, &mem), 0);
	d.tp = &tp;
	gr_init(&r, &mem, rng_backend.queue_max, BASE);
	gr_attach(&r, &d.vq[0], 0);
	interrupts = 0;
}

static int kick_pending(void)
{
	struct pollfd p = { .fd = d.kick_fd[0], .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* One chain of as many 1 MiB buffers as the queue holds (64 MiB asked
 * for): it gets RNG_CHAIN_MAX bytes, the used length says so. */
START_TEST(huge_chain_is_bounded)
{
	gr_publish(&r, gr_chain(&r, r.size, BUF, BUFLEN, 1));
	rng_backend.kick(&d, 0);
	ck_assert_uint_eq(gr_used_idx(&r), 1);
	ck_assert_uint_eq(gr_used_len(&r, 0), RNG_CHAIN_MAX);
	ck_assert_int_eq(interrupts, 1);
}
END_TEST

/* A small request is served in full. */
START_TEST(small_chain_in_full)
{
	uint8_t zero[64] = { 0 };

	gr_publish(&r, gr_chain(&r, 1, BUF, 64, 1));
	rng_backend.kick(&d, 0);
	ck_assert_uint_eq(gr_used_len(&r, 0), 64);
	ck_assert_mem_ne(gr_ptr(&r, BUF, 64), zero, 64);
}
END_TEST

/* Chains of one descriptor each, as many as the queue has: the kick stops
 * at VIRTIO_KICK_BUDGET and asks to be called again. */
START_TEST(one_kick_has_a_budget)
{
	for (unsigned i = 0; i < r.size; i++)
		gr_publish(&r, gr_chain(&r, 1, BUF + 64 * i, 64, 1));
	rng_backend.kick(&d, 0);
	ck_assert_uint_eq(gr_used_idx(&r), r.size < VIRTIO_KICK_BUDGET ? r.size : VIRTIO_KICK_BUDGET);
	if (r.size >= VIRTIO_KICK_BUDGET)
		ck_assert(kick_pending());
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio-rng");
	TCase *tc = UNIT_TCASE(s, "bounds", huge_chain_is_bounded, small_chain_in_full,
			       one_kick_has_a_budget);

	tcase_add_checked_fixture(tc, setup, NULL);
	return unit_run(s);
}
