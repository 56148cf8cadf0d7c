/* The control socket's request parser (vmm/api_request.c). */
#include "vmm/front/api_request.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/unit.h"

static struct api_request r;
static char err[512];

static int parse(const char *line)
{
	return api_request_parse(line, strlen(line), &r, err, sizeof(err));
}

/* @line is refused with a message holding @needle. */
static void refused_len(const char *line, size_t len, const char *needle)
{
	int rc = api_request_parse(line, len, &r, err, sizeof(err));

	ck_assert_msg(rc == -EINVAL, "'%.*s' gave %d, want -EINVAL", (int)len, line, rc);
	ck_assert_msg(strstr(err, needle), "'%.*s': error '%s' lacks '%s'", (int)len, line, err,
		      needle);
	ck_assert_uint_eq(r.command, 0);	/* nothing half-parsed is left */
	ck_assert_str_eq(r.path, "");
}

static void refused(const char *line, const char *needle)
{
	refused_len(line, strlen(line), needle);
}

/* A string of @n bytes of 'a' (after @prefix) into @buf. */
static const char *filled(char *buf, const char *prefix, size_t n)
{
	size_t p = strlen(prefix);

	memcpy(buf, prefix, p);
	memset(buf + p, 'a', n);
	buf[p + n] = 0;
	return buf;
}

START_TEST(simple_commands)
{
	static const struct {
		const char *line;
		enum api_command c;
		int pauses;
	} t[] = {
		{ "{\"command\": \"pause\"}", API_PAUSE, 1 },
		{ "{\"command\":\"resume\"}", API_RESUME, 1 },
		{ " { \"command\" : \"status\" } \r", API_STATUS, 0 },
		{ "{\"command\": \"quit\"}", API_QUIT, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_msg(parse(t[i].line) == 0, "%s: %s", t[i].line, err);
		ck_assert_uint_eq(r.command, t[i].c);
		ck_assert_int_eq(api_command_pauses(r.command), t[i].pauses);
		ck_assert_str_eq(r.path, "");
	}
	ck_assert_str_eq(api_command_name(API_SNAPSHOT), "snapshot");
	ck_assert_str_eq(api_command_name(API_NCOMMANDS), "?");
	ck_assert_int_eq(api_command_pauses(API_MIGRATE), 1);
}
END_TEST

START_TEST(snapshot_takes_a_path)
{
	ck_assert_int_eq(parse("{\"path\": \"/run/snap 1\", \"command\": \"snapshot\"}"), 0);
	ck_assert_uint_eq(r.command, API_SNAPSHOT);
	ck_assert_str_eq(r.path, "/run/snap 1");
	ck_assert_int_eq(parse("{\"command\": \"snapshot\", \"path\": \"caf\\u00e9\"}"), 0);
	ck_assert_str_eq(r.path, "caf\xc3\xa9");
	refused("{\"command\": \"snapshot\"}", "snapshot needs a \"path\"");
	refused("{\"command\": \"snapshot\", \"path\": \"\"}", "\"path\" is empty");
	refused("{\"command\": \"snapshot\", \"path\": 5}", "\"path\" must be a string");
	refused("{\"command\": \"snapshot\", \"path\": null}", "\"path\" must be a string");
	refused("{\"command\": \"snapshot\", \"path\": [\"a\"]}", "\"path\" must be a string");
}
END_TEST

START_TEST(migrate_secured_and_insecure)
{
	ck_assert_int_eq(parse("{\"command\": \"migrate\", \"uri\": \"tcp:10.0.0.2:7000\", "
			       "\"max_downtime_ms\": 250, \"secret_file\": \"/etc/itsy/key\"}"), 0);
	ck_assert_uint_eq(r.command, API_MIGRATE);
	ck_assert_str_eq(r.uri, "tcp:10.0.0.2:7000");
	ck_assert_uint_eq(r.max_downtime_ms, 250);
	ck_assert_str_eq(r.secret_file, "/etc/itsy/key");
	ck_assert_int_eq(r.insecure, 0);
	ck_assert_int_eq(parse("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", "
			       "\"insecure\": true}"), 0);
	ck_assert_int_eq(r.insecure, 1);
	ck_assert_uint_eq(r.max_downtime_ms, 0);
	ck_assert_str_eq(r.secret_file, "");
	ck_assert_int_eq(r.with_disks, 0);
	ck_assert_int_eq(parse("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", "
			       "\"insecure\": true, \"with_disks\": true}"), 0);
	ck_assert_int_eq(r.with_disks, 1);
	ck_assert_int_eq(parse("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", "
			       "\"insecure\": true, \"postcopy\": true, \"postcopy_after\": 3}"), 0);
	ck_assert_int_eq(r.postcopy, 1);
	ck_assert_uint_eq(r.postcopy_after, 3);
}
END_TEST

START_TEST(migrate_refusals)
{
	refused("{\"command\": \"migrate\", \"insecure\": true}", "needs a \"uri\"");
	refused("{\"command\": \"migrate\", \"uri\": \"udp:h:1\", \"insecure\": true}",
		"tcp:HOST:PORT");
	refused("{\"command\": \"migrate\", \"uri\": 7, \"insecure\": true}", "must be a string");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\"}", "\"secret_file\", or");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"insecure\": false}",
		"\"secret_file\", or");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"insecure\": true, "
		"\"secret_file\": \"/k\"}", "not both");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"insecure\": 1}",
		"\"insecure\" must be true or false");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"insecure\": \"yes\"}",
		"\"insecure\" must be true or false");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"insecure\": true, "
		"\"with_disks\": 1}", "\"with_disks\" must be true or false");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"insecure\": true, "
		"\"postcopy\": \"yes\"}", "\"postcopy\" must be true or false");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"insecure\": true, "
		"\"postcopy_after\": 0}", "from 1 to 40");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"insecure\": true, "
		"\"postcopy_after\": 41}", "from 1 to 40");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"insecure\": true, "
		"\"postcopy_after\": 1.5}", "from 1 to 40");
	refused("{\"command\": \"snapshot\", \"path\": \"/x\", \"with_disks\": true}",
		"with_disks");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"insecure\": true, "
		"\"max_downtime_ms\": -1}", "integer of 0 or more");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"insecure\": true, "
		"\"max_downtime_ms\": \"10\"}", "integer of 0 or more");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"insecure\": true, "
		"\"max_downtime_ms\": 1.5}", "integer of 0 or more");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"secret_file\": {}}",
		"\"secret_file\" must be a string");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"secret_file\": \"\"}",
		"\"secret_file\" is empty");
}
END_TEST

START_TEST(bad_json)
{
	refused("", "not a JSON object");
	refused("{", "not a JSON object");
	refused("pause", "not a JSON object");
	refused("\"pause\"", "not a JSON object");
	refused("[{\"command\": \"pause\"}]", "not a JSON object");
	refused("{\"command\": \"pause\",}", "not a JSON object");
	refused("{\"command\": \"pause\"} {\"command\": \"quit\"}", "not a JSON object");
	refused("{\"command\": \"pause\"}x", "not a JSON object");
	refused("{'command': 'pause'}", "not a JSON object");
	refused("{\"command\": \"pa\xffuse\"}", "not a JSON object");	/* not UTF-8 */
	refused("{\"command\": \"pause\", \"command\": \"quit\"}", "a member twice");
}
END_TEST

START_TEST(wrong_types_and_unknown_commands)
{
	refused("{}", "unknown or missing \"command\"");
	refused("{\"command\": 1}", "unknown or missing \"command\"");
	refused("{\"command\": null}", "unknown or missing \"command\"");
	refused("{\"command\": [\"pause\"]}", "unknown or missing \"command\"");
	refused("{\"command\": \"frobnicate\"}", "unknown or missing \"command\"");
	refused("{\"command\": \"PAUSE\"}", "unknown or missing \"command\"");
	refused("{\"command\": \"pause \"}", "unknown or missing \"command\"");
	refused("{\"command\": \"\"}", "unknown or missing \"command\"");
	refused("{\"cmd\": \"pause\"}", "unknown or missing \"command\"");
}
END_TEST

START_TEST(members_a_command_does_not_take)
{
	refused("{\"command\": \"pause\", \"path\": \"/x\"}", "pause takes no \"path\"");
	refused("{\"command\": \"status\", \"verbose\": true}", "status takes no \"verbose\"");
	refused("{\"command\": \"snapshot\", \"path\": \"/x\", \"uri\": \"tcp:h:1\"}",
		"snapshot takes no \"uri\"");
	refused("{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", \"insecure\": true, "
		"\"path\": \"/x\"}", "migrate takes no \"path\"");
}
END_TEST

START_TEST(overlong_strings_and_lines)
{
	static char s[API_REQUEST_MAX + 64], line[2 * API_REQUEST_MAX];

	snprintf(line, sizeof(line), "{\"command\": \"snapshot\", \"path\": \"%s\"}",
		 filled(s, "/", API_PATH_MAX - 1));
	ck_assert_int_eq(parse(line), 0);
	ck_assert_uint_eq(strlen(r.path), API_PATH_MAX);
	snprintf(line, sizeof(line), "{\"command\": \"snapshot\", \"path\": \"%s\"}",
		 filled(s, "/", API_PATH_MAX));
	refused(line, "\"path\" is longer than 1000 bytes");

	snprintf(line, sizeof(line), "{\"command\": \"migrate\", \"uri\": \"%s\", \"insecure\": true}",
		 filled(s, "tcp:", API_URI_MAX - 4));
	ck_assert_int_eq(parse(line), 0);
	snprintf(line, sizeof(line), "{\"command\": \"migrate\", \"uri\": \"%s\", \"insecure\": true}",
		 filled(s, "tcp:", API_URI_MAX - 3));
	refused(line, "\"uri\" is longer than 255 bytes");
	snprintf(line, sizeof(line), "{\"command\": \"migrate\", \"uri\": \"tcp:h:1\", "
		 "\"secret_file\": \"%s\"}", filled(s, "/", API_PATH_MAX));
	refused(line, "\"secret_file\" is longer than");

	/* A whole line of API_REQUEST_MAX bytes or more, whatever it holds. */
	snprintf(line, sizeof(line), "{\"command\": \"pause\"}%*s", API_REQUEST_MAX, "");
	refused_len(line, API_REQUEST_MAX, "longer than 4095 bytes");
	ck_assert_int_eq(api_request_parse(line, API_REQUEST_MAX - 1, &r, err, sizeof(err)), 0);
}
END_TEST

START_TEST(embedded_nuls)
{
	static const char raw[] = "{\"command\": \"pause\"}\0{\"command\": \"quit\"}";
	static const char in_str[] = "{\"command\": \"pa\0use\"}";

	refused_len(raw, sizeof(raw) - 1, "contains a NUL byte");
	refused_len(in_str, sizeof(in_str) - 1, "contains a NUL byte");
	refused("{\"command\": \"snapshot\", \"path\": \"/a\\u0000/etc\"}", "NUL");
	refused("{\"command\": \"pause\\u0000\"}", "NUL");
	refused("{\"command\\u0000x\": \"pause\"}", "NUL");
	/* Only @len bytes are read: what follows is not looked at. */
	ck_assert_int_eq(api_request_parse(raw, strlen(raw), &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.command, API_PAUSE);
}
END_TEST

START_TEST(every_refusal_says_why)
{
	static const char *const bad[] = {
		"", " ", "null", "0", "{}", "{\"command\": {}}", "{\"command\": \"snapshot\", "
		"\"path\": true}", "{\"command\": \"migrate\"}", "{\"\": \"\"}", "\n",
		"{\"command\": \"a\nb\"}", "a\\u00\n0b\"}", "{\"command\": \"pause\", \"a\\nb\": 1}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		ck_assert_int_eq(parse(bad[i]), -EINVAL);
		ck_assert_msg(err[0] && !strchr(err, '\n'), "'%s': error '%s'", bad[i], err);
	}
	/* A tiny error buffer is enough not to overflow. */
	ck_assert_int_eq(api_request_parse("{}", 2, &r, err, 8), -EINVAL);
	ck_assert_uint_eq(strlen(err), 7);
}
END_TEST

/* format() of @line parsed, parsed again, is the same request. */
static void round_trip(const char *line)
{
	struct api_request first;
	char buf[API_REQUEST_MAX];

	ck_assert_msg(parse(line) == 0, "%s: %s", line, err);
	first = r;
	ck_assert_int_eq(api_request_format(&first, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(buf[strlen(buf) - 1], '\n');
	ck_assert_int_eq(api_request_parse(buf, strlen(buf) - 1, &r, err, sizeof(err)), 0);
	ck_assert_mem_eq(&first, &r, sizeof(r));
}

START_TEST(format_round_trips)
{
	static char s[API_PATH_MAX + 8], line[2 * API_REQUEST_MAX];

	round_trip("{\"command\": \"pause\"}");
	round_trip("{\"command\": \"quit\"}");
	round_trip("{\"command\": \"snapshot\", \"path\": \"a \\\"quoted\\\" \\\\ dir\\n\"}");
	round_trip("{\"command\": \"migrate\", \"uri\": \"tcp:[::1]:9\", \"insecure\": true}");
	round_trip("{\"command\": \"migrate\", \"uri\": \"tcp:h:9\", \"insecure\": true, "
		   "\"with_disks\": true}");
	round_trip("{\"command\": \"migrate\", \"uri\": \"tcp:h:9\", \"secret_file\": \"/k\", "
		   "\"with_disks\": true}");
	round_trip("{\"command\": \"migrate\", \"uri\": \"tcp:h:9\", \"insecure\": true, "
		   "\"postcopy\": true, \"postcopy_after\": 40}");
	round_trip("{\"command\": \"migrate\", \"uri\": \"tcp:h:9\", \"max_downtime_ms\": "
		   "9223372036854775807, \"secret_file\": \"/k\"}");
	snprintf(line, sizeof(line), "{\"command\": \"snapshot\", \"path\": \"%s\"}",
		 filled(s, "", API_PATH_MAX));
	round_trip(line);
}
END_TEST

START_TEST(format_refuses_what_parse_would)
{
	struct api_request q = { .command = API_SNAPSHOT };
	char buf[128];

	ck_assert_int_eq(api_request_format(&q, buf, sizeof(buf)), -EINVAL);	/* no path */
	q.command = API_NCOMMANDS;
	ck_assert_int_eq(api_request_format(&q, buf, sizeof(buf)), -EINVAL);
	q = (struct api_request){ .command = API_MIGRATE };
	strcpy(q.uri, "tcp:h:1");
	ck_assert_int_eq(api_request_format(&q, buf, sizeof(buf)), -EINVAL);	/* no secret */
	q.insecure = 1;
	ck_assert_int_eq(api_request_format(&q, buf, sizeof(buf)), 0);
	ck_assert_int_eq(api_request_format(&q, buf, 10), -ENOSPC);
	strcpy(q.uri, "ssh:h");
	ck_assert_int_eq(api_request_format(&q, buf, sizeof(buf)), -EINVAL);
}
END_TEST

START_TEST(simple_requests_for_ctl)
{
	static char s[API_PATH_MAX + 8];
	char buf[API_REQUEST_MAX];

	ck_assert_int_eq(api_request_simple(&r, "status", NULL), 0);
	ck_assert_int_eq(api_request_format(&r, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "{\"command\":\"status\"}\n");
	ck_assert_int_eq(api_request_simple(&r, "snapshot", "/tmp/s"), 0);
	ck_assert_int_eq(api_request_format(&r, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "{\"command\":\"snapshot\",\"path\":\"/tmp/s\"}\n");
	ck_assert_int_eq(api_request_simple(&r, "snapshot", NULL), -EINVAL);
	ck_assert_int_eq(api_request_simple(&r, "snapshot", ""), -EINVAL);
	ck_assert_int_eq(api_request_simple(&r, "snapshot", filled(s, "", API_PATH_MAX + 1)),
			 -EINVAL);
	ck_assert_int_eq(api_request_simple(&r, "pause", "extra"), -EINVAL);
	ck_assert_int_eq(api_request_simple(&r, "frobnicate", NULL), -EINVAL);
	ck_assert_int_eq(api_request_simple(&r, "migrate", "tcp:h:1"), -EINVAL);
	ck_assert_int_eq(api_request_simple(&r, NULL, NULL), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_request");

	UNIT_TCASE(s, "api_request", simple_commands, snapshot_takes_a_path,
		   migrate_secured_and_insecure, migrate_refusals, bad_json,
		   wrong_types_and_unknown_commands, members_a_command_does_not_take,
		   overlong_strings_and_lines, embedded_nuls, every_refusal_says_why,
		   format_round_trips, format_refuses_what_parse_would, simple_requests_for_ctl);
	return unit_run(s);
}
