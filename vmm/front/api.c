#include "vmm/front/api.h"
#include "migration/migrate.h"
#include "migration/snapshot.h"
#include "migration/wire.h"
#include "vmm/front/api_request.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define REQUEST_MAX	API_REQUEST_MAX
#define REQUEST_TIMEOUT_MS	2000		/* a client has this long to send */
#define REPLY_TIMEOUT_MS	600000		/* a snapshot may take a while */
#define CTL_UNRESOLVED		3		/* ctl migrate: paused here, see migrate.h */

struct api {
	struct vm *vm;
	int fd;
};

static void write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n <= 0)
			return;
		s += n;
		len -= n;
	}
}

/* ---- server ---- */

static json_t *reply_error(const char *fmt, const char *arg)
{
	char msg[1536];

	snprintf(msg, sizeof(msg), fmt, arg);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *cmd_pause(struct vm *vm, const struct api_request *req)
{
	int64_t ns;

	(void)req;
	if (vm->paused)
		return reply_error("the guest is already %s", "paused");
	ns = vm_pause(vm);
	if (ns < 0)
		return reply_error("cannot pause: %s", strerror((int)-ns));
	vm->paused = 1;
	return json_pack("{s:b, s:I}", "ok", 1, "pause_us", (json_int_t)(ns / 1000));
}

static json_t *cmd_resume(struct vm *vm, const struct api_request *req)
{
	int rc;

	(void)req;
	if (migrate_held())
		return reply_error("a migration hand-over is unresolved: the guest may run on the "
				   "destination; %s", "'migrate-abort' resumes it here once you know it does not");
	if (!vm->paused)
		return reply_error("the guest is already %s", "running");
	rc = vm_resume(vm);
	vm->paused = 0;
	return rc ? reply_error("resume: %s", strerror(-rc)) : json_pack("{s:b}", "ok", 1);
}

static json_t *progress_json(const struct migrate_progress *p)
{
	return json_pack("{s:s, s:i, s:I, s:f, s:f, s:I, s:I, s:I, s:I}", "phase",
			 p->phase ? p->phase : "", "pass", (int)p->pass,
			 "dirty_pages", (json_int_t)p->dirty_pages,
			 "dirty_mib", p->dirty_pages * (double)p->page_size / 1048576.0,
			 "rate_mbps", p->rate_mbps,
			 "expected_downtime_ms", (json_int_t)p->expected_downtime_ms,
			 "bytes_sent", (json_int_t)p->bytes_sent,
			 "disk_dirty_bytes", (json_int_t)p->disk_dirty_bytes,
			 "disk_bytes", (json_int_t)p->disk_bytes);
}

static json_t *cmd_status(struct vm *vm, const struct api_request *req)
{
	struct migrate_progress p;
	json_t *r;

	int running = migrate_running(&p), held = migrate_held();

	(void)req;
	r = json_pack("{s:b, s:s, s:i, s:I, s:i}", "ok", 1,
		      "state", vm->paused || held ? "paused" : "running",
		      "vcpus", (int)vm->ncpus, "memory_bytes", (json_int_t)vm->ram.size,
		      "devices", (int)vm->ndevices);
	if (r && (running || held))
		json_object_set_new(r, "migration", progress_json(&p));
	if (r && held)
		json_object_set_new(json_object_get(r, "migration"), "error", json_string(p.error));
	return r;
}

/* The operator says the destination does not run the guest (migrate.h). */
static json_t *cmd_migrate_abort(struct vm *vm, const struct api_request *req)
{
	char err[512];

	(void)vm;
	(void)req;
	if (migrate_abort(err, sizeof(err)))
		return reply_error("migrate-abort: %s", err);
	return json_pack("{s:b}", "ok", 1);
}

/* Pause (if running), write the snapshot, and stay paused. */
static json_t *cmd_snapshot(struct vm *vm, const struct api_request *req)
{
	const char *dir = req->path;
	struct snapshot_split t;
	char err[1024];
	int64_t ns = 0;
	int rc;

	if (!vm->paused && (ns = vm_pause(vm)) < 0)
		return reply_error("cannot pause: %s", strerror((int)-ns));
	vm->paused = 1;
	rc = snapshot_save(vm, dir, &t, err, sizeof(err));
	if (rc)
		return reply_error("snapshot failed, the guest stays paused: %s", err);
	return json_pack("{s:b, s:s, s:I, s:I, s:I, s:I}", "ok", 1, "path", dir,
			 "pause_us", (json_int_t)(ns / 1000), "collect_us", (json_int_t)t.collect_us,
			 "memory_us", (json_int_t)t.memory_us, "state_us", (json_int_t)t.state_us);
}

/* ---- migrate: answers over time, on the connection it keeps ---- */

static void send_line(int fd, json_t *j)
{
	char *out = json_dumps(j, JSON_COMPACT);

	if (out) {
		write_all(fd, out, strlen(out));
		write_all(fd, "\n", 1);
	}
	free(out);
	json_decref(j);
}

/* On the migration thread: one line per step, the last says ok or not. */
static void report_migration(void *ctx, const struct migrate_progress *p, int final)
{
	int fd = (int)(intptr_t)ctx;

	if (!final) {
		send_line(fd, json_pack("{s:o}", "progress", progress_json(p)));
		return;
	}
	if (p->error[0])
		send_line(fd, json_pack("{s:b, s:s, s:b}", "ok", 0, "error", p->error,
					"unresolved", migrate_held()));
	else
		send_line(fd, json_pack("{s:b, s:I, s:I, s:I, s:I, s:i, s:I, s:I, s:{s:I, s:I, s:I, s:I}}",
					"ok", 1, "total_ms", (json_int_t)p->total_ms,
					"downtime_ms", (json_int_t)p->downtime_ms,
					"bytes_sent", (json_int_t)p->bytes_sent,
					"disk_bytes", (json_int_t)p->disk_bytes, "passes", (int)p->pass + 1,
					"postcopy_pages", (json_int_t)p->postcopy_pages,
					"demand_pages", (json_int_t)p->demand_pages,
					"downtime_split_ms", "save", (json_int_t)p->save_ms,
					"send", (json_int_t)p->send_ms, "restore", (json_int_t)p->restore_ms,
					"go", (json_int_t)p->go_ms));
	close(fd);
}

_Static_assert(sizeof(((struct migrate_opts *)0)->uri) > API_URI_MAX, "uri fits");

static json_t *migrate_opts_from(const struct api_request *req, struct migrate_opts *o)
{
	char err[512];

	memset(o, 0, sizeof(*o));
	snprintf(o->uri, sizeof(o->uri), "%s", req->uri);
	o->max_downtime_ms = req->max_downtime_ms;
	if (!req->insecure && wire_secret_load(req->secret_file, o->secret, err, sizeof(err)))
		return reply_error("%s", err);
	o->secured = !req->insecure;
	o->with_disks = req->with_disks;
	o->postcopy = req->postcopy || req->postcopy_after;
	o->postcopy_after = req->postcopy_after;
	return NULL;
}

static json_t *cmd_migrate(struct vm *vm, const struct api_request *req, int fd)
{
	struct migrate_opts o;
	json_t *bad = migrate_opts_from(req, &o);
	char err[512];

	if (bad)
		return bad;
	if (vm->paused)
		return reply_error("the guest is paused: resume it before migrating%s", "");
	if (migrate_start(vm, &o, report_migration, (void *)(intptr_t)fd, err, sizeof(err)))
		return reply_error("%s", err);
	return NULL;	/* the migration has the connection now */
}

static json_t *cmd_quit(struct vm *vm, const struct api_request *req)
{
	(void)req;
	vm_request_exit(vm, VM_EXIT_POWEROFF, "stopped by a quit command on the API socket");
	return json_pack("{s:b}", "ok", 1);
}

/* What runs each command; migrate answers over time instead (cmd_migrate). */
static json_t *(*const handlers[API_NCOMMANDS])(struct vm *vm, const struct api_request *req) = {
	[API_PAUSE] = cmd_pause,
	[API_RESUME] = cmd_resume,
	[API_STATUS] = cmd_status,
	[API_QUIT] = cmd_quit,
	[API_SNAPSHOT] = cmd_snapshot,
	[API_MIGRATE_ABORT] = cmd_migrate_abort,
};

/* The reply, or NULL when the command kept @fd to answer later. */
static json_t *dispatch(struct vm *vm, const char *line, size_t len, int fd)
{
	struct api_request req;
	char err[512];

	if (api_request_parse(line, len, &req, err, sizeof(err)))
		return reply_error("%s", err);
	if (api_command_pauses(req.command) && migrate_running(NULL))
		return reply_error("a migration is running; %s must wait",
				   api_command_name(req.command));
	if (req.command == API_MIGRATE)
		return cmd_migrate(vm, &req, fd);
	return handlers[req.command](vm, &req);
}

/* Read one line within the timeout into @buf, NUL-terminated without its
 * newline (what came after it is dropped): its length in bytes (it may
 * hold NULs), or -EIO if nothing came, -E2BIG if @len - 1 bytes came
 * without a newline. */
static ssize_t read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char *nl = NULL;
	size_t n = 0;

	while (!nl && n + 1 < len && poll(&p, 1, timeout_ms) == 1) {
		ssize_t r = read(fd, buf + n, len - 1 - n);

		if (r <= 0)
			break;
		nl = memchr(buf + n, '\n', (size_t)r);
		n += (size_t)r;
	}
	buf[n] = 0;
	if (nl)
		*nl = 0;
	if (nl || (n && n + 1 < len))
		return nl ? nl - buf : (ssize_t)n;
	return n ? -E2BIG : -EIO;
}


static void on_connection(void *ctx)
{
	struct api *api = ctx;
	char line[REQUEST_MAX];
	int fd = accept4(api->fd, NULL, NULL, SOCK_CLOEXEC);
	json_t *reply;
	ssize_t n;
	char *out;

	if (fd < 0)
		return;
	n = read_line(fd, line, sizeof(line), REQUEST_TIMEOUT_MS);
	if (n == -E2BIG)
		reply = reply_error("the request line is longer than %s bytes", "4095");
	else if (n < 0)
		reply = reply_error("no request line within %s", "2 s");
	else
		reply = dispatch(api->vm, line, (size_t)n, fd);
	if (!reply)
		return;		/* kept: answered later */
	out = json_dumps(reply, JSON_COMPACT);
	if (out) {
		write_all(fd, out, strlen(out));
		write_all(fd, "\n", 1);
	}
	free(out);
	json_decref(reply);
	close(fd);
}

static int fill_addr(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	strcpy(a->sun_path, path);
	return 0;
}

/* Whether anything answers on the socket at @a: 0 if nobody does (the
 * connection is refused), -EADDRINUSE if something does, else -errno. */
static int probe(const struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)a, sizeof(*a)) ? -errno : -EADDRINUSE;
	close(fd);
	if (rc == -EAGAIN)
		rc = -EADDRINUSE;	/* alive, its backlog full */
	return rc == -ECONNREFUSED ? 0 : rc;
}

/* Whatever is at @a's path may go only if it is a socket nobody answers
 * on, left over from a crash; anything else is refused (with a message).
 * A symbolic link is never followed. */
static int clear_stale(const struct sockaddr_un *a, const char *path)
{
	struct stat st;
	int rc;

	if (lstat(a->sun_path, &st))
		rc = errno == ENOENT ? 0 : -errno;
	else if (!S_ISSOCK(st.st_mode))
		rc = -EEXIST;
	else if (!(rc = probe(a)) && unlink(a->sun_path) && errno != ENOENT)
		rc = -errno;
	if (rc == -EEXIST)
		log_msg("--api-socket: %s exists and is not a socket", path);
	else if (rc == -EADDRINUSE)
		log_msg("--api-socket: another itsy is listening on %s", path);
	else if (rc)
		log_msg("--api-socket '%s': %s", path, strerror(-rc));
	return rc;
}

static int bind_private(int fd, const struct sockaddr_un *a)
{
	mode_t old = umask(0177);	/* the socket is born 0600 */
	int rc = bind(fd, (const struct sockaddr *)a, sizeof(*a)) ? -errno : 0;

	umask(old);
	return rc ? rc : (listen(fd, 4) ? -errno : 0);
}

static int serve(struct vm *vm, const struct sockaddr_un *a)
{
	struct api *api = calloc(1, sizeof(*api));
	int rc = api ? 0 : -ENOMEM;

	if (api) {
		api->vm = vm;
		api->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		rc = api->fd < 0 ? -errno : bind_private(api->fd, a);
	}
	if (!rc)
		rc = vm_watch_fd(vm, api->fd, on_connection, api);
	if (rc && api) {
		if (api->fd >= 0)
			close(api->fd);
		free(api);
	}
	return rc;
}

int api_listen(struct vm *vm, const char *path)
{
	struct sockaddr_un a;
	int rc = fill_addr(path, &a);

	if (rc) {
		log_msg("--api-socket '%s': %s", path, strerror(-rc));
		return rc;
	}
	rc = clear_stale(&a, path);
	if (!rc && (rc = serve(vm, &a)))
		log_msg("--api-socket '%s': %s", path, strerror(-rc));
	return rc;
}

/* ---- client ---- */

/* The request line for @command (+ optional @arg) into @buf. -EINVAL for
 * an unknown command or a missing/extra argument. */
static int request_format(const char *command, const char *arg, char *buf, size_t len)
{
	struct api_request r;
	int rc = api_request_simple(&r, command, arg);

	return rc ? rc : api_request_format(&r, buf, len);
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un a;
	int fd, rc = fill_addr(path, &a);

	if (rc)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	return fd;
}

static const char ctl_usage[] =
	"usage: itsy ctl --api-socket PATH pause|resume|status|quit|snapshot DIR\n"
	"       itsy ctl --api-socket PATH migrate tcp:HOST:PORT [--max-downtime MS]\n"
	"                [--secret-file PATH | --insecure] [--with-disks]\n"
	"                [--postcopy | --postcopy-after PASSES]\n"
	"       itsy ctl --api-socket PATH migrate-abort\n"
	"  The secret file may also come from ITSY_MIGRATION_SECRET_FILE.\n"
	"  migrate exits 0 once the guest runs on the destination, 1 when it runs\n"
	"  on here, 3 when the hand-over is unresolved (see migrate-abort).\n";

/* Print the reply; exit status 0 when it says ok. */
static int show_reply(const char *line)
{
	json_t *r = json_loads(line, 0, NULL);
	int ok = r && json_is_true(json_object_get(r, "ok"));

	if (!r)
		log_msg("ctl: the reply is not JSON: %s", line);
	else if (!ok)
		log_msg("ctl: %s", json_string_value(json_object_get(r, "error")));
	puts(line);
	json_decref(r);
	return ok ? 0 : 1;
}

/* Lines from a stream, keeping what follows each newline. */
struct line_reader {
	char buf[REQUEST_MAX];
	size_t n;
};

static int next_line(int fd, struct line_reader *r, char *out, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char *nl;

	while (!(nl = memchr(r->buf, '\n', r->n))) {
		ssize_t got;

		if (r->n == sizeof(r->buf) || poll(&p, 1, REPLY_TIMEOUT_MS) != 1)
			return -EIO;
		got = read(fd, r->buf + r->n, sizeof(r->buf) - r->n);
		if (got <= 0)
			return -EIO;
		r->n += got;
	}
	*nl = 0;
	snprintf(out, len, "%s", r->buf);
	r->n -= nl + 1 - r->buf;
	memmove(r->buf, nl + 1, r->n);
	return 0;
}

/* "; disks: N MiB sent, M MiB changed" when disks move, else "". */
static const char *disk_text(json_t *p)
{
	static char t[96];
	long long sent = (long long)json_integer_value(json_object_get(p, "disk_bytes"));
	long long dirty = (long long)json_integer_value(json_object_get(p, "disk_dirty_bytes"));

	t[0] = 0;
	if (sent || dirty)
		snprintf(t, sizeof(t), "; disks: %.1f MiB sent, %.1f MiB changed",
			 sent / 1048576.0, dirty / 1048576.0);
	return t;
}

static void show_progress(json_t *p)
{
	const char *phase = json_string_value(json_object_get(p, "phase"));

	if (!phase || strcmp(phase, "precopy") || !json_object_get(p, "rate_mbps"))
		printf("migrate: %s\n", phase ? phase : "?");
	if (phase && !strcmp(phase, "precopy") && json_integer_value(json_object_get(p, "bytes_sent")))
		printf("migrate: pass %lld: %lld pages dirty (%.1f MiB), %.1f MB/s, expected "
		       "downtime %lld ms%s\n", (long long)json_integer_value(json_object_get(p, "pass")),
		       (long long)json_integer_value(json_object_get(p, "dirty_pages")),
		       json_real_value(json_object_get(p, "dirty_mib")),
		       json_real_value(json_object_get(p, "rate_mbps")),
		       (long long)json_integer_value(json_object_get(p, "expected_downtime_ms")),
		       disk_text(p));
	fflush(stdout);
}

static long long split(json_t *j, const char *what)
{
	return (long long)json_integer_value(json_object_get(json_object_get(j, "downtime_split_ms"), what));
}

static void show_done(json_t *j)
{
	printf("migrate: done: total %lld ms, downtime %lld ms, %lld bytes, %lld passes; "
	       "split: save %lld, send %lld, restore %lld, go-ahead %lld (ms)%s\n",
	       (long long)json_integer_value(json_object_get(j, "total_ms")),
	       (long long)json_integer_value(json_object_get(j, "downtime_ms")),
	       (long long)json_integer_value(json_object_get(j, "bytes_sent")),
	       (long long)json_integer_value(json_object_get(j, "passes")),
	       split(j, "save"), split(j, "send"), split(j, "restore"), split(j, "go"),
	       disk_text(j));
	if (json_integer_value(json_object_get(j, "postcopy_pages")))
		printf("migrate: post-copy: %lld pages held at the switch, %lld of them asked for "
		       "on a fault\n", (long long)json_integer_value(json_object_get(j, "postcopy_pages")),
		       (long long)json_integer_value(json_object_get(j, "demand_pages")));
}

/* Progress lines until the last one; 0 if it says ok. */
static int follow_migration(int fd)
{
	struct line_reader r = { .n = 0 };
	char line[REQUEST_MAX];

	while (!next_line(fd, &r, line, sizeof(line))) {
		json_t *j = json_loads(line, 0, NULL), *p = json_object_get(j, "progress");
		int ok = json_is_true(json_object_get(j, "ok"));

		int held = json_is_true(json_object_get(j, "unresolved"));
		const char *why = j ? json_string_value(json_object_get(j, "error")) : line;

		if (p)
			show_progress(p);
		else if (ok)
			show_done(j);
		else if (held)
			printf("migrate: unresolved: %s\n", why ? why : "?");
		else
			log_msg("ctl: migration failed, the guest keeps running here: %s", why);
		json_decref(j);
		if (!p)
			return ok ? 0 : held ? CTL_UNRESOLVED : 1;
	}
	log_msg("ctl: the connection to itsy ended before the migration did");
	return 1;
}

/* The secret file's absolute path (itsy reads it itself) into @r. */
static int migrate_secret(struct api_request *r, const char *secret)
{
	char abs[PATH_MAX];

	if (!secret) {
		log_msg("ctl: migrate needs --secret-file PATH (or ITSY_MIGRATION_SECRET_FILE), or "
			"--insecure on a trusted network");
		return -EINVAL;
	}
	if (!realpath(secret, abs)) {
		log_msg("ctl: secret file '%s': %s", secret, strerror(errno));
		return -errno;
	}
	if (strlen(abs) > API_PATH_MAX) {
		log_msg("ctl: secret file '%s': the path is longer than %d bytes", abs, API_PATH_MAX);
		return -ENAMETOOLONG;
	}
	snprintf(r->secret_file, sizeof(r->secret_file), "%s", abs);
	return 0;
}

/* "migrate URI [--max-downtime MS] [--secret-file PATH | --insecure]" as
 * a request line in @buf. */
static int migrate_request(int argc, char **argv, char *buf, size_t len)
{
	static const struct option opts[] = {
		{ "max-downtime", required_argument, NULL, 'd' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "insecure", no_argument, NULL, 'i' },
		{ "with-disks", no_argument, NULL, 'w' },
		{ "postcopy", no_argument, NULL, 'p' },
		{ "postcopy-after", required_argument, NULL, 'a' }, { NULL, 0, NULL, 0 },
	};
	const char *secret = getenv("ITSY_MIGRATION_SECRET_FILE");
	struct api_request r = { .command = API_MIGRATE };
	long long downtime = 0, passes;
	char *end;
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'd' && (downtime = strtoll(optarg, &end, 10)) > 0 && !*end)
			continue;
		if (opt == 's')
			secret = optarg;
		else if (opt == 'i')
			r.insecure = 1;
		else if (opt == 'w')
			r.with_disks = 1;
		else if (opt == 'p')
			r.postcopy = 1;
		else if (opt == 'a' && (passes = strtoll(optarg, &end, 10)) >= 1 &&
			 passes <= API_PASSES_MAX && !*end)
			r.postcopy_after = (unsigned)passes;
		else
			return -EINVAL;
	}
	if (optind + 1 != argc || strlen(argv[optind]) > API_URI_MAX)
		return -EINVAL;
	snprintf(r.uri, sizeof(r.uri), "%s", argv[optind]);
	r.max_downtime_ms = (uint64_t)downtime;
	if (!r.insecure && migrate_secret(&r, secret))
		return -EINVAL;
	if (strncmp(r.uri, "tcp:", 4)) {
		log_msg("ctl: '%s' is not tcp:HOST:PORT", r.uri);
		return -EINVAL;
	}
	return api_request_format(&r, buf, len);
}

static int ctl_migrate(const char *path, int argc, char **argv)
{
	char req[REQUEST_MAX];
	int fd, rc = 1;

	if (migrate_request(argc, argv, req, sizeof(req))) {
		fputs(ctl_usage, stderr);
		return 1;
	}
	fd = ctl_connect(path);
	if (fd < 0)
		log_msg("ctl: cannot reach '%s': %s", path, strerror(-fd));
	else {
		write_all(fd, req, strlen(req));
		rc = follow_migration(fd);
		close(fd);
	}
	return rc;
}

int api_ctl(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "api-socket", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	char req[REQUEST_MAX], reply[REQUEST_MAX];
	int opt, fd;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) == 's')
		path = optarg;
	if (opt == -1 && path && optind < argc && !strcmp(argv[optind], "migrate"))
		return ctl_migrate(path, argc - optind, argv + optind);
	if (opt != -1 || !path || optind >= argc ||
	    request_format(argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL,
			       req, sizeof(req))) {
		fputs(ctl_usage, stderr);
		return 1;
	}
	fd = ctl_connect(path);
	if (fd < 0) {
		log_msg("ctl: cannot reach '%s': %s", path, strerror(-fd));
		return 1;
	}
	write_all(fd, req, strlen(req));
	if (read_line(fd, reply, sizeof(reply), REPLY_TIMEOUT_MS) < 0) {
		log_msg("ctl: no reply from '%s'", path);
		close(fd);
		return 1;
	}
	close(fd);
	return show_reply(reply);
}
