#include "migration/postcopy.h"
#include "migration/pages.h"
#include "migration/wire.h"
#include "vmm/clock.h"
#include "vmm/le.h"
#include "vmm/log.h"
#include "vmm/sandbox.h"
#include "vmm/uffd.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define WORD_BITS	(8 * sizeof(unsigned long))
#define REQ_MAX		64		/* pages asked for in one frame */

static int is_held(const struct postcopy_in *pc, uint64_t pg)
{
	return (__atomic_load_n(&pc->held[pg / WORD_BITS], __ATOMIC_ACQUIRE) >> (pg % WORD_BITS)) & 1;
}

static void unhold(struct postcopy_in *pc, uint64_t pg)
{
	__atomic_fetch_and(&pc->held[pg / WORD_BITS], ~(1ul << (pg % WORD_BITS)), __ATOMIC_RELEASE);
}

/* ---- preparing ---- */

/* Drop the held pages, run by run, so they fault. */
static int drop_held(struct postcopy_in *pc)
{
	for (uint64_t pg = 0; pg < pc->npages;) {
		uint64_t end = pg;

		if (!is_held(pc, pg)) {
			pg++;
			continue;
		}
		while (end < pc->npages && is_held(pc, end))
			end++;
		if (madvise(pc->ram + (pg << pc->shift), (end - pg) << pc->shift, MADV_DONTNEED))
			return -errno;
		pg = end;
	}
	return 0;
}

static int prep_fail(struct postcopy_in *pc, int rc, const char *what, char *err, size_t len)
{
	snprintf(err, len, "post-copy: %s: %s", what, strerror(-rc));
	postcopy_in_abort(pc);
	return rc;
}

int postcopy_in_prepare(struct postcopy_in *pc, uint8_t *ram, uint64_t ram_size,
			uint32_t page_size, const uint8_t *bits, size_t len, char *err,
			size_t errlen)
{
	int rc;

	memset(pc, 0, sizeof(*pc));
	pc->uf.fd = pc->stop_fd = -1;
	pc->ram = ram, pc->ram_size = ram_size, pc->page_size = page_size;
	pc->shift = (unsigned)__builtin_ctz(page_size);
	pc->npages = ram_size >> pc->shift;
	pc->start_ns = clock_ns();
	if (len != (pc->npages + 7) / 8) {
		snprintf(err, errlen, "post-copy: a page bitmap of %zu bytes for %llu pages", len,
			 (unsigned long long)pc->npages);
		return -EINVAL;
	}
	pc->held = calloc(pc->npages / WORD_BITS + 1, sizeof(long));
	pc->asked_ns = calloc(pc->npages, sizeof(uint64_t));
	if (!pc->held || !pc->asked_ns)
		return prep_fail(pc, -ENOMEM, "memory", err, errlen);
	for (uint64_t pg = 0; pg < pc->npages; pg++)
		if ((bits[pg / 8] >> (pg % 8)) & 1)
			pc->held[pg / WORD_BITS] |= 1ul << (pg % WORD_BITS);
	pthread_mutex_init(&pc->send_lock, NULL);
	pthread_mutex_init(&pc->lock, NULL);
	pthread_cond_init(&pc->cond, NULL);
	/* Why no huge pages, and why register before dropping: khugepaged
	 * collapses a range with a few missing pages into a huge page and
	 * fills them with zeros; in a registered range it leaves them
	 * missing. A held page filled that way would never be fetched (its
	 * copy finds it there), and the guest would read zeros. */
	madvise(ram, ram_size, MADV_NOHUGEPAGE);
	if ((rc = uffd_register(&pc->uf, ram, ram_size, page_size)))
		return prep_fail(pc, rc, "userfaultfd on guest RAM", err, errlen);
	if ((rc = drop_held(pc)))
		return prep_fail(pc, rc, "dropping the pages the source holds", err, errlen);
	return 0;
}

/* ---- placing pages ---- */

/* A page asked for has come: how long its fault waited. */
static void note_placed(struct postcopy_in *pc, uint64_t pg)
{
	uint64_t asked = pc->asked_ns[pg];

	pc->placed++;
	if (asked && clock_ns() - asked > pc->slowest_ns)
		pc->slowest_ns = clock_ns() - asked;
}

/* pages_apply_with's hook: place, then mark as no longer held. */
static int place(void *ctx, uint64_t off, const void *data, uint64_t npages)
{
	struct postcopy_in *pc = ctx;

	for (uint64_t i = 0; i < npages; i++) {
		uint64_t o = off + (i << pc->shift);
		int rc = data ? uffd_copy(&pc->uf, o, data) : uffd_zero(&pc->uf, o);

		if (rc)
			return rc;
		unhold(pc, o >> pc->shift);
		note_placed(pc, o >> pc->shift);
	}
	return 0;
}

/* ---- the fault thread ---- */

static int ask(struct postcopy_in *pc, const uint64_t *pages, unsigned n)
{
	uint8_t p[REQ_MAX * 8];

	for (unsigned i = 0; i < n; i++)
		le_put(p + 8 * i, pages[i] << pc->shift, 8);
	return postcopy_in_send(pc, WIRE_PAGE_REQ, p, 8 * n);
}

/* One fault at @off: ask for a held page (once), zero-fill any other. */
static int on_fault(struct postcopy_in *pc, uint64_t off, uint64_t *want, unsigned *n)
{
	uint64_t pg = off >> pc->shift;

	if (!is_held(pc, pg))
		return uffd_zero(&pc->uf, off);
	if (!pc->asked_ns[pg]) {
		pc->asked_ns[pg] = clock_ns();
		pc->demand++;
		want[(*n)++] = pg;
	}
	return 0;
}

static int read_faults(struct postcopy_in *pc)
{
	uint64_t offs[REQ_MAX], want[REQ_MAX];
	unsigned n = 0;
	int got = uffd_faults(&pc->uf, offs, REQ_MAX), rc = got < 0 ? got : 0;

	for (int i = 0; !rc && i < got; i++)
		rc = on_fault(pc, offs[i], want, &n);
	return rc ? rc : n ? ask(pc, want, n) : 0;
}

static void *fault_thread(void *arg)
{
	struct postcopy_in *pc = arg;
	struct pollfd fds[2] = { { .fd = pc->uf.fd, .events = POLLIN },
				 { .fd = pc->stop_fd, .events = POLLIN } };
	int rc = sandbox_enter(SANDBOX_MIGRATION);

	while (!rc && !(fds[1].revents & POLLIN)) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			rc = -errno;
		else if (fds[0].revents & POLLIN)
			rc = read_faults(pc);
	}
	if (rc)
		log_msg("post-copy: the fault thread failed: %s", strerror(-rc));
	return NULL;
}

/* ---- the receiver thread ---- */

static void release(struct postcopy_in *pc)
{
	uffd_close(&pc->uf);
	free(pc->held);
	free(pc->asked_ns);
	pc->held = NULL, pc->asked_ns = NULL;
}

static void fail_link(struct postcopy_in *pc, int rc)
{
	int after_go;

	pthread_mutex_lock(&pc->lock);
	if (!pc->err[0])
		snprintf(pc->err, sizeof(pc->err), "%s", pc->w->err[0] ? pc->w->err : strerror(-rc));
	pc->failed = rc;
	after_go = pc->go;
	pthread_cond_broadcast(&pc->cond);
	pthread_mutex_unlock(&pc->lock);
	if (after_go && pc->lost)
		pc->lost(pc->ctx, pc->err);
}

/* Every page is here: unregister (which wakes any waiter), stop the fault
 * thread, tell the source, close the link. */
static void finish(struct postcopy_in *pc)
{
	uint64_t one = 1;
	int fd = pc->w->fd;

	uffd_unregister(&pc->uf);
	madvise(pc->ram, pc->ram_size, MADV_HUGEPAGE);	/* every page is here again */
	if (write(pc->stop_fd, &one, sizeof(one)) < 0)
		log_msg("post-copy: cannot stop the fault thread");
	pthread_join(pc->fault_t, NULL);
	pc->total_ns = clock_ns() - pc->start_ns;
	postcopy_in_send(pc, WIRE_OK, NULL, 0);
	log_msg("post-copy: every page is here after %llu ms: %llu asked for on a fault "
		"(the slowest waited %llu ms), %llu placed in all",
		(unsigned long long)pc->total_ns / 1000000, (unsigned long long)pc->demand,
		(unsigned long long)pc->slowest_ns / 1000000, (unsigned long long)pc->placed);
	wire_free(pc->w);
	close(fd);
	close(pc->stop_fd);
	pc->stop_fd = -1;
	release(pc);
}

static int on_frame(struct postcopy_in *pc, uint8_t type, const uint8_t *p, size_t len)
{
	uint64_t d, z;

	switch (type) {
	case WIRE_PAGES:
		return pages_apply_with(p, len, pc->ram_size, pc->page_size, place, pc, &d, &z,
					pc->err, sizeof(pc->err));
	case WIRE_GO:
		pthread_mutex_lock(&pc->lock);
		pc->go = 1;
		pthread_cond_broadcast(&pc->cond);
		pthread_mutex_unlock(&pc->lock);
		return 0;
	case WIRE_POSTCOPY_END:
		pc->ended = 1;
		return 0;
	case WIRE_ERROR:
		snprintf(pc->err, sizeof(pc->err), "the source gave up: %.*s", (int)len, (const char *)p);
		return -ECONNABORTED;
	}
	snprintf(pc->err, sizeof(pc->err), "unexpected %s message", wire_type_name(type));
	return -EPROTO;
}

static void *recv_thread(void *arg)
{
	struct postcopy_in *pc = arg;
	const uint8_t *p;
	uint8_t type;
	size_t len;
	int rc = sandbox_enter(SANDBOX_MIGRATION);

	while (!rc && !pc->ended && !(rc = wire_recv(pc->w, &type, &p, &len)))
		rc = on_frame(pc, type, p, len);
	if (rc)
		fail_link(pc, rc);
	else
		finish(pc);
	pthread_mutex_lock(&pc->lock);
	pc->recv_done = 1;
	pthread_cond_broadcast(&pc->cond);
	pthread_mutex_unlock(&pc->lock);
	return NULL;
}

/* ---- the main thread's side ---- */

int postcopy_in_start(struct postcopy_in *pc, struct wire *w)
{
	pc->w = w;
	/* Why no timeout while the guest runs: the source pushes pages
	 * without a pause, and a silent link is lost either way. */
	pc->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (pc->stop_fd < 0 || pthread_create(&pc->fault_t, NULL, fault_thread, pc))
		return -EAGAIN;
	if (pthread_create(&pc->recv_t, NULL, recv_thread, pc)) {
		uint64_t one = 1;

		if (write(pc->stop_fd, &one, sizeof(one)) < 0)
			log_msg("post-copy: cannot stop the fault thread");
		pthread_join(pc->fault_t, NULL);
		return -EAGAIN;
	}
	pc->threads = 1;
	pthread_detach(pc->recv_t);
	return 0;
}

int postcopy_in_send(struct postcopy_in *pc, uint8_t type, const void *p, size_t len)
{
	int rc;

	pthread_mutex_lock(&pc->send_lock);
	rc = wire_send(pc->w, type, p, len);
	pthread_mutex_unlock(&pc->send_lock);
	return rc;
}

int postcopy_in_wait_go(struct postcopy_in *pc)
{
	int rc;

	pthread_mutex_lock(&pc->lock);
	while (!pc->go && !pc->failed)
		pthread_cond_wait(&pc->cond, &pc->lock);
	rc = pc->go ? 0 : pc->failed;
	pthread_mutex_unlock(&pc->lock);
	return rc;
}

/* Why shut the link down: the receiver thread may wait in it; it ends on
 * the error, and only then is what it uses freed. */
static void stop_threads(struct postcopy_in *pc)
{
	uint64_t one = 1;

	shutdown(pc->w->fd, SHUT_RDWR);
	pthread_mutex_lock(&pc->lock);
	while (!pc->recv_done)
		pthread_cond_wait(&pc->cond, &pc->lock);
	pthread_mutex_unlock(&pc->lock);
	if (pc->stop_fd >= 0 && write(pc->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(pc->fault_t, NULL);
	pc->threads = 0;
}

void postcopy_in_abort(struct postcopy_in *pc)
{
	if (!pc->ram || !pc->held)
		return;		/* never prepared, or done */
	uffd_unregister(&pc->uf);
	if (pc->threads)
		stop_threads(pc);
	if (pc->stop_fd >= 0)
		close(pc->stop_fd);
	pc->stop_fd = -1;
	release(pc);
}
