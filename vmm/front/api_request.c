#include "vmm/front/api_request.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_MEMBERS	((const char *const[]){ "command", NULL })

static const struct {
	const char *name;
	int pauses;			/* it would pause or resume the guest */
	const char *const *members;	/* those it takes, "command" first */
} commands[API_NCOMMANDS] = {
	[API_PAUSE] = { "pause", 1, NO_MEMBERS },
	[API_RESUME] = { "resume", 1, NO_MEMBERS },
	[API_STATUS] = { "status", 0, NO_MEMBERS },
	[API_QUIT] = { "quit", 0, NO_MEMBERS },
	[API_SNAPSHOT] = { "snapshot", 1, (const char *const[]){ "command", "path", NULL } },
	[API_MIGRATE] = { "migrate", 1, (const char *const[]){ "command", "uri",
		"max_downtime_ms", "secret_file", "insecure", "with_disks", "postcopy",
		"postcopy_after", NULL } },
	[API_MIGRATE_ABORT] = { "migrate-abort", 1, NO_MEMBERS },
};

const char *api_command_name(enum api_command c)
{
	return (unsigned)c < API_NCOMMANDS ? commands[c].name : "?";
}

int api_command_pauses(enum api_command c)
{
	return (unsigned)c < API_NCOMMANDS && commands[c].pauses;
}

static int find(const char *name, enum api_command *c)
{
	for (unsigned i = 0; name && i < API_NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name)) {
			*c = (enum api_command)i;
			return 0;
		}
	return -EINVAL;
}

/* The message in @err, on one line whatever of the request it quotes. */
static __attribute__((format(printf, 3, 4)))
int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	for (char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return -EINVAL;
}

/* ---- parsing ---- */

/* A string member @key into @dst (at most @max bytes): "" if absent. */
static int get_string(json_t *req, const char *key, char *dst, size_t max, char *err,
		      size_t len)
{
	json_t *v = json_object_get(req, key);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	dst[0] = 0;
	if (!v)
		return 0;
	if (!s)
		return fail(err, len, "\"%s\" must be a string", key);
	if (!n)
		return fail(err, len, "\"%s\" is empty", key);
	if (n > max)
		return fail(err, len, "\"%s\" is longer than %zu bytes", key, max);
	if (memchr(s, 0, n))
		return fail(err, len, "\"%s\" contains a NUL byte", key);
	memcpy(dst, s, n + 1);
	return 0;
}

/* Every member of @req is one the command takes. */
static int check_members(json_t *req, enum api_command c, char *err, size_t len)
{
	const char *key;
	json_t *v;

	json_object_foreach(req, key, v) {
		const char *const *m = commands[c].members;

		while (*m && strcmp(*m, key))
			m++;
		if (!*m)
			return fail(err, len, "%s takes no \"%.64s\"", commands[c].name, key);
	}
	return 0;
}

static int parse_snapshot(json_t *req, struct api_request *r, char *err, size_t len)
{
	int rc = get_string(req, "path", r->path, API_PATH_MAX, err, len);

	if (!rc && !r->path[0])
		rc = fail(err, len, "snapshot needs a \"path\"");
	return rc;
}

static int get_downtime(json_t *req, uint64_t *ms, char *err, size_t len)
{
	json_t *v = json_object_get(req, "max_downtime_ms");

	*ms = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return fail(err, len, "\"max_downtime_ms\" must be an integer of 0 or more");
	*ms = (uint64_t)json_integer_value(v);
	return 0;
}

/* "postcopy_after": passes, 1 to MIGRATE_MAX_PASSES_API; 0 when absent. */
static int get_passes(json_t *req, unsigned *out, char *err, size_t len)
{
	json_t *v = json_object_get(req, "postcopy_after");

	*out = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > API_PASSES_MAX)
		return fail(err, len, "\"postcopy_after\" must be an integer from 1 to %d",
			    API_PASSES_MAX);
	*out = (unsigned)json_integer_value(v);
	return 0;
}

/* An optional true or false member @name into *@out (0 when absent). */
static int get_bool(json_t *req, const char *name, int *out, char *err, size_t len)
{
	json_t *v = json_object_get(req, name);

	if (v && !json_is_boolean(v))
		return fail(err, len, "\"%s\" must be true or false", name);
	*out = json_is_true(v);
	return 0;
}

static int parse_migrate(json_t *req, struct api_request *r, char *err, size_t len)
{
	int rc = get_string(req, "uri", r->uri, API_URI_MAX, err, len);

	if (!rc && strncmp(r->uri, "tcp:", 4))
		rc = fail(err, len, "migrate needs a \"uri\" (tcp:HOST:PORT)");
	rc = rc ? rc : get_downtime(req, &r->max_downtime_ms, err, len);
	rc = rc ? rc : get_string(req, "secret_file", r->secret_file, API_PATH_MAX, err, len);
	rc = rc ? rc : get_bool(req, "insecure", &r->insecure, err, len);
	rc = rc ? rc : get_bool(req, "with_disks", &r->with_disks, err, len);
	rc = rc ? rc : get_bool(req, "postcopy", &r->postcopy, err, len);
	rc = rc ? rc : get_passes(req, &r->postcopy_after, err, len);
	if (!rc && !r->secret_file[0] == !r->insecure)
		rc = fail(err, len, "migrate needs a \"secret_file\", or \"insecure\": true%s",
			  r->insecure ? " (not both)" : "");
	return rc;
}

static int parse_object(json_t *req, struct api_request *r, char *err, size_t len)
{
	json_t *c = json_object_get(req, "command");
	int rc;

	if (find(json_string_value(c), &r->command))
		return fail(err, len, "unknown or missing \"command\" (want pause, resume, status, "
			    "snapshot, migrate, quit)");
	rc = check_members(req, r->command, err, len);
	if (!rc && r->command == API_SNAPSHOT)
		rc = parse_snapshot(req, r, err, len);
	if (!rc && r->command == API_MIGRATE)
		rc = parse_migrate(req, r, err, len);
	return rc;
}

static int load_fail(const json_error_t *e, char *err, size_t len)
{
	if (json_error_code(e) == json_error_null_character)
		return fail(err, len, "a string in the request contains a NUL (\\u0000)");
	if (json_error_code(e) == json_error_duplicate_key)
		return fail(err, len, "the request has a member twice: %s", e->text);
	return fail(err, len, "the request is not a JSON object: %s", e->text);
}

int api_request_parse(const char *line, size_t len, struct api_request *r, char *err,
		      size_t errlen)
{
	json_error_t jerr;
	json_t *req;
	int rc;

	memset(r, 0, sizeof(*r));
	err[0] = 0;
	if (len >= API_REQUEST_MAX)
		return fail(err, errlen, "the request is longer than %d bytes", API_REQUEST_MAX - 1);
	if (!len)
		line = "";
	else if (memchr(line, 0, len))
		return fail(err, errlen, "the request contains a NUL byte");
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req)
		rc = load_fail(&jerr, err, errlen);
	else if (!json_is_object(req))
		rc = fail(err, errlen, "the request is not a JSON object");
	else
		rc = parse_object(req, r, err, errlen);
	json_decref(req);
	if (rc)
		memset(r, 0, sizeof(*r));
	return rc;
}

/* ---- the client's side ---- */

static int valid(const struct api_request *r)
{
	if ((unsigned)r->command >= API_NCOMMANDS)
		return 0;
	if (r->command == API_SNAPSHOT)
		return r->path[0] && strnlen(r->path, sizeof(r->path)) <= API_PATH_MAX;
	if (r->command != API_MIGRATE)
		return 1;
	return !strncmp(r->uri, "tcp:", 4) && strnlen(r->uri, sizeof(r->uri)) <= API_URI_MAX &&
	       strnlen(r->secret_file, sizeof(r->secret_file)) <= API_PATH_MAX &&
	       !r->secret_file[0] != !r->insecure && r->max_downtime_ms <= INT64_MAX &&
	       r->postcopy_after <= API_PASSES_MAX;
}

static json_t *migrate_json(const struct api_request *r, const char *name)
{
	json_t *j = r->insecure ?
		json_pack("{s:s, s:s, s:I, s:b}", "command", name, "uri", r->uri,
			  "max_downtime_ms", (json_int_t)r->max_downtime_ms, "insecure", 1) :
		json_pack("{s:s, s:s, s:I, s:s}", "command", name, "uri", r->uri,
			  "max_downtime_ms", (json_int_t)r->max_downtime_ms,
			  "secret_file", r->secret_file);

	if (j && r->with_disks)
		json_object_set_new(j, "with_disks", json_true());
	if (j && r->postcopy)
		json_object_set_new(j, "postcopy", json_true());
	if (j && r->postcopy_after)
		json_object_set_new(j, "postcopy_after", json_integer(r->postcopy_after));
	return j;
}

static json_t *to_json(const struct api_request *r)
{
	const char *name = commands[r->command].name;

	if (r->command == API_SNAPSHOT)
		return json_pack("{s:s, s:s}", "command", name, "path", r->path);
	if (r->command != API_MIGRATE)
		return json_pack("{s:s}", "command", name);
	return migrate_json(r, name);
}

int api_request_format(const struct api_request *r, char *buf, size_t len)
{
	json_t *j = valid(r) ? to_json(r) : NULL;
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int rc = 0;

	if (!valid(r))
		rc = -EINVAL;
	else if (!s || strlen(s) + 2 > len || strlen(s) + 1 >= API_REQUEST_MAX)
		rc = -ENOSPC;
	else
		snprintf(buf, len, "%s\n", s);
	free(s);
	json_decref(j);
	return rc;
}

int api_request_simple(struct api_request *r, const char *command, const char *arg)
{
	memset(r, 0, sizeof(*r));
	if (find(command, &r->command) || r->command == API_MIGRATE)
		return -EINVAL;
	if (!arg != (r->command != API_SNAPSHOT))
		return -EINVAL;
	if (arg && (!*arg || strlen(arg) > API_PATH_MAX))
		return -EINVAL;
	if (arg)
		memcpy(r->path, arg, strlen(arg) + 1);
	return 0;
}
