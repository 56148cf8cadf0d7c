/* The destination's post-copy (migration/postcopy.c) with a real
 * userfaultfd on this machine's memory, and a source played by a thread
 * on the other end of a socketpair wire: a touch of a held page waits
 * for the source's answer and sees the source's bytes; a missing page the
 * source does not hold reads as zero without asking; GO reaches the main
 * thread; after POSTCOPY_END every held page is the source's and the
 * source hears OK. Where this kernel refuses userfaultfd (a container's
 * seccomp), the test says so and checks only that the refusal is clean. */
#include "migration/pages.h"
#include "migration/postcopy.h"
#include "migration/wire.h"
#include "vmm/le.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#define PAGES		64u
#define PS		4096u
#define HELD_FIRST	10u	/* held: page 3 and pages 10..19 */
#define HELD_END	20u
#define ZAPPED		50u	/* missing here, not held: must read as zero */

static uint8_t *ram;
static uint8_t src[PAGES * PS];
static struct wire sw, dw;
static struct postcopy_in pc;
static int asked[PAGES], src_rc, got_ok;

static int held(unsigned pg)
{
	return pg == 3 || (pg >= HELD_FIRST && pg < HELD_END);
}

static void *handshake(void *arg)
{
	src_rc = wire_handshake(arg, 1, NULL);
	return NULL;
}

static int send_pages(const unsigned *pg, unsigned n)
{
	struct pages_batch b;
	int rc = pages_init(&b, PS, 1u << 20);

	for (unsigned i = 0; !rc && i < n; i++)
		rc = pages_add(&b, (uint64_t)pg[i] * PS, src + pg[i] * PS);
	rc = rc ? rc : wire_send(&sw, WIRE_PAGES, b.buf, b.len);
	pages_free(&b);
	return rc;
}

/* Answer one frame; 1 once a request for page 3 was answered. */
static int answer(void)
{
	const uint8_t *p;
	uint8_t type;
	size_t len;
	unsigned pg[64], n = 0;
	int rc = wire_recv(&sw, &type, &p, &len);

	if (rc || type != WIRE_PAGE_REQ)
		return rc ? rc : -EPROTO;
	for (size_t i = 0; i + 8 <= len && n < 64; i += 8) {
		pg[n] = (unsigned)(le_get(p + i, 8) / PS);
		asked[pg[n] % PAGES]++;
		n++;
	}
	return send_pages(pg, n);
}

/* The source: answer until page 3 came, GO, push the rest, END, OK. */
static void *source(void *arg)
{
	unsigned rest[PAGES], n = 0;
	const uint8_t *p;
	uint8_t type;
	size_t len;
	int rc = 0;

	(void)arg;
	while (!rc && !asked[3])
		rc = answer();
	rc = rc ? rc : wire_send(&sw, WIRE_GO, NULL, 0);
	for (unsigned pg = 0; pg < PAGES; pg++)
		if (held(pg) && pg != 3)
			rest[n++] = pg;
	rc = rc ? rc : send_pages(rest, n);
	rc = rc ? rc : wire_send(&sw, WIRE_POSTCOPY_END, NULL, 0);
	/* requests still in flight may come before the OK */
	while (!rc && !(rc = wire_recv(&sw, &type, &p, &len)) && type != WIRE_OK)
		rc = type == WIRE_PAGE_REQ ? 0 : -EPROTO;
	got_ok = !rc;
	src_rc = rc;
	return NULL;
}

static void setup(void)
{
	int sp[2];
	pthread_t t;

	ram = mmap(NULL, PAGES * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(ram, MAP_FAILED);
	for (unsigned i = 0; i < PAGES * PS; i++) {
		src[i] = (uint8_t)(i / PS * 7 + i % 251 + 1);
		ram[i] = 0xee;	/* pre-copy's older copy */
	}
	ck_assert_int_eq(madvise(ram + ZAPPED * PS, PS, MADV_DONTNEED), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	ck_assert_int_eq(wire_init(&sw, sp[0], 5000), 0);
	ck_assert_int_eq(wire_init(&dw, sp[1], 5000), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, handshake, &sw), 0);
	ck_assert_int_eq(wire_handshake(&dw, 0, NULL), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(src_rc, 0);
}

/* The POSTCOPY payload for the held pages. */
static void held_bits(uint8_t *bits)
{
	memset(bits, 0, PAGES / 8);
	for (unsigned pg = 0; pg < PAGES; pg++)
		if (held(pg))
			bits[pg / 8] |= (uint8_t)(1u << (pg % 8));
}

START_TEST(faults_are_served_and_all_arrives)
{
	uint8_t bits[PAGES / 8];
	char err[300] = "";
	pthread_t t;
	int rc;

	setup();
	held_bits(bits);
	rc = postcopy_in_prepare(&pc, ram, PAGES * PS, PS, bits, sizeof(bits), err, sizeof(err));
	if (rc == -EPERM || rc == -ENOSYS) {
		fprintf(stderr, "test_postcopy: this kernel refuses userfaultfd here (%s): the "
			"integration test migrate-postcopy covers it\n", err);
		ck_assert_ptr_nonnull(strstr(err, "userfaultfd"));
		return;
	}
	ck_assert_msg(!rc, "%s", err);
	ck_assert_int_eq(postcopy_in_start(&pc, &dw), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, source, NULL), 0);
	/* a held page: this read waits for the source's answer */
	ck_assert_mem_eq(ram + 3 * PS, src + 3 * PS, PS);
	ck_assert_int_eq(asked[3], 1);
	/* missing, not held: zero, and nobody asked */
	ck_assert_uint_eq(ram[ZAPPED * PS + 17], 0);
	ck_assert_int_eq(asked[ZAPPED], 0);
	/* neither: pre-copy's copy stands */
	ck_assert_uint_eq(ram[30 * PS], 0xee);
	ck_assert_int_eq(postcopy_in_wait_go(&pc), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(src_rc, 0);
	ck_assert_int_eq(got_ok, 1);
	for (unsigned pg = 0; pg < PAGES; pg++)
		if (held(pg))
			ck_assert_msg(!memcmp(ram + pg * PS, src + pg * PS, PS), "page %u", pg);
	ck_assert_uint_ge(pc.demand, 1);
	ck_assert_uint_ge(pc.placed, HELD_END - HELD_FIRST + 1);
	pthread_mutex_lock(&pc.lock);
	while (!pc.recv_done)
		pthread_cond_wait(&pc.cond, &pc.lock);
	pthread_mutex_unlock(&pc.lock);
	ck_assert_ptr_null(pc.held);	/* the receiver thread freed what it used */
	wire_free(&sw);
}
END_TEST

/* A link that fails before GO wakes the main thread with the reason. */
START_TEST(lost_link_before_go)
{
	uint8_t bits[PAGES / 8];
	char err[300] = "";
	int rc;

	setup();
	held_bits(bits);
	rc = postcopy_in_prepare(&pc, ram, PAGES * PS, PS, bits, sizeof(bits), err, sizeof(err));
	if (rc == -EPERM || rc == -ENOSYS)
		return;
	ck_assert_msg(!rc, "%s", err);
	ck_assert_int_eq(postcopy_in_start(&pc, &dw), 0);
	wire_send_error(&sw, "the source gave up");
	ck_assert_int_eq(postcopy_in_wait_go(&pc), -ECONNABORTED);
	ck_assert_ptr_nonnull(strstr(pc.err, "the source gave up"));
	postcopy_in_abort(&pc);
	/* unregistered: a held page no longer waits (it reads as zero) */
	ck_assert_uint_eq(ram[12 * PS], 0);
	wire_free(&sw);
	wire_free(&dw);
}
END_TEST

START_TEST(bad_bitmap_refused)
{
	uint8_t bits[PAGES / 8 + 1] = { 0 };
	char err[300] = "";

	ram = mmap(NULL, PAGES * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_int_eq(postcopy_in_prepare(&pc, ram, PAGES * PS, PS, bits, sizeof(bits), err,
					     sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "bitmap of 9 bytes for 64 pages"));
	postcopy_in_abort(&pc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("postcopy");
	TCase *tc = UNIT_TCASE(s, "postcopy", faults_are_served_and_all_arrives,
			       lost_link_before_go, bad_bitmap_refused);

	tcase_set_timeout(tc, 20);
	return unit_run(s);
}
