/* The control socket's requests (vmm/api.h): one JSON line in, a checked
 * struct out, before anything runs; and the line a client sends. Portable:
 * jansson only, no VM, so it links natively for the unit tests and the
 * fuzzer (tests/fuzz/fuzz_api.c).
 *
 * A request is one JSON object, without duplicate members, and nothing
 * after it on the line:
 *   {"command": "pause"}             also "resume", "status", "quit",
 *                                    "migrate-abort"
 *   {"command": "snapshot", "path": DIR}
 *   {"command": "migrate", "uri": "tcp:HOST:PORT",
 *    "max_downtime_ms": MS,          optional, an integer >= 0; 0: default
 *    "secret_file": PATH | "insecure": true}
 * Members a command does not take are refused, and so is a member of the
 * wrong JSON type. Strings are non-empty and have no NUL byte; paths are
 * at most API_PATH_MAX bytes, the uri at most API_URI_MAX. Whether the
 * path, the uri or the secret file work is for the command to find out.
 *
 * Contract:
 *  - api_request_parse() reads exactly @len bytes, never crashes on any,
 *    and refuses with -EINVAL and a one-line sentence in @err (what the
 *    server sends back as "error"); on success every string in the struct
 *    is NUL-terminated and within its bound.
 *  - api_request_format() of a parsed request parses back to the same. */
#ifndef ITSY_API_REQUEST_H
#define ITSY_API_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#define API_REQUEST_MAX	4096	/* bytes of a request line, its newline included */
#define API_PATH_MAX	1000	/* bytes of a path in a request */
#define API_URI_MAX	255	/* bytes of a migration uri */

enum api_command {
	API_PAUSE,
	API_RESUME,
	API_STATUS,
	API_QUIT,
	API_SNAPSHOT,
	API_MIGRATE,
	API_MIGRATE_ABORT,
	API_NCOMMANDS
};

/* Passes a post-copy may wait for (the migration gives up after 40). */
#define API_PASSES_MAX	40

struct api_request {
	enum api_command command;
	char path[API_PATH_MAX + 1];		/* snapshot: the directory */
	char uri[API_URI_MAX + 1];		/* migrate */
	uint64_t max_downtime_ms;		/* migrate; 0: the default */
	char secret_file[API_PATH_MAX + 1];	/* migrate; "" when insecure */
	int insecure;				/* migrate without a secret */
	int with_disks;				/* migrate the disks too */
	int postcopy;				/* post-copy when pre-copy stalls */
	unsigned postcopy_after;		/* post-copy after N passes; 0: no */
};

/* Parse the request line at @line (@len bytes, without its newline).
 * 0, or -EINVAL with the reason in @err. */
int api_request_parse(const char *line, size_t len, struct api_request *r, char *err,
		      size_t errlen);

/* The request line for @r, newline and NUL included, into @buf. 0,
 * -EINVAL if @r is not a valid request, -ENOSPC if @len is too small. */
int api_request_format(const struct api_request *r, char *buf, size_t len);

/* A request without options, for "itsy ctl ... COMMAND [ARG]": @arg is
 * the path of a command that takes one (snapshot), else NULL. 0, or
 * -EINVAL for an unknown command (migrate has options: not here), a
 * missing or extra argument, or one that is empty or too long. */
int api_request_simple(struct api_request *r, const char *command, const char *arg);

/* The command's name ("pause", ...), and whether it would pause or resume
 * the guest (so it must wait while a migration runs). */
const char *api_command_name(enum api_command c);
int api_command_pauses(enum api_command c);

#endif
