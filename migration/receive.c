#include "migration/receive.h"
#include "devices/virtio-blk/blk.h"
#include "arch/arm64/board.h"
#include "arch/arm64/profile.h"
#include "migration/config_state.h"
#include "migration/disk_copy.h"
#include "migration/migrate.h"
#include "migration/pages.h"
#include "migration/postcopy.h"
#include "migration/snapshot.h"
#include "migration/stream.h"
#include "migration/wire.h"
#include "vmm/clock.h"
#include "vmm/config.h"
#include "vmm/log.h"
#include "vmm/regset.h"
#include "vmm/vm.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>


struct incoming {
	struct vm *vm;
	struct run_config cfg;
	struct wire w;
	const struct receive_opts *o;
	uint64_t data_pages, zero_pages;
	unsigned passes;
	uint64_t decode_ns, disks_ns, attach_ns, apply_ns;	/* the restore's steps */
	/* The final pass: pages after the last PASS_END, and the time from
	 * its first frame to the state (what the source's pause waits on). */
	uint64_t final_pages, final_first_ns, final_ns;
	struct regset_list host;	/* this host's profile, probed on vm */
	struct disk_in disks;		/* the source's --with-disks */
	int with_disks;
	struct postcopy_in pc;		/* the source switched to post-copy */
	int postcopy;
	const char *step;	/* what failed */
	char err[1024];		/* why */
};

/* Test hook: ITSY_TEST_DIE_AT=PHASE kills this process there, as a crash
 * or an operator's kill -9 would. */
static void maybe_die(const char *phase)
{
	const char *at = getenv("ITSY_TEST_DIE_AT");

	if (at && !strcmp(at, phase)) {
		log_msg("ITSY_TEST_DIE_AT=%s: killing myself", phase);
		raise(SIGKILL);
	}
}

/* ITSY_TEST_DIE_AT=go-refuse: after GO, tell the source the guest will not
 * start here (as when its devices fail), and end. */
static int test_refuse_after_go(void)
{
	const char *at = getenv("ITSY_TEST_DIE_AT");

	return at && !strcmp(at, "go-refuse");
}

/* ---- listening ---- */

static int listen_on(const char *uri)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	int fd, one = 1, rc;

	if (migrate_sockaddr(uri, &sa, &salen)) {
		log_msg("--listen '%s': want tcp:IP:PORT (an IPv4 address, or IPv6 in brackets)", uri);
		return -EINVAL;
	}
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	rc = fd < 0 || bind(fd, (struct sockaddr *)&sa, salen) || listen(fd, WIRE_ACCEPT_MAX) ? -errno : 0;
	if (rc) {
		log_msg("--listen '%s': %s", uri, strerror(-rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	log_msg("waiting for a guest on %s", uri + 4);
	return fd;
}

static void refused(const char *why)
{
	log_msg("a connection was refused: %s", why);
}

/* The first connection that authenticates; a few handshakes run at once,
 * each bounded in time, so a slow or hostile peer cannot keep a real
 * source out (wire_accept). */
static int accept_source(struct incoming *in, int lfd, const uint8_t *secret)
{
	return wire_accept(&in->w, lfd, secret, refused);
}

/* ---- the steps ---- */

static int fail(struct incoming *in, int rc, const char *what)
{
	if (in->step)
		return rc;	/* the first failure is the one to tell */
	in->step = what;
	if (!in->err[0])
		snprintf(in->err, sizeof(in->err), "%s", in->w.err[0] ? in->w.err : strerror(-rc));
	return rc;
}

/* The source's --with-disks: this host's disks, opened or created now,
 * because the devices' checks and the VM need them to exist. */
static int open_disks(struct incoming *in, const struct named_regset *d)
{
	static char paths[DISK_COPY_MAX][4096];
	const char *p[DISK_COPY_MAX];
	unsigned n = 0;
	int ro;

	in->with_disks = d != NULL;
	for (unsigned j = 0; d && j < in->cfg.ndevices && n < DISK_COPY_MAX; j++) {
		const struct device_config *c = &in->cfg.devices[j];

		if (!c->kind || strcmp(c->kind, blk_kind.name))
			continue;
		p[n] = blk_arg_path(c->arg, paths[n], sizeof(paths[n]), &ro) ? NULL : paths[n];
		n++;
	}
	if (!d)
		return 0;
	return disk_in_open(&in->disks, &d->set, d->version, p, config_count(&in->cfg, blk_kind.name),
			    in->err, sizeof(in->err));
}

/* BEGIN: the guest's config; the VM is built from it. */
static int build(struct incoming *in)
{
	struct regset_list l = { 0 };
	const struct named_regset *c;
	const uint8_t *p;
	size_t len;
	int rc = wire_expect(&in->w, WIRE_BEGIN, &p, &len);

	if (rc)
		return fail(in, rc, "waiting for the guest's configuration");
	rc = snapshot_decode(p, len, &l, NULL, NULL, in->err, sizeof(in->err));
	c = rc ? NULL : regset_list_find(&l, "config");
	if (!rc && !c)
		snprintf(in->err, sizeof(in->err), "no 'config' section"), rc = -EINVAL;
	if (!rc)
		rc = config_state_load(&c->set, c->version, &in->cfg, in->err, sizeof(in->err));
	if (!rc && in->o->prepare)
		rc = in->o->prepare(&in->cfg, in->o->ctx, in->err, sizeof(in->err));
	if (!rc)
		rc = open_disks(in, regset_list_find(&l, DISK_COPY_SECTION));
	regset_list_free(&l);
	if (!rc && in->o->check)
		rc = in->o->check(&in->cfg, in->err, sizeof(in->err));
	if (rc)
		return fail(in, rc, "the guest's configuration");
	in->vm->cfg = &in->cfg;
	log_last_clear();
	rc = board_create(in->vm, &in->cfg, BOARD_MEMORY_INCOMING);
	if (rc)
		snprintf(in->err, sizeof(in->err), "refused: the VM could not be built here: %s",
			 log_last()[0] ? log_last() : strerror(-rc));
	return rc ? fail(in, rc, "building the VM") : 0;
}

/* Probed once, here; the final check uses it again (no probing while
 * the guest is down). */
static int send_profile(struct incoming *in)
{
	struct stream_writer sw;
	int rc = profile_probe(in->vm, &in->host, 0);

	if (!rc && !(rc = stream_writer_init(&sw))) {
		rc = snapshot_encode(&in->host, &sw);
		rc = rc ? rc : wire_send(&in->w, WIRE_PROFILE, stream_writer_data(&sw),
					 stream_writer_len(&sw));
		stream_writer_free(&sw);
	}
	return rc ? fail(in, rc, "sending this host's profile") : 0;
}

/* Post-copy lost its link once the guest may run here: the guest cannot
 * go on (its next touch of a page still on the source would never end). */
static void postcopy_lost(void *ctx, const char *why)
{
	vm_request_exit(ctx, VM_EXIT_ERROR, "post-copy: the link to the source failed (%s): the "
			"guest's memory is not all here, it cannot go on", why);
}

/* Pages until STATE; the state is left in the wire's buffer. */
static int take_pages(struct incoming *in, const uint8_t **state, size_t *slen)
{
	uint64_t data, zero;
	uint8_t type;
	int rc;

	while (!(rc = wire_recv(&in->w, &type, state, slen))) {
		if (type == WIRE_STATE) {
			in->final_ns = in->final_first_ns ? clock_ns() - in->final_first_ns : 0;
			return 0;
		}
		if (type == WIRE_PASS_END) {
			in->passes++;
			in->final_pages = in->final_first_ns = 0;
			continue;
		}
		if (type == WIRE_DISK && in->with_disks) {
			rc = disk_in_apply(&in->disks, *state, *slen, in->err, sizeof(in->err));
			if (rc)
				return fail(in, rc, "the guest's disks");
			continue;
		}
		if (type == WIRE_POSTCOPY && !in->postcopy) {
			rc = postcopy_in_prepare(&in->pc, in->vm->ram.hva, in->vm->ram.size,
						 (uint32_t)sysconf(_SC_PAGESIZE), *state, *slen, in->err,
						 sizeof(in->err));
			if (rc)
				return fail(in, rc, "switching to post-copy");
			in->postcopy = 1;
			in->pc.lost = postcopy_lost;
			in->pc.ctx = in->vm;
			continue;
		}
		if (type == WIRE_ERROR) {
			snprintf(in->err, sizeof(in->err), "the source gave up: %.*s", (int)*slen,
				 (const char *)*state);
			return fail(in, -ECONNABORTED, "receiving memory");
		}
		if (type != WIRE_PAGES) {
			snprintf(in->err, sizeof(in->err), "unexpected %s message", wire_type_name(type));
			return fail(in, -EPROTO, "receiving memory");
		}
		maybe_die("precopy");
		rc = pages_apply(*state, *slen, in->vm->ram.hva, in->vm->ram.size,
				 (uint32_t)sysconf(_SC_PAGESIZE), &data, &zero, in->err,
				 sizeof(in->err));
		if (rc)
			return fail(in, rc, "guest memory");
		in->data_pages += data;
		in->zero_pages += zero;
		in->final_pages += data + zero;
		if (!in->final_first_ns)
			in->final_first_ns = clock_ns();
	}
	return fail(in, rc, "receiving memory");
}

/* Test hook: ITSY_MIGRATE_DUMP_DISKS=DIR copies each disk as it arrived,
 * at the hand-over, to DIR/dst-diskN.img (the source's disk, which it no
 * longer writes, must equal it). */
static void dump_disks(const struct incoming *in)
{
	const char *dir = getenv("ITSY_MIGRATE_DUMP_DISKS");
	char path[512];

	for (unsigned i = 0; dir && i < in->disks.n; i++) {
		snprintf(path, sizeof(path), "%s/dst-disk%u.img", dir, i);
		if (disk_in_copy(&in->disks, i, path))
			log_msg("ITSY_MIGRATE_DUMP_DISKS: cannot write %s", path);
	}
}

/* Post-copy: the link is the post-copy threads' from the state on (the
 * restore itself may touch held pages: the ITS tables are read from RAM).
 * Why decode first: the state is in the wire's buffer, which the
 * receiver thread reuses. */
static int start_postcopy(struct incoming *in)
{
	int rc = in->postcopy ? postcopy_in_start(&in->pc, &in->w) : 0;

	if (rc)
		snprintf(in->err, sizeof(in->err), "post-copy: cannot start its threads");
	return rc;
}

static int restore_state(struct incoming *in, const uint8_t *p, size_t len)
{
	struct regset_list l = { 0 };
	uint64_t t = clock_ns();
	int rc = snapshot_decode(p, len, &l, NULL, NULL, in->err, sizeof(in->err));

	in->decode_ns = clock_ns() - t;
	rc = rc ? rc : start_postcopy(in);
	t = clock_ns();
	/* Why before attaching: the disks the devices open must hold all that
	 * came, on stable storage, before the guest may run here. */
	if (!rc && in->with_disks) {
		dump_disks(in);
		rc = disk_in_finish(&in->disks, in->err, sizeof(in->err));
	}
	in->disks_ns = clock_ns() - t;
	t = clock_ns();
	/* Why now: the source let go of the disks, tap and vsock CID just
	 * before it sent the state. */
	if (!rc && (rc = in->o->attach(in->vm, &in->cfg)))
		snprintf(in->err, sizeof(in->err), "the devices could not be set up here (see above)");
	in->attach_ns = clock_ns() - t;
	t = clock_ns();
	if (!rc)
		rc = snapshot_apply(in->vm, &l, VCPU_TIME_CATCH_UP, &in->host, in->err,
				    sizeof(in->err));
	in->apply_ns = clock_ns() - t;
	regset_list_free(&l);
	return rc ? fail(in, rc, "restoring the guest") : 0;
}

/* After GO, a failure is told to the source (it may resume the guest)
 * unless the link itself is what failed; then the source stays paused
 * until its operator decides (migrate-abort), see migrate.h. */
static int refuse_after_go(struct incoming *in, int rc, const char *what)
{
	char msg[600];

	snprintf(msg, sizeof(msg), "the destination did not start the guest: %s", what);
	if (in->postcopy)
		postcopy_in_send(&in->pc, WIRE_ERROR, msg, strlen(msg));
	else
		wire_send_error(&in->w, msg);
	return fail(in, rc, what);
}

/* An empty frame; with post-copy three threads send on the link. */
static int send_frame(struct incoming *in, uint8_t type)
{
	return in->postcopy ? postcopy_in_send(&in->pc, type, NULL, 0) :
	       wire_send(&in->w, type, NULL, 0);
}

/* GO; with post-copy it comes through the receiver thread. */
static int wait_go(struct incoming *in)
{
	int rc = in->postcopy ? postcopy_in_wait_go(&in->pc) :
		 wire_expect(&in->w, WIRE_GO, NULL, NULL);

	if (rc && in->postcopy)
		snprintf(in->err, sizeof(in->err), "%s", in->pc.err);
	return rc;
}

/* READY, then GO, then the device threads, then RUNNING: the vCPUs start
 * (vm_run) only once the source knows it must not resume. */
static int take_over(struct incoming *in)
{
	int rc = send_frame(in, WIRE_READY);

	rc = rc ? rc : wait_go(in);
	if (rc)
		return fail(in, rc, "waiting for the source's go-ahead");
	maybe_die("go");
	if (test_refuse_after_go())
		return refuse_after_go(in, -ECANCELED, "ITSY_TEST_DIE_AT=go-refuse");
	rc = devices_resume(in->vm);
	if (rc)
		return refuse_after_go(in, rc, "starting the devices");
	rc = send_frame(in, WIRE_RUNNING);
	return rc ? fail(in, rc, "confirming to the source") : 0;
}

static int receive(struct incoming *in, int lfd, const uint8_t *secret)
{
	const uint8_t *state;
	size_t slen;
	int rc = accept_source(in, lfd, secret);

	if (rc)
		return fail(in, rc, "accepting a connection");
	maybe_die("handshake");
	rc = build(in);
	rc = rc ? rc : send_profile(in);
	rc = rc ? rc : take_pages(in, &state, &slen);
	if (!rc) {
		maybe_die("final");
		if (!in->postcopy)	/* why not: held pages would wait forever */
			migrate_dump_ram(in->vm, "dst");
	}
	rc = rc ? rc : restore_state(in, state, slen);
	if (!rc && in->o->ready && in->o->ready(in->vm, in->o->ctx)) {
		snprintf(in->err, sizeof(in->err), "see above");
		rc = -EINVAL;
	}
	if (rc && !in->w.err[0]) {
		char msg[1200];

		snprintf(msg, sizeof(msg), "the destination: %s: %s", in->step ? in->step : "?", in->err);
		if (in->pc.threads)
			postcopy_in_send(&in->pc, WIRE_ERROR, msg, strlen(msg));
		else
			wire_send_error(&in->w, msg);
	}
	return rc ? rc : take_over(in);
}

static int load_secret(const struct receive_opts *o, uint8_t *secret)
{
	char err[512];

	if (o->secret_file && o->insecure) {
		log_msg("receive: --secret-file and --insecure exclude each other");
		return -EINVAL;
	}
	if (o->insecure)
		return 0;
	if (!o->secret_file) {
		log_msg("receive: a migration secret is needed: --secret-file PATH (or "
			"ITSY_MIGRATION_SECRET_FILE), or --insecure on a trusted network");
		return -EINVAL;
	}
	if (wire_secret_load(o->secret_file, secret, err, sizeof(err))) {
		log_msg("receive: %s", err);
		return -EINVAL;
	}
	return 1;
}

int receive_listen(const struct receive_opts *o, uint8_t secret[WIRE_KEY_LEN], int *secured)
{
	*secured = load_secret(o, secret);
	return *secured < 0 ? -EINVAL : listen_on(o->listen);
}

int receive_guest(struct vm *vm, const struct receive_opts *o, int lfd,
		  const uint8_t *secret, struct run_config **cfg)
{
	static struct incoming in;
	int fd;

	in.vm = vm;
	in.o = o;
	if (receive(&in, lfd, secret)) {
		postcopy_in_abort(&in.pc);
		disk_in_abort(&in.disks);
		log_msg("incoming migration failed, no guest runs here: %s: %s",
			in.step ? in.step : "?", in.err);
		return -EIO;
	}
	if (in.with_disks)
		log_msg("the guest's disks arrived: %llu bytes of data, %llu bytes zeroed; "
			"written to stable storage in %llu us", (unsigned long long)in.disks.data_bytes,
			(unsigned long long)in.disks.zero_bytes, (unsigned long long)in.disks_ns / 1000);
	log_msg("the guest arrived: %llu pages with data, %llu zero, %u passes; restore: "
		"decode %llu us, devices %llu us, state %llu us; final pass: %llu pages in %llu us",
		(unsigned long long)in.data_pages, (unsigned long long)in.zero_pages, in.passes,
		(unsigned long long)in.decode_ns / 1000, (unsigned long long)in.attach_ns / 1000,
		(unsigned long long)in.apply_ns / 1000, (unsigned long long)in.final_pages,
		(unsigned long long)in.final_ns / 1000);
	fd = in.w.fd;
	if (!in.postcopy) {	/* else the receiver thread ends the link */
		wire_free(&in.w);
		close(fd);
	}
	*cfg = &in.cfg;
	return 0;
}
