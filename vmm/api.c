#include "vmm/api.h"
#include "migration/snapshot.h"
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

static json_t *cmd_status(struct vm *vm, json_t *req)
{
	(void)req;
	return json_pack("{s:b, s:s, s:i, s:I, s:i}", "ok", 1,
			 "state", vm->paused ? "paused" : "running",
			 "vcpus", (int)vm->ncpus, "memory_bytes", (json_int_t)vm->ram.size,
			 "devices", (int)vm->ndevices);
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
} commands[] = {
	{ "pause", cmd_pause, 0 },
	{ "resume", cmd_resume, 0 },
	{ "status", cmd_status, 0 },
	{ "quit", cmd_quit, 0 },
	{ "snapshot", cmd_snapshot, 1 },
};

static const struct api_command *find_command(const char *name)
{
	for (size_t i = 0; name && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static json_t *dispatch(struct vm *vm, const char *line)
{
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr), *reply;
	const struct api_command *c;

	if (!req || !json_is_object(req)) {
		json_decref(req);
		return reply_error("the request is not a JSON object: %s", req ? "" : jerr.text);
	}
	c = find_command(json_string_value(json_object_get(req, "command")));
	reply = c ? c->fn(vm, req)
		  : reply_error("unknown or missing \"command\" (want pause, resume, status, "
				"snapshot, quit)%s", "");
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
		? reply_error("no request line within %s", "2 s") : dispatch(api->vm, line);
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
	"usage: itsy ctl --api-socket PATH pause|resume|status|quit|snapshot DIR\n";

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
