#include "migration/migrate.h"
#include "arch/arm64/board.h"
#include "arch/arm64/compat.h"
#include "arch/arm64/profile.h"
#include "migration/config_state.h"
#include "migration/disk_copy.h"
#include "migration/pages.h"
#include "migration/snapshot.h"
#include "migration/stream.h"
#include "migration/wire.h"
#include "vmm/clock.h"
#include "vmm/device.h"
#include "vmm/dirty.h"
#include "vmm/le.h"
#include "vmm/log.h"
#include "vmm/regset.h"
#include "vmm/sandbox.h"
#include "vmm/vm.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS	10000
#define BATCH_BYTES		(1u << 20)
#define MAX_PASSES		40
#define STALLED_PASSES		4	/* passes without a 10% gain: give up */
#define POSTCOPY_SNDBUF		(128 << 10)	/* bytes queued on the link, at most */

struct mig {
	struct vm *vm;
	struct migrate_opts o;
	migrate_report_fn report;
	void *ctx;
	struct wire w;
	int fd;
	struct dirty_log log;
	int logging, paused, released;
	int go_sent;			/* the destination may be running the guest */
	unsigned long *todo;		/* pages to send next */
	struct disk_out disks;		/* --with-disks */
	int disks_logging, disks_all_sent;
	int postcopy_now;		/* switch to post-copy at the final pass */
	struct pages_batch batch;
	struct migrate_progress p;
	uint64_t start_ns, pause_ns;
	uint64_t t_saved, t_sent, t_ready;	/* final pass steps, ns */
	uint64_t t_running;		/* post-copy: RUNNING came, ns */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int running;
static struct migrate_progress shared;
/* A hand-over that ended without an answer: the guest stays paused here
 * until migrate_abort(). Under lock. */
static struct {
	struct vm *vm;		/* NULL: none */
	int released;		/* its devices' host resources went */
} held;

/* ---- progress ---- */

static void publish(struct mig *m, int final)
{
	m->p.bytes_sent = m->w.bytes_sent;
	pthread_mutex_lock(&lock);
	shared = m->p;
	pthread_mutex_unlock(&lock);
	if (m->report)
		m->report(m->ctx, &m->p, final);
}

static void phase(struct mig *m, const char *name)
{
	m->p.phase = name;
	publish(m, 0);
}

static int fail(struct mig *m, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct mig *m, int rc, const char *fmt, ...)
{
	va_list ap;

	if (m->p.error[0])
		return rc;	/* the first reason is the one to tell */
	va_start(ap, fmt);
	vsnprintf(m->p.error, sizeof(m->p.error), fmt, ap);
	va_end(ap);
	return rc;
}

int migrate_held(void)
{
	int r;

	pthread_mutex_lock(&lock);
	r = held.vm != NULL;
	pthread_mutex_unlock(&lock);
	return r;
}

int migrate_running(struct migrate_progress *p)
{
	int r;

	pthread_mutex_lock(&lock);
	r = running;
	if (p)
		*p = shared;
	pthread_mutex_unlock(&lock);
	return r;
}

/* ---- connecting ---- */

int migrate_sockaddr(const char *uri, struct sockaddr_storage *sa, socklen_t *len)
{
	char host[256], port[16];
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
	unsigned long p;

	if (migrate_parse_uri(uri, host, sizeof(host), port, sizeof(port)))
		return -EINVAL;
	p = strtoul(port, NULL, 10);
	if (!p || p > 65535)
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)p);
		*len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1)
		return -EINVAL;
	v6->sin6_family = AF_INET6;
	v6->sin6_port = htons((uint16_t)p);
	*len = sizeof(*v6);
	return 0;
}

int migrate_parse_uri(const char *uri, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *h = strncmp(uri, "tcp:", 4) ? NULL : uri + 4, *colon = h ? strrchr(h, ':') : NULL;
	size_t n = colon ? (size_t)(colon - h) : 0;

	if (h && *h == '[' && n >= 2 && h[n - 1] == ']')	/* tcp:[::1]:PORT */
		h++, n -= 2;
	if (!colon || !n || n >= hostlen || !colon[1] || strlen(colon + 1) >= portlen ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = 0;
	snprintf(port, portlen, "%s", colon + 1);
	return 0;
}

static int connect_timeout(int fd, const struct sockaddr_storage *sa, socklen_t salen)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (!connect(fd, (const struct sockaddr *)sa, salen))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	if (poll(&p, 1, CONNECT_TIMEOUT_MS) != 1)
		return -ETIMEDOUT;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	return -soerr;
}

static int dial(struct mig *m)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	int rc = migrate_sockaddr(m->o.uri, &sa, &salen), fd = -1;

	if (rc)
		return fail(m, rc, "'%s' is not tcp:IP:PORT", m->o.uri);
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	rc = fd < 0 ? -errno : connect_timeout(fd, &sa, salen);
	if (rc) {
		if (fd >= 0)
			close(fd);
		return fail(m, rc, "cannot connect to %s: %s", m->o.uri + 4, strerror(-rc));
	}
	wire_tune_socket(fd, WIRE_IO_TIMEOUT_MS);
	m->fd = fd;
	return 0;
}

/* ---- handshake ---- */

static int send_list(struct mig *m, uint8_t type, const struct regset_list *l)
{
	struct stream_writer sw;
	int rc = stream_writer_init(&sw);

	if (!rc)
		rc = snapshot_encode(l, &sw);
	if (!rc)
		rc = wire_send(&m->w, type, stream_writer_data(&sw), stream_writer_len(&sw));
	stream_writer_free(&sw);
	return rc;
}

static int wire_fail(struct mig *m, int rc, const char *doing)
{
	return fail(m, rc, "%s: %s", doing, m->w.err[0] ? m->w.err : strerror(-rc));
}

static int send_disk_frame(void *ctx, const uint8_t *p, size_t len)
{
	struct mig *m = ctx;

	return wire_send(&m->w, WIRE_DISK, p, len);
}

/* --with-disks: log what the guest writes from now on, so that whatever
 * changes after a chunk went is sent again. */
static int start_disks(struct mig *m)
{
	int n = devices_log_disks(m->vm, m->disks.log, DISK_COPY_MAX);

	if (n < 0)
		return fail(m, n, "cannot log the disks' writes (see the log)");
	m->disks.n = (unsigned)n;
	m->disks_logging = 1;
	return disk_out_init(&m->disks, send_disk_frame, m) ? fail(m, -ENOMEM, "out of memory") : 0;
}

static int send_begin(struct mig *m)
{
	struct regset_list l = { 0 };
	struct regset *cfg = regset_list_add(&l, "config", CONFIG_STATE_VERSION);
	int rc = cfg ? config_state_save(m->vm->cfg, cfg) : -ENOMEM;

	if (!rc && m->o.with_disks && (rc = start_disks(m)))
		return rc;
	if (!rc && m->o.with_disks)
		rc = disk_out_describe(&m->disks, &l);
	rc = rc ? rc : send_list(m, WIRE_BEGIN, &l);
	regset_list_free(&l);
	return rc ? wire_fail(m, rc, "sending the guest's configuration") : 0;
}

/* The destination's profile against what this guest needs: the same
 * check a restore makes, made here before anything is paused or sent. */
static int check_profile(struct mig *m)
{
	struct regset_list prof = { 0 };
	const uint8_t *p;
	size_t len;
	char why[600];
	int rc = wire_expect(&m->w, WIRE_PROFILE, &p, &len);

	if (rc)
		return wire_fail(m, rc, "waiting for the destination's host profile");
	rc = snapshot_decode(p, len, &prof, NULL, NULL, why, sizeof(why));
	if (rc) {
		wire_send_error(&m->w, "the host profile could not be read");
		regset_list_free(&prof);
		return fail(m, rc, "the destination's host profile: %s", why);
	}
	rc = compat_check(board_needs(m->vm), &prof, why, sizeof(why));
	regset_list_free(&prof);
	if (rc) {
		wire_send_error(&m->w, "refused by the source: this host cannot take the guest");
		return fail(m, rc, "refused: the destination cannot take this guest: %s", why);
	}
	return 0;
}

/* ---- pages ---- */

static int flush_batch(struct mig *m)
{
	int rc = m->batch.len ? wire_send(&m->w, WIRE_PAGES, m->batch.buf, m->batch.len) : 0;

	pages_reset(&m->batch);
	return rc;
}

static int send_page(struct mig *m, uint64_t page)
{
	uint64_t off = page << m->log.shift;
	int rc = pages_add(&m->batch, off, m->vm->ram.hva + off);

	if (rc == -ENOSPC && !(rc = flush_batch(m)))
		rc = pages_add(&m->batch, off, m->vm->ram.hva + off);
	return rc;
}

/* Send every page marked in @bits, clearing the marks. */
static int send_bits(struct mig *m, unsigned long *bits)
{
	uint64_t words = dirty_bitmap_bytes(&m->log) / sizeof(long);
	int rc = 0;

	for (uint64_t i = 0; !rc && i < words; i++) {
		unsigned long w = bits[i];

		bits[i] = 0;
		while (!rc && w) {
			rc = send_page(m, i * 8 * sizeof(long) + __builtin_ctzl(w));
			w &= w - 1;
		}
	}
	return rc ? rc : flush_batch(m);
}

static int send_marked(struct mig *m)
{
	return send_bits(m, m->todo);
}

static int end_pass(struct mig *m)
{
	uint8_t le[4] = { m->p.pass, m->p.pass >> 8, m->p.pass >> 16, m->p.pass >> 24 };

	return wire_send(&m->w, WIRE_PASS_END, le, sizeof(le));
}

/* ---- pre-copy ---- */

static int start_logging(struct mig *m)
{
	int rc = dirty_start(&m->log, &m->vm->kvm, &m->vm->ram, 0);

	if (rc)
		return fail(m, rc, "cannot log dirty pages: %s", strerror(-rc));
	m->logging = 1;
	rc = devices_log_dirty(m->vm, m->log.dev_bits);
	if (rc)
		return fail(m, rc, "a device cannot log the guest memory it writes (see above)");
	m->todo = calloc(1, dirty_bitmap_bytes(&m->log));
	if (!m->todo || pages_init(&m->batch, 1u << m->log.shift, BATCH_BYTES))
		return fail(m, -ENOMEM, "out of memory");
	m->p.page_size = 1u << m->log.shift;
	for (uint64_t pg = 0; pg < m->log.npages; pg++)	/* pass 0: all of RAM */
		m->todo[pg / (8 * sizeof(long))] |= 1ul << (pg % (8 * sizeof(long)));
	return 0;
}

/* The disks' part of a pass: all their data in the first, then what
 * changed. */
static int send_disks(struct mig *m)
{
	char why[300] = "";
	int rc;

	if (!m->disks_logging)
		return 0;
	rc = m->disks_all_sent ? disk_out_send(&m->disks, why, sizeof(why)) :
	     disk_out_first(&m->disks, why, sizeof(why));
	m->disks_all_sent = 1;
	m->p.disk_bytes = m->disks.bytes_sent;
	return rc ? fail(m, rc, "%s", m->w.err[0] ? m->w.err : why) : 0;
}

/* What is left to send: dirty pages and changed disk chunks. */
static uint64_t dirty_bytes(const struct mig *m)
{
	return m->p.dirty_pages * m->p.page_size + m->p.disk_dirty_bytes;
}

/* One pass: send what is marked, then mark what changed meanwhile. */
static int precopy_pass(struct mig *m)
{
	uint64_t t0 = clock_ns(), b0 = m->w.bytes_sent, ms;
	int64_t dirty;
	int rc = send_disks(m);

	if (rc)
		return rc;
	rc = send_marked(m);
	rc = rc ? rc : end_pass(m);
	if (rc)
		return wire_fail(m, rc, "sending guest memory");
	ms = (clock_ns() - t0) / 1000000 + 1;
	if (m->w.bytes_sent - b0 >= (1u << 20) || m->p.rate_mbps == 0)
		m->p.rate_mbps = (double)(m->w.bytes_sent - b0) / 1000.0 / ms;
	dirty = dirty_collect(&m->log, m->todo);
	if (dirty < 0)
		return fail(m, (int)dirty, "reading the dirty log: %s", strerror((int)-dirty));
	m->p.dirty_pages = (uint64_t)dirty;
	m->p.disk_dirty_bytes = m->disks_logging ? disk_out_collect(&m->disks) : 0;
	m->p.expected_downtime_ms = MIGRATE_FINAL_FIXED_MS +
		(uint64_t)(dirty_bytes(m) / 1000.0 / (m->p.rate_mbps > 0 ? m->p.rate_mbps : 1));
	publish(m, 0);
	return 0;
}

/* Within the budget, one more pass is worth it while it still cuts the
 * rest by a quarter, unless the rest is already a tenth of the budget. */
static int ready_for_final(const struct mig *m, uint64_t before)
{
	uint64_t ms = m->p.expected_downtime_ms, budget = m->o.max_downtime_ms;

	return ms <= budget && (ms * 10 <= budget || dirty_bytes(m) * 4 > before * 3);
}

/* Pass after pass until the rest fits the budget; give up when the
 * passes stop shrinking it (the guest writes faster than the link). */
static int precopy(struct mig *m)
{
	uint64_t best = UINT64_MAX, before;
	unsigned stalled = 0;
	int rc = start_logging(m);

	phase(m, "precopy");
	for (m->p.pass = 0; !rc; m->p.pass++) {
		before = m->p.pass ? dirty_bytes(m) : m->log.npages * m->p.page_size;
		rc = precopy_pass(m);
		if (rc || ready_for_final(m, before))
			return rc;
		if (m->o.postcopy_after && m->p.pass + 1 >= m->o.postcopy_after)
			return m->postcopy_now = 1, 0;
		if (dirty_bytes(m) * 10 < best * 9)
			best = dirty_bytes(m), stalled = 0;
		else if ((++stalled >= STALLED_PASSES || m->p.pass + 1 >= MAX_PASSES) && m->o.postcopy)
			return m->postcopy_now = 1, 0;
		else if (stalled >= STALLED_PASSES || m->p.pass + 1 >= MAX_PASSES)
			return fail(m, -ETIMEDOUT, "did not converge: after %u passes %llu pages "
				    "(%.1f MiB) are still dirty at %.1f MB/s, expected downtime %llu ms "
				    "> budget %llu ms", m->p.pass + 1,
				    (unsigned long long)m->p.dirty_pages,
				    m->p.dirty_pages * (double)m->p.page_size / 1048576.0, m->p.rate_mbps,
				    (unsigned long long)m->p.expected_downtime_ms,
				    (unsigned long long)m->o.max_downtime_ms);
	}
	return rc;
}

/* ---- the final pass ---- */

/* Why release before the state goes: the destination sets up its devices
 * when the state arrives, and on this same host it needs the disk lock,
 * the tap and the vsock CID the guest has here. */
static int send_state(struct mig *m)
{
	struct regset_list l = { 0 };
	char why[600] = "";
	int64_t dirty;
	int rc = snapshot_collect(m->vm, &l, why, sizeof(why));

	if (!rc && (rc = devices_release(m->vm)))
		snprintf(why, sizeof(why), "a device would not let go of its host resources");
	m->released = 1;	/* even half-way: acquire takes back what went */
	if (rc) {
		regset_list_free(&l);
		return fail(m, rc, "saving the guest's state: %s", why);
	}
	m->t_saved = clock_ns();
	/* Why now: the disks were flushed when the devices paused, so their
	 * last changes are in the files and nothing writes them any more. */
	if (m->disks_logging) {
		disk_out_collect(&m->disks);
		if ((rc = send_disks(m))) {
			regset_list_free(&l);
			return rc;
		}
	}
	/* Why after the collect: saving the ITS and pending tables wrote
	 * guest RAM, and KVM logged those pages. */
	dirty = dirty_collect(&m->log, m->todo);
	rc = dirty < 0 ? (int)dirty : send_marked(m);
	rc = rc ? rc : send_list(m, WIRE_STATE, &l);
	m->t_sent = clock_ns();
	regset_list_free(&l);
	return rc ? wire_fail(m, rc, "sending the final pass") : 0;
}

static int hand_over(struct mig *m)
{
	const uint8_t *p;
	size_t len;
	int rc = wire_expect(&m->w, WIRE_READY, &p, &len);

	if (rc)
		return wire_fail(m, rc, "the destination did not restore the guest");
	m->t_ready = clock_ns();
	/* Why set before the send: a GO that failed half-way may still have
	 * reached the destination, which then runs the guest. */
	m->go_sent = 1;
	rc = wire_send(&m->w, WIRE_GO, NULL, 0);
	rc = rc ? rc : wire_expect(&m->w, WIRE_RUNNING, &p, &len);
	return rc ? wire_fail(m, rc, "waiting for the destination to run the guest") : 0;
}

/* Test hook: ITSY_MIGRATE_DUMP=DIR writes guest RAM as both ends hold it
 * when the state goes (DIR/src.ram, DIR/dst.ram); they must be equal. */
void migrate_dump_ram(struct vm *vm, const char *side)
{
	const char *dir = getenv("ITSY_MIGRATE_DUMP");
	char path[512];

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s.ram", dir, side);
	if (mem_dump(&vm->ram, path))
		log_msg("ITSY_MIGRATE_DUMP: cannot write %s", path);
}

/* ---- post-copy (--postcopy, --postcopy-after) ---- */

/* The pages still held here, as the POSTCOPY payload: a bit per page,
 * LE bytes (postcopy.h). */
static int send_held(struct mig *m)
{
	uint64_t words = dirty_bitmap_bytes(&m->log) / sizeof(long), len = (m->log.npages + 7) / 8;
	uint8_t *b = len <= WIRE_MAX_PAYLOAD ? malloc(words * sizeof(long)) : NULL;
	int rc;

	if (!b)
		return fail(m, -E2BIG, "post-copy: a page bitmap of %llu bytes does not fit a frame",
			    (unsigned long long)len);
	m->p.postcopy_pages = 0;
	for (uint64_t i = 0; i < words; i++) {
		le_put(b + i * sizeof(long), m->todo[i], sizeof(long));
		m->p.postcopy_pages += __builtin_popcountl(m->todo[i]);
	}
	rc = wire_send(&m->w, WIRE_POSTCOPY, b, len);
	free(b);
	return rc;
}

/* What saving the state wrote (the ITS and pending tables) goes now, so
 * the destination's restore finds it; it is no longer held. */
static int send_fresh(struct mig *m)
{
	uint64_t words = dirty_bitmap_bytes(&m->log) / sizeof(long);
	unsigned long *fresh = calloc(words, sizeof(long));
	int64_t n = fresh ? dirty_collect(&m->log, fresh) : -ENOMEM;
	int rc = n < 0 ? (int)n : 0;

	for (uint64_t i = 0; !rc && i < words; i++)
		m->todo[i] &= ~fresh[i];
	rc = rc ? rc : send_bits(m, fresh);
	free(fresh);
	return rc;
}

/* The final pass of a post-copy migration: the guest's last dirty pages
 * stay here (held), the state goes. Why collect before saving: what the
 * guest dirtied is held, what the save wrote is sent. */
static int switch_over(struct mig *m)
{
	struct regset_list l = { 0 };
	char why[600] = "";
	int64_t dirty = dirty_collect(&m->log, m->todo);
	int rc = dirty < 0 ? (int)dirty : snapshot_collect(m->vm, &l, why, sizeof(why));

	if (!rc && (rc = devices_release(m->vm)))
		snprintf(why, sizeof(why), "a device would not let go of its host resources");
	m->released = 1;
	if (rc) {
		regset_list_free(&l);
		return fail(m, rc, "saving the guest's state: %s", why[0] ? why : strerror(-rc));
	}
	m->t_saved = clock_ns();
	if (m->disks_logging)
		disk_out_collect(&m->disks);
	rc = m->disks_logging ? send_disks(m) : 0;
	rc = rc ? rc : send_fresh(m);
	rc = rc ? rc : send_held(m);
	rc = rc ? rc : send_list(m, WIRE_STATE, &l);
	m->t_sent = clock_ns();
	regset_list_free(&l);
	return rc ? wire_fail(m, rc, "switching to post-copy") : 0;
}

/* Pages a fault on the destination waits for: send them now. */
static int serve_request(struct mig *m, const uint8_t *p, size_t len)
{
	int rc = 0;

	if (len % 8)
		return fail(m, -EPROTO, "post-copy: a page request of %zu bytes", len);
	for (size_t i = 0; !rc && i < len; i += 8) {
		uint64_t off = le_get(p + i, 8), pg = off >> m->log.shift;

		if (off % m->p.page_size || pg >= m->log.npages)
			return fail(m, -EPROTO, "post-copy: the destination asked for RAM offset "
				    "0x%llx, not a page of this guest", (unsigned long long)off);
		m->todo[pg / (8 * sizeof(long))] &= ~(1ul << (pg % (8 * sizeof(long))));
		m->p.demand_pages++;
		rc = send_page(m, pg);
	}
	return rc ? rc : flush_batch(m);
}

/* Push up to 64 held pages from *@next on. */
static int push_some(struct mig *m, uint64_t *next)
{
	unsigned n = 0;
	int rc = 0;

	for (; !rc && n < 64 && *next < m->log.npages; ++*next) {
		uint64_t pg = *next, w = pg / (8 * sizeof(long)), bit = 1ul << (pg % (8 * sizeof(long)));

		if (!(m->todo[w] & bit))
			continue;
		m->todo[w] &= ~bit;
		rc = send_page(m, pg);
		n++;
	}
	return rc ? rc : flush_batch(m);
}

/* One frame from the destination while serving; *@state: 1 RUNNING came,
 * 2 its OK after POSTCOPY_END (all done). */
static int serve_frame(struct mig *m, int *state)
{
	const uint8_t *p;
	uint8_t type;
	size_t len;
	int rc = wire_recv(&m->w, &type, &p, &len);

	if (rc)
		return rc;
	if (type == WIRE_PAGE_REQ)
		return serve_request(m, p, len);
	if (type == WIRE_READY) {
		m->t_ready = clock_ns();
		m->go_sent = 1;	/* why before: see hand_over() */
		return wire_send(&m->w, WIRE_GO, NULL, 0);
	}
	if (type == WIRE_RUNNING && !*state) {
		m->t_running = clock_ns();
		*state = 1;
		return 0;
	}
	if (type == WIRE_OK && *state == 2)
		return *state = 3, 0;
	if (type == WIRE_ERROR)
		return fail(m, -ECONNABORTED, "the peer says: %.*s", (int)len, (const char *)p);
	return fail(m, -EPROTO, "post-copy: unexpected %s message", wire_type_name(type));
}

/* After the switch: answer the destination's faults first, push the other
 * held pages meanwhile, hand over (READY, GO, RUNNING) as usual, and end
 * with POSTCOPY_END once every page went and RUNNING came. */
static int serve(struct mig *m)
{
	uint64_t next = 0;
	int state = 0, rc = 0, sndbuf = POSTCOPY_SNDBUF;

	phase(m, "postcopy");
	/* Why a small send buffer: an answer to a fault queues behind the
	 * pushed pages still in it, so the buffer bounds how long a vCPU of
	 * the destination waits. */
	setsockopt(m->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	while (!rc && state != 3) {
		struct pollfd pfd = { .fd = m->fd, .events = POLLIN };
		/* Why push only once it runs there: until then the restore is
		 * the downtime, and only the pages it touches are worth sending. */
		int more = state >= 1 && next < m->log.npages, n;

		if (state == 1 && next >= m->log.npages) {
			rc = wire_send(&m->w, WIRE_POSTCOPY_END, NULL, 0);
			state = 2;
			continue;
		}
		n = poll(&pfd, 1, more ? 0 : WIRE_IO_TIMEOUT_MS);
		if (n < 0 && errno != EINTR)
			rc = -errno;
		else if (n > 0)
			rc = serve_frame(m, &state);
		else if (!n && more)
			rc = push_some(m, &next);
		else if (!n)
			rc = fail(m, -ETIMEDOUT, "post-copy: no word from the destination for %d s",
				  WIRE_IO_TIMEOUT_MS / 1000);
	}
	return rc ? wire_fail(m, rc, "post-copy") : 0;
}

static int final_pass(struct mig *m)
{
	int64_t ns;
	int rc;

	phase(m, "final");
	m->pause_ns = clock_ns();
	ns = vm_pause(m->vm);
	if (ns < 0)
		return fail(m, (int)ns, "cannot pause the guest: %s", strerror((int)-ns));
	m->paused = 1;
	rc = m->postcopy_now ? switch_over(m) : send_state(m);
	if (!m->postcopy_now)	/* post-copy: RAM is not all sent yet */
		migrate_dump_ram(m->vm, "src");
	rc = rc ? rc : m->postcopy_now ? serve(m) : hand_over(m);
	m->p.downtime_ms = ((m->t_running ? m->t_running : clock_ns()) - m->pause_ns) / 1000000;
	if (!rc) {	/* where the downtime went */
		m->p.save_ms = (m->t_saved - m->pause_ns) / 1000000;
		m->p.send_ms = (m->t_sent - m->t_saved) / 1000000;
		m->p.restore_ms = (m->t_ready - m->t_sent) / 1000000;
		m->p.go_ms = m->p.downtime_ms - m->p.save_ms - m->p.send_ms - m->p.restore_ms;
	}
	return rc;
}

/* ---- the thread ---- */

static int migrate(struct mig *m)
{
	int rc;

	phase(m, "connect");
	rc = dial(m);
	if (!rc && (rc = wire_init(&m->w, m->fd, WIRE_IO_TIMEOUT_MS)))
		return fail(m, rc, "out of memory");
	phase(m, "handshake");
	rc = rc ? rc : wire_handshake(&m->w, 1, m->o.secured ? m->o.secret : NULL);
	if (rc)
		return wire_fail(m, rc, "authentication");
	rc = send_begin(m);
	rc = rc ? rc : check_profile(m);
	rc = rc ? rc : precopy(m);
	return rc ? rc : final_pass(m);
}

/* A destination that failed after it attached our disk, tap or CID holds
 * them until its process has ended: try again for a few seconds. */
static int reacquire(struct vm *vm)
{
	for (int i = 0; i < 20; i++) {
		if (!devices_acquire(vm))
			return 0;
		usleep(250000);
	}
	return -EBUSY;
}

int migrate_abort(char *err, size_t errlen)
{
	struct vm *vm;
	int released, rc = 0;

	pthread_mutex_lock(&lock);
	vm = held.vm, released = held.released;
	pthread_mutex_unlock(&lock);
	if (!vm) {
		snprintf(err, errlen, "no migration hand-over is waiting");
		return -ENOENT;
	}
	if (released && (rc = reacquire(vm))) {
		snprintf(err, errlen, "the devices' host resources are still held elsewhere "
			 "(see the log); the guest stays paused");
		return rc;
	}
	if ((rc = vm_resume(vm))) {
		snprintf(err, errlen, "cannot resume the guest: %s", strerror(-rc));
		return rc;
	}
	pthread_mutex_lock(&lock);
	held.vm = NULL;
	shared.phase = "aborted";
	pthread_mutex_unlock(&lock);
	log_msg("migration aborted by the operator: the guest runs here again");
	return 0;
}

/* May the guest run here again after failure @rc? Before GO, yes: the
 * destination runs it only after GO. After GO, only if the destination
 * said it did not start it (its ERROR frame): a lost link or a silent
 * peer may mean the guest runs there, on the same disk. */
static int may_resume(const struct mig *m, int rc)
{
	return !m->go_sent || rc == -ECONNABORTED;
}

/* Keep the guest paused for the operator (migrate_abort) and say why. */
static void hold(struct mig *m, const char *why)
{
	pthread_mutex_lock(&lock);
	held.vm = m->vm;
	held.released = m->released;
	pthread_mutex_unlock(&lock);
	snprintf(m->p.error + strlen(m->p.error), sizeof(m->p.error) - strlen(m->p.error),
		 "; the guest stays paused here: %s", why);
	m->p.phase = "unresolved";
}

static void cleanup(struct mig *m, int rc)
{
	if (rc && m->paused && !may_resume(m, rc)) {
		hold(m, "it may be running on the destination. If it is not, "
		     "'itsy ctl ... migrate-abort' resumes it here; if it is, 'quit' this itsy");
	} else if (rc && m->released && reacquire(m->vm)) {
		/* Why not resume: another process holds the disk, tap or CID. */
		hold(m, "its devices did not get their host resources back (see above); "
		     "'itsy ctl ... migrate-abort' tries again");
	} else if (rc && m->paused && vm_resume(m->vm)) {
		fail(m, rc, "cannot resume the guest");
	}
	/* Why after resuming: telling the peer may wait on a dead link. */
	if (rc && m->fd >= 0 && may_resume(m, rc))
		wire_send_error(&m->w, m->p.error[0] ? m->p.error : "the source gave up");
	if (m->logging) {
		devices_log_dirty(m->vm, NULL);
		dirty_stop(&m->log);
	}
	if (m->disks_logging)	/* why first: the devices stop marking, then it goes */
		devices_log_disks(m->vm, NULL, 0);
	for (unsigned d = 0; d < m->disks.n; d++)
		disk_log_free(&m->disks.log[d]);
	disk_out_free(&m->disks);
	wire_free(&m->w);
	if (m->fd >= 0)
		close(m->fd);
	pages_free(&m->batch);
	free(m->todo);
}

static void *migrate_thread(void *arg)
{
	struct mig *m = arg;
	int rc = sandbox_enter(SANDBOX_MIGRATION);

	rc = rc ? fail(m, rc, "cannot confine the migration thread (seccomp)") : migrate(m);

	m->p.total_ms = (clock_ns() - m->start_ns) / 1000000;
	m->p.phase = rc ? "failed" : "done";
	cleanup(m, rc);
	/* Why report before asking to exit: the process may end at once. */
	publish(m, 1);
	if (!rc)
		vm_request_exit(m->vm, VM_EXIT_POWEROFF, "the guest migrated to %s",
				m->o.uri + 4);
	else if (migrate_held())
		log_msg("migration to %s: no answer after the go-ahead: %s", m->o.uri + 4,
			m->p.error);
	else
		log_msg("migration to %s failed, the guest keeps running here: %s",
			m->o.uri + 4, m->p.error);
	pthread_mutex_lock(&lock);
	running = 0;
	pthread_mutex_unlock(&lock);
	free(m);
	return NULL;
}

int migrate_start(struct vm *vm, const struct migrate_opts *o, migrate_report_fn report,
		  void *ctx, char *err, size_t errlen)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	struct mig *m;
	pthread_t t;

	if (migrate_sockaddr(o->uri, &sa, &salen)) {
		snprintf(err, errlen, "'%s' is not tcp:IP:PORT (an IPv4 or IPv6 address; names "
			 "are not resolved)", o->uri);
		return -EINVAL;
	}
	if (migrate_held()) {
		snprintf(err, errlen, "a hand-over is unresolved: see 'status'; 'migrate-abort' first");
		return -EBUSY;
	}
	pthread_mutex_lock(&lock);
	m = running ? NULL : calloc(1, sizeof(*m));
	if (m) {
		running = 1;
		memset(&shared, 0, sizeof(shared));
		shared.phase = "connect";
	}
	pthread_mutex_unlock(&lock);
	if (!m) {
		snprintf(err, errlen, "a migration is already running");
		return -EBUSY;
	}
	*m = (struct mig){ .vm = vm, .o = *o, .report = report, .ctx = ctx, .fd = -1,
			   .start_ns = clock_ns() };
	if (!m->o.max_downtime_ms)
		m->o.max_downtime_ms = MIGRATE_DEFAULT_DOWNTIME_MS;
	if (pthread_create(&t, NULL, migrate_thread, m)) {
		free(m);
		pthread_mutex_lock(&lock);
		running = 0;
		pthread_mutex_unlock(&lock);
		snprintf(err, errlen, "cannot start the migration thread");
		return -EAGAIN;
	}
	pthread_detach(t);
	return 0;
}
