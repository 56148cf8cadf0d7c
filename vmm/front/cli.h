/* Command-line parsing for "itsy run". Pure: it checks values (each
 * device's by its kind, devices/kind.h) and that named files exist, and
 * reports the first problem as one sentence. The devices' options come
 * from the kinds' table. */
#ifndef ITSY_CLI_H
#define ITSY_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/config.h"
#include "vmm/sandbox.h"

#define CLI_DEFAULT_MEM		(512ull << 20)
#define CLI_MIN_MEM		(32ull << 20)
#define CLI_MEM_ALIGN		(2ull << 20)

/* Parse "itsy run" options (@argv[0] is "run"). Returns 0, or -EINVAL with
 * a message in @err. */
int cli_parse_run(int argc, char **argv, const struct config_limits *lim,
		  struct run_config *c, char *err, size_t errlen);

/* --seccomp's value (kill, log, off), for every command that runs a guest.
 * 0, or -EINVAL with a message in @err. */
int cli_parse_seccomp(const char *arg, enum sandbox_mode *out, char *err, size_t len);

/* "512M", "2G", "65536K", "1024" (MiB when no suffix). 0 or -EINVAL. */
int cli_parse_size(const char *s, uint64_t *out);

/* Usage text for "itsy run", the devices' options included. */
void cli_run_usage(FILE *f);

#endif
