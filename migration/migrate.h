/* Live migration, source side: "itsy ctl ... migrate tcp:HOST:PORT" asks
 * a running itsy to move its guest to an "itsy receive" (receive.h).
 *
 * The order, and why:
 *  1. Connect and authenticate (wire.h): nothing is sent before the peer
 *     proved it knows the secret.
 *  2. Handshake: send the guest's config; the destination builds the VM
 *     and answers with its host profile; compat_check() decides, before
 *     the guest is paused or any of its memory leaves the host.
 *  3. Pre-copy: log dirty pages (vmm/dirty.h), send all of RAM, then what
 *     changed, pass after pass, until what is left fits the downtime
 *     budget. Passes that stop shrinking give up instead. With
 *     --with-disks, each pass sends the disks' changes before RAM's
 *     (the first pass: all their data), and the budget counts both.
 *  4. Final pass: pause (vCPUs, then devices: disks flushed), save the
 *     state (GIC pending and ITS tables go into RAM), then the disks'
 *     last changes, then the pages dirtied since the last pass, which
 *     include those tables; then the state itself.
 *  5. The destination restores and says READY; GO; it starts the guest
 *     and says RUNNING; only then does this process end, with status 0.
 * Post-copy (--postcopy, --postcopy-after) changes 4 and 5: the pages the
 * guest dirtied since the last pass stay here ("held": their bitmap goes
 * in a POSTCOPY frame), only what saving the state wrote goes with it;
 * then this side answers the destination's page requests first and pushes
 * the other held pages meanwhile, hands over as above, and ends once every
 * page went (POSTCOPY_END) and the destination said OK. From GO on the
 * guest's memory is on both hosts: losing either, or the link, loses the
 * guest (it stays paused here, "unresolved", with stale memory).
 * The hand-over is fenced, so the guest never runs on both hosts:
 *  - a failure before GO resumes the guest here, unharmed (the destination
 *    runs it only after GO);
 *  - after GO, only the destination's explicit refusal (an ERROR frame:
 *    it did not start the guest) resumes it here;
 *  - after GO, anything else (the link lost, no answer in time) leaves
 *    the guest paused here, phase "unresolved": the destination may be
 *    running it. The operator decides: migrate_abort() ("itsy ctl ...
 *    migrate-abort") resumes it here, quitting this itsy leaves it there;
 *  - taking the disk, tap or vsock CID back after a failure that failed
 *    too also holds the guest paused, for migrate_abort() to retry.
 * While held, no other migration starts and "resume" is refused. */
#ifndef ITSY_MIGRATE_H
#define ITSY_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

struct vm;

#define MIGRATE_DEFAULT_DOWNTIME_MS	300
/* What the final pass costs besides the last dirty pages, in the expected
 * downtime: pausing, saving the vCPU, GIC, ITS and device state, the
 * destination's restore and the READY/GO round trip. Tens of ms on
 * hardware (the measured split of each migration shows it). Why counted:
 * without it a budget below that cost looked met by a clean last pass,
 * and the migration went through well over it. */
#define MIGRATE_FINAL_FIXED_MS		20

struct migrate_opts {
	char uri[256];			/* tcp:HOST:PORT */
	uint64_t max_downtime_ms;
	uint8_t secret[32];		/* hash of the secret file */
	int secured;			/* 0: --insecure */
	/* --with-disks: the disks go too (migration/disk_copy.h), beside
	 * RAM, pass after pass; the last changes in the final pass. */
	int with_disks;
	/* --postcopy: when pre-copy stops converging, the guest starts on the
	 * destination at once and its last dirty pages follow (postcopy.h);
	 * --postcopy-after N: after N passes at the latest. 0: off. */
	int postcopy;
	unsigned postcopy_after;
};

/* What a migration is doing (for progress lines and "status"). */
struct migrate_progress {
	const char *phase;		/* connect, handshake, precopy, final, postcopy, done, failed,
					 * unresolved (held paused, see above), aborted */
	unsigned pass;
	uint64_t dirty_pages, page_size;
	uint64_t disk_dirty_bytes;	/* --with-disks: changed since the last pass */
	uint64_t disk_bytes;		/* --with-disks: disk payload sent so far */
	uint64_t postcopy_pages;	/* post-copy: pages held at the switch */
	uint64_t demand_pages;		/* post-copy: of which asked for on a fault */
	double rate_mbps;		/* MB/s of the last pass */
	uint64_t expected_downtime_ms;
	uint64_t bytes_sent;
	uint64_t total_ms, downtime_ms;	/* when done */
	/* Where the downtime went: pause and save, the last pages and the
	 * state on the wire, the destination's restore, the go-ahead. */
	uint64_t save_ms, send_ms, restore_ms, go_ms;
	char error[768];		/* when failed */
};

/* Called from the migration thread at each step and once at the end
 * (@final 1: progress says done or failed). */
typedef void (*migrate_report_fn)(void *ctx, const struct migrate_progress *p, int final);

/* Start migrating @vm on a thread of its own. -EBUSY while one runs,
 * -EINVAL for a bad URI (message in @err). @report hears of progress. On
 * success the VM is asked to exit with status 0 (vm_request_exit). */
int migrate_start(struct vm *vm, const struct migrate_opts *o, migrate_report_fn report,
		  void *ctx, char *err, size_t errlen);

/* Whether one runs, and its progress (or the last one's) if so (@p may be
 * NULL). */
int migrate_running(struct migrate_progress *p);

/* 1 while an unresolved hand-over holds the guest paused. */
int migrate_held(void);

/* The operator says the destination does not run the guest: take the
 * devices' host resources back and resume it here. -ENOENT when nothing is
 * held, -EBUSY (guest still paused) when the resources are still taken;
 * a message in @err. Main thread. */
int migrate_abort(char *err, size_t errlen);

/* "tcp:HOST:PORT" into @host and @port. -EINVAL. */
int migrate_parse_uri(const char *uri, char *host, size_t hostlen, char *port, size_t portlen);

/* "tcp:IP:PORT" (IPv4, or IPv6 in brackets) as a socket address. Names
 * are not resolved: the binary is static, without NSS. -EINVAL. */
struct sockaddr_storage;
int migrate_sockaddr(const char *uri, struct sockaddr_storage *sa, unsigned *len);

/* Test hook: with ITSY_MIGRATE_DUMP=DIR set, write @vm's RAM to
 * DIR/@side.ram; both ends call it when the final state has gone (source)
 * or arrived (destination), so the two files must be equal. */
void migrate_dump_ram(struct vm *vm, const char *side);

#endif
