/* libFuzzer harness of the control socket's request parser
 * (vmm/api_request.c), which reads what any local process able to
 * connect to --api-socket sends. Each input is used three ways:
 *  1. as a request line, as it is;
 *  2. as the inside of the "path" string of a snapshot request, and
 *  3. as the inside of the "uri" string of a migrate request (after
 *     "tcp:"), so that mutations reach the string checks without first
 *     having to build valid JSON around them.
 * The rules, a broken one a crash: a refusal is -EINVAL with a one-line
 * message; an accepted request has a known command, NUL-terminated
 * strings within their bounds and the members its command needs and no
 * others; and api_request_format() of it parses back to the same request.
 *
 * Built and run by scripts/fuzz-api; seeds in tests/fuzz/corpus-api/. */
#include "vmm/front/api_request.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define require(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

static int terminated(const char *s, size_t size)
{
	return memchr(s, 0, size) != NULL;
}

/* What an accepted request must look like. */
static void check_accepted(const struct api_request *r)
{
	require((unsigned)r->command < API_NCOMMANDS);
	require(terminated(r->path, sizeof(r->path)) && terminated(r->uri, sizeof(r->uri)) &&
		terminated(r->secret_file, sizeof(r->secret_file)));
	require(strlen(r->path) <= API_PATH_MAX && strlen(r->uri) <= API_URI_MAX &&
		strlen(r->secret_file) <= API_PATH_MAX);
	require(!r->path[0] == (r->command != API_SNAPSHOT));
	if (r->command == API_MIGRATE) {
		require(!strncmp(r->uri, "tcp:", 4));
		require(!r->secret_file[0] != !r->insecure);
		require(r->max_downtime_ms <= INT64_MAX);
	} else {
		require(!r->uri[0] && !r->secret_file[0] && !r->insecure && !r->max_downtime_ms);
	}
}

/* Formatted and parsed again, @r is the same. A line near the limit may
 * grow past it (the default max_downtime_ms is spelled out). */
static void check_round_trip(const struct api_request *r, size_t len)
{
	static char buf[API_REQUEST_MAX];
	struct api_request back;
	char err[256];
	int rc = api_request_format(r, buf, sizeof(buf));

	require(!rc || (rc == -ENOSPC && len > API_REQUEST_MAX - 64));
	if (rc)
		return;
	require(strlen(buf) && buf[strlen(buf) - 1] == '\n');
	require(!api_request_parse(buf, strlen(buf) - 1, &back, err, sizeof(err)));
	require(!memcmp(r, &back, sizeof(back)));
}

static void check(const char *line, size_t len)
{
	struct api_request r;
	char err[256];
	int rc = api_request_parse(line, len, &r, err, sizeof(err));

	if (rc) {
		require(rc == -EINVAL && err[0] && terminated(err, sizeof(err)));
		require(!strchr(err, '\n'));
		return;
	}
	check_accepted(&r);
	check_round_trip(&r, len);
}

/* @head, the input, @tail, as one line. */
static void check_wrapped(const char *head, const uint8_t *data, size_t size, const char *tail)
{
	size_t h = strlen(head), t = strlen(tail);
	char *line = malloc(h + size + t);

	if (!line)
		return;
	memcpy(line, head, h);
	if (size)
		memcpy(line + h, data, size);
	memcpy(line + h + size, tail, t);
	check(line, h + size + t);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(size ? (const char *)data : "", size);
	check_wrapped("{\"command\":\"snapshot\",\"path\":\"", data, size, "\"}");
	check_wrapped("{\"command\":\"migrate\",\"insecure\":true,\"uri\":\"tcp:", data, size,
		      "\"}");
	return 0;
}
