#include "vmm/api.h"
#include "migration/migrate.h"
#include "migration/snapshot.h"
#include "migration/wire.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define REQUEST_MAX	4096
#define REQUEST_TIMEOUT_MS	2000		/* a client has this long to send */
#define REPLY_TIMEOUT_MS	600000		/* a snapshot may take a while */

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

static json_t *cmd_pause(struct vm *vm, json_t *req)
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

static json_t *cmd_resume(struct vm *vm, json_t *req)
{
	int rc;

	(void)req;
	if (!vm->paused)
		return reply_error("the guest is already %s", "running");
	rc = vm_resume(vm);
	vm->paused = 0;
	return rc ? reply_error("resume: %s", strerror(-rc)) : json_pack("{s:b}", "ok", 1);
}

static json_t *progress_json(const struct migrate_progress *p)
{
	return json_pack("{s:s, s:i, s:I, s:f, s:f, s:I, s:I}", "phase", p->phase ? p->phase : "",
			 "pass", (int)p->pass, "dirty_pages", (json_int_t)p->dirty_pages,
			 "dirty_mib", p->dirty_pages * (double)p->page_size / 1048576.0,
			 "rate_mbps", p->rate_mbps,
			 "expected_downtime_ms", (json_int_t)p->expected_downtime_ms,
			 "bytes_sent", (json_int_t)p->bytes_sent);
}

static json_t *cmd_status(struct vm *vm, json_t *req)
{
	struct migrate_progress p;
	json_t *r;

	(void)req;
	r = json_pack("{s:b, s:s, s:i, s:I, s:i}", "ok", 1,
		      "state", vm->paused ? "paused" : "running",
		      "vcpus", (int)vm->ncpus, "memory_bytes", (json_int_t)vm->ram.size,
		      "devices", (int)vm->ndevices);
	if (r && migrate_running(&p))
		json_object_set_new(r, "migration", progress_json(&p));
	return r;
}

/* Pause (if running), write the snapshot, and stay paused. */
static json_t *cmd_snapshot(struct vm *vm, json_t *req)
{
	const char *dir = json_string_value(json_object_get(req, "path"));
	char err[1024];
	int64_t ns = 0;
	int rc;

	if (!dir)
		return reply_error("snapshot needs a \"path\"%s", "");
	if (!vm->paused && (ns = vm_pause(vm)) < 0)
		return reply_error("cannot pause: %s", strerror((int)-ns));
	vm->paused = 1;
	rc = snapshot_save(vm, dir, err, sizeof(err));
	if (rc)
		return reply_error("snapshot failed, the guest stays paused: %s", err);
	return json_pack("{s:b, s:s, s:I}", "ok", 1, "path", dir, "pause_us", (json_int_t)(ns / 1000));
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
		send_line(fd, json_pack("{s:b, s:s}", "ok", 0, "error", p->error));
	else
		send_line(fd, json_pack("{s:b, s:I, s:I, s:I, s:i, s:{s:I, s:I, s:I, s:I}}", "ok", 1,
					"total_ms", (json_int_t)p->total_ms,
					"downtime_ms", (json_int_t)p->downtime_ms,
					"bytes_sent", (json_int_t)p->bytes_sent, "passes", (int)p->pass + 1,
					"downtime_split_ms", "save", (json_int_t)p->save_ms,
					"send", (json_int_t)p->send_ms, "restore", (json_int_t)p->restore_ms,
					"go", (json_int_t)p->go_ms));
	close(fd);
}

static json_t *migrate_opts_from(json_t *req, struct migrate_opts *o)
{
	const char *uri = json_string_value(json_object_get(req, "uri"));
	const char *secret = json_string_value(json_object_get(req, "secret_file"));
	char err[512];

	memset(o, 0, sizeof(*o));
	if (!uri || strlen(uri) >= sizeof(o->uri))
		return reply_error("migrate needs a \"uri\" (tcp:HOST:PORT)%s", "");
	snprintf(o->uri, sizeof(o->uri), "%s", uri);
	o->max_downtime_ms = (uint64_t)json_integer_value(json_object_get(req, "max_downtime_ms"));
	if (!secret && !json_is_true(json_object_get(req, "insecure")))
		return reply_error("migrate needs a \"secret_file\", or \"insecure\": true%s", "");
	if (secret && wire_secret_load(secret, o->secret, err, sizeof(err)))
		return reply_error("%s", err);
	o->secured = !!secret;
	return NULL;
}

static json_t *cmd_migrate(struct vm *vm, json_t *req, int fd)
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

static json_t *cmd_quit(struct vm *vm, json_t *req)
{
	(void)req;
	vm_request_exit(vm, VM_EXIT_POWEROFF, "stopped by a quit command on the API socket");
	return json_pack("{s:b}", "ok", 1);
}

static const struct api_command {
	const char *name;
	json_t *(*fn)(struct vm *vm, json_t *req);
	int takes_path;
	int not_while_migrating;	/* it would pause or resume the guest */
	/* Instead of fn: answers over time and keeps the connection @fd
	 * (returns NULL then), or returns an error reply. */
	json_t *(*stream)(struct vm *vm, json_t *req, int fd);
} commands[] = {
	{ "pause", cmd_pause, 0, 1, NULL },
	{ "resume", cmd_resume, 0, 1, NULL },
	{ "status", cmd_status, 0, 0, NULL },
	{ "quit", cmd_quit, 0, 0, NULL },
	{ "snapshot", cmd_snapshot, 1, 1, NULL },
	{ "migrate", NULL, 0, 1, cmd_migrate },
};

static const struct api_command *find_command(const char *name)
{
	for (size_t i = 0; name && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* The reply, or NULL when the command kept @fd to answer later. */
static json_t *dispatch(struct vm *vm, const char *line, int fd)
{
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr), *reply;
	const struct api_command *c;

	if (!req || !json_is_object(req)) {
		json_decref(req);
		return reply_error("the request is not a JSON object: %s", req ? "" : jerr.text);
	}
	c = find_command(json_string_value(json_object_get(req, "command")));
	if (!c)
		reply = reply_error("unknown or missing \"command\" (want pause, resume, status, "
				    "snapshot, migrate, quit)%s", "");
	else if (c->not_while_migrating && migrate_running(NULL))
		reply = reply_error("a migration is running; %s must wait", c->name);
	else
		reply = c->stream ? c->stream(vm, req, fd) : c->fn(vm, req);
	json_decref(req);
	return reply;
}

/* Read one line (without the newline) within the timeout. */
static ssize_t read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (n + 1 < len && poll(&p, 1, timeout_ms) == 1) {
		ssize_t r = read(fd, buf + n, len - 1 - n);

		if (r <= 0)
			break;
		n += r;
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return n ? (ssize_t)n : -EIO;
}


static void on_connection(void *ctx)
{
	struct api *api = ctx;
	char line[REQUEST_MAX];
	int fd = accept4(api->fd, NULL, NULL, SOCK_CLOEXEC);
	json_t *reply;
	char *out;

	if (fd < 0)
		return;
	reply = read_line(fd, line, sizeof(line), REQUEST_TIMEOUT_MS) < 0
		? reply_error("no request line within %s", "2 s") : dispatch(api->vm, line, fd);
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

/* A socket file nobody serves is left over from a crash: remove it. */
static int clear_stale(const struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), live;

	live = fd >= 0 && !connect(fd, (const struct sockaddr *)a, sizeof(*a));
	if (fd >= 0)
		close(fd);
	if (live)
		return -EADDRINUSE;
	unlink(a->sun_path);
	return 0;
}

static int bind_private(int fd, const struct sockaddr_un *a)
{
	mode_t old = umask(0177);	/* the socket is born 0600 */
	int rc = bind(fd, (const struct sockaddr *)a, sizeof(*a)) ? -errno : 0;

	umask(old);
	return rc ? rc : (listen(fd, 4) ? -errno : 0);
}

int api_listen(struct vm *vm, const char *path)
{
	struct api *api = calloc(1, sizeof(*api));
	struct sockaddr_un a;
	int rc = api ? fill_addr(path, &a) : -ENOMEM;

	if (!rc)
		rc = clear_stale(&a);
	if (!rc) {
		api->vm = vm;
		api->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		rc = api->fd < 0 ? -errno : bind_private(api->fd, &a);
	}
	if (!rc)
		rc = vm_watch_fd(vm, api->fd, on_connection, api);
	if (rc)
		log_msg("--api-socket '%s': %s", path,
			rc == -EADDRINUSE ? "another itsy is serving it" : strerror(-rc));
	return rc;
}

/* ---- client ---- */

/* The request line for @command (+ optional @arg) into @buf. -EINVAL for
 * an unknown command or a missing/extra argument. */
static int request_format(const char *command, const char *arg, char *buf, size_t len)
{
	const struct api_command *c = find_command(command);
	json_t *req;
	char *s;
	int rc = 0;

	if (!c || !!arg != c->takes_path)
		return -EINVAL;
	req = arg ? json_pack("{s:s, s:s}", "command", command, "path", arg)
		  : json_pack("{s:s}", "command", command);
	s = json_dumps(req, JSON_COMPACT);
	if (!s || strlen(s) + 2 > len)
		rc = -ENOSPC;
	else
		snprintf(buf, len, "%s\n", s);
	free(s);
	json_decref(req);
	return rc;
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
	"                [--secret-file PATH | --insecure]\n"
	"  The secret file may also come from ITSY_MIGRATION_SECRET_FILE.\n";

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

static void show_progress(json_t *p)
{
	const char *phase = json_string_value(json_object_get(p, "phase"));

	if (!phase || strcmp(phase, "precopy") || !json_object_get(p, "rate_mbps"))
		printf("migrate: %s\n", phase ? phase : "?");
	if (phase && !strcmp(phase, "precopy") && json_integer_value(json_object_get(p, "bytes_sent")))
		printf("migrate: pass %lld: %lld pages dirty (%.1f MiB), %.1f MB/s, expected "
		       "downtime %lld ms\n", (long long)json_integer_value(json_object_get(p, "pass")),
		       (long long)json_integer_value(json_object_get(p, "dirty_pages")),
		       json_real_value(json_object_get(p, "dirty_mib")),
		       json_real_value(json_object_get(p, "rate_mbps")),
		       (long long)json_integer_value(json_object_get(p, "expected_downtime_ms")));
	fflush(stdout);
}

static long long split(json_t *j, const char *what)
{
	return (long long)json_integer_value(json_object_get(json_object_get(j, "downtime_split_ms"), what));
}

static void show_done(json_t *j)
{
	printf("migrate: done: total %lld ms, downtime %lld ms, %lld bytes, %lld passes; "
	       "split: save %lld, send %lld, restore %lld, go-ahead %lld (ms)\n",
	       (long long)json_integer_value(json_object_get(j, "total_ms")),
	       (long long)json_integer_value(json_object_get(j, "downtime_ms")),
	       (long long)json_integer_value(json_object_get(j, "bytes_sent")),
	       (long long)json_integer_value(json_object_get(j, "passes")),
	       split(j, "save"), split(j, "send"), split(j, "restore"), split(j, "go"));
}

/* Progress lines until the last one; 0 if it says ok. */
static int follow_migration(int fd)
{
	struct line_reader r = { .n = 0 };
	char line[REQUEST_MAX];

	while (!next_line(fd, &r, line, sizeof(line))) {
		json_t *j = json_loads(line, 0, NULL), *p = json_object_get(j, "progress");
		int ok = json_is_true(json_object_get(j, "ok"));

		if (p)
			show_progress(p);
		else if (ok)
			show_done(j);
		else
			log_msg("ctl: migration failed, the guest keeps running here: %s",
				j ? json_string_value(json_object_get(j, "error")) : line);
		json_decref(j);
		if (!p)
			return ok ? 0 : 1;
	}
	log_msg("ctl: the connection to itsy ended before the migration did");
	return 1;
}

/* "migrate URI [--max-downtime MS] [--secret-file PATH | --insecure]" as
 * a request; the secret file's absolute path (itsy reads it itself). */
static json_t *migrate_request(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-downtime", required_argument, NULL, 'd' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "insecure", no_argument, NULL, 'i' }, { NULL, 0, NULL, 0 },
	};
	const char *secret = getenv("ITSY_MIGRATION_SECRET_FILE");
	long long downtime = 0;
	int opt, insecure = 0;
	char abs[4096], *end;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'd' && (downtime = strtoll(optarg, &end, 10)) > 0 && !*end)
			continue;
		if (opt == 's')
			secret = optarg;
		else if (opt == 'i')
			insecure = 1;
		else
			return NULL;
	}
	if (optind + 1 != argc)
		return NULL;
	if (insecure)
		return json_pack("{s:s, s:s, s:I, s:b}", "command", "migrate", "uri", argv[optind],
				 "max_downtime_ms", (json_int_t)downtime, "insecure", 1);
	if (!secret) {
		log_msg("ctl: migrate needs --secret-file PATH (or ITSY_MIGRATION_SECRET_FILE), or "
			"--insecure on a trusted network");
		return NULL;
	}
	if (!realpath(secret, abs)) {
		log_msg("ctl: secret file '%s': %s", secret, strerror(errno));
		return NULL;
	}
	return json_pack("{s:s, s:s, s:I, s:s}", "command", "migrate", "uri", argv[optind],
			 "max_downtime_ms", (json_int_t)downtime, "secret_file", abs);
}

static int ctl_migrate(const char *path, int argc, char **argv)
{
	json_t *req = migrate_request(argc, argv);
	char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
	int fd, rc = 1;

	json_decref(req);
	if (!s) {
		fputs(ctl_usage, stderr);
		return 1;
	}
	fd = ctl_connect(path);
	if (fd < 0)
		log_msg("ctl: cannot reach '%s': %s", path, strerror(-fd));
	else {
		write_all(fd, s, strlen(s));
		write_all(fd, "\n", 1);
		rc = follow_migration(fd);
		close(fd);
	}
	free(s);
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
