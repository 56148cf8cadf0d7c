#include "vmm/cli.h"
#include "vmm/sandbox.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char cli_run_usage[] =
	"usage: itsy run --kernel IMAGE [--initrd FILE] [--cmdline \"ARGS\"]\n"
	"                [--cpus N] [--mem SIZE] [--kernel-format image|raw] [--pmu]\n"
	"                [--watchdog] [--rng] [--console serial|virtio]\n"
	"                [--disk PATH[,ro]]... [--net tap=NAME[,mac=MAC]]... [--vsock cid=N]\n"
	"                [--api-socket PATH] [--profile POOL.json] [--seccomp kill|log|off]\n";

enum { OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_CPUS, OPT_MEM, OPT_FORMAT, OPT_PMU,
       OPT_WATCHDOG, OPT_RNG, OPT_CONSOLE, OPT_DISK, OPT_NET, OPT_VSOCK, OPT_API, OPT_PROFILE,
       OPT_SECCOMP };

static const struct option run_options[] = {
	{ "kernel",		required_argument, NULL, OPT_KERNEL },
	{ "initrd",		required_argument, NULL, OPT_INITRD },
	{ "cmdline",		required_argument, NULL, OPT_CMDLINE },
	{ "cpus",		required_argument, NULL, OPT_CPUS },
	{ "mem",		required_argument, NULL, OPT_MEM },
	{ "kernel-format",	required_argument, NULL, OPT_FORMAT },
	{ "pmu",		no_argument,	   NULL, OPT_PMU },
	{ "watchdog",		no_argument,	   NULL, OPT_WATCHDOG },
	{ "rng",		no_argument,	   NULL, OPT_RNG },
	{ "console",		required_argument, NULL, OPT_CONSOLE },
	{ "disk",		required_argument, NULL, OPT_DISK },
	{ "net",		required_argument, NULL, OPT_NET },
	{ "vsock",		required_argument, NULL, OPT_VSOCK },
	{ "api-socket",		required_argument, NULL, OPT_API },
	{ "profile",		required_argument, NULL, OPT_PROFILE },
	{ "seccomp",		required_argument, NULL, OPT_SECCOMP },
	{ NULL, 0, NULL, 0 },
};

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 20;

	if (*s < '0' || *s > '9')	/* strtoull would take blanks and signs */
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_cpus(const char *s, const struct cli_limits *lim, unsigned *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > (long)lim->max_cpus)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int check_file(const char *what, const char *path, char *err, size_t len)
{
	struct stat st;

	if (stat(path, &st))
		return fail(err, len, "%s '%s': %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return fail(err, len, "%s '%s': not a regular file", what, path);
	return 0;
}

static int check_mem(uint64_t mem, const struct cli_limits *lim, char *err, size_t len)
{
	if (mem < CLI_MIN_MEM)
		return fail(err, len, "--mem: at least %lluM of guest RAM is needed",
			    (unsigned long long)(CLI_MIN_MEM >> 20));
	if (mem % CLI_MEM_ALIGN)
		return fail(err, len, "--mem: must be a multiple of 2M");
	if (mem > lim->max_mem)
		return fail(err, len, "--mem: at most %lluG fits the memory map",
			    (unsigned long long)(lim->max_mem >> 30));
	return 0;
}

/* "PATH[,ro]" */
static int parse_disk(const char *arg, struct run_config *c, char *err, size_t len)
{
	struct disk_config *d = &c->disks[c->ndisks];
	const char *comma = strrchr(arg, ',');

	if (c->ndisks == CLI_MAX_DISKS)
		return fail(err, len, "--disk: at most %d disks", CLI_MAX_DISKS);
	d->path = arg;
	d->readonly = 0;
	if (comma && !strcmp(comma, ",ro")) {
		d->path = strndup(arg, comma - arg);
		d->readonly = 1;
	}
	if (!d->path || !*d->path) {
		if (d->path != arg)
			free((char *)d->path);
		d->path = NULL;
		return fail(err, len, "--disk '%s': expected PATH or PATH,ro", arg);
	}
	c->ndisks++;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &end) != 6 || (v[0] & 1))	/* a multicast address is no NIC's */
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

/* One "key=value" of --net into @n. */
static int net_key(const char *kv, struct nic_config *n)
{
	if (!strncmp(kv, "tap=", 4) && kv[4] && strlen(kv + 4) < sizeof(n->tap)) {
		strcpy(n->tap, kv + 4);
		return 0;
	}
	if (!strncmp(kv, "mac=", 4) && !parse_mac(kv + 4, n->mac)) {
		n->has_mac = 1;
		return 0;
	}
	return -EINVAL;
}

/* "tap=NAME[,mac=MAC]" */
static int parse_net(const char *arg, struct run_config *c, char *err, size_t len)
{
	struct nic_config n = { 0 };
	char buf[128], *save = NULL, *kv;

	if (c->nnics == CLI_MAX_NICS)
		return fail(err, len, "--net: at most %d network devices", CLI_MAX_NICS);
	snprintf(buf, sizeof(buf), "%s", arg);
	for (kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save))
		if (net_key(kv, &n))
			return fail(err, len, "--net '%s': bad '%s' (want tap=NAME of at most 15 "
				    "characters, mac=52:54:00:12:34:56)", arg, kv);
	if (!n.tap[0])
		return fail(err, len, "--net '%s': tap=NAME is required", arg);
	c->nics[c->nnics++] = n;
	return 0;
}

/* "cid=N" with N >= 3: 0-2 are reserved (hypervisor, local, host). */
static int parse_vsock(const char *arg, struct run_config *c, char *err, size_t len)
{
	char *end;
	unsigned long long cid;

	errno = 0;
	cid = strncmp(arg, "cid=", 4) ? 0 : strtoull(arg + 4, &end, 10);
	if (!cid || errno || *end || cid < 3 || cid > 0xfffffffeull)
		return fail(err, len, "--vsock '%s': expected cid=N with N from 3 to 4294967294", arg);
	c->vsock_cid = cid;
	return 0;
}

static int parse_console(const char *arg, struct run_config *c, char *err, size_t len)
{
	if (!strcmp(arg, "serial") || !strcmp(arg, "virtio")) {
		c->console = arg[0] == 'v' ? CONSOLE_VIRTIO : CONSOLE_SERIAL;
		return 0;
	}
	return fail(err, len, "--console '%s': expected 'serial' or 'virtio'", arg);
}

static int set_option(int opt, const char *arg, const struct cli_limits *lim,
		      struct run_config *c, char *err, size_t len)
{
	switch (opt) {
	case OPT_KERNEL:  c->kernel = arg; return 0;
	case OPT_INITRD:  c->initrd = arg; return 0;
	case OPT_CMDLINE: c->cmdline = arg; return 0;
	case OPT_PMU:     c->pmu = 1; return 0;
	case OPT_WATCHDOG: c->watchdog = 1; return 0;
	case OPT_RNG:     c->rng = 1; return 0;
	case OPT_CONSOLE: return parse_console(arg, c, err, len);
	case OPT_DISK:    return parse_disk(arg, c, err, len);
	case OPT_NET:     return parse_net(arg, c, err, len);
	case OPT_VSOCK:   return parse_vsock(arg, c, err, len);
	case OPT_API:     c->api_socket = arg; return 0;
	case OPT_PROFILE: c->profile_path = arg; return 0;
	case OPT_SECCOMP: return cli_parse_seccomp(arg, &c->seccomp, err, len);
	case OPT_CPUS:
		if (parse_cpus(arg, lim, &c->cpus))
			return fail(err, len, "--cpus '%s': expected a number from 1 to %u",
				    arg, lim->max_cpus);
		return 0;
	case OPT_MEM:
		if (cli_parse_size(arg, &c->mem))
			return fail(err, len, "--mem '%s': expected a size such as 512M or 2G", arg);
		return check_mem(c->mem, lim, err, len);
	case OPT_FORMAT:
		if (!strcmp(arg, "image") || !strcmp(arg, "raw")) {
			c->kernel_format = arg[0] == 'r' ? KERNEL_RAW : KERNEL_IMAGE;
			return 0;
		}
		return fail(err, len, "--kernel-format '%s': expected 'image' or 'raw'", arg);
	}
	return fail(err, len, "internal error: option %d", opt);
}

int cli_parse_seccomp(const char *arg, enum sandbox_mode *out, char *err, size_t len)
{
	if (!sandbox_parse_mode(arg, out))
		return 0;
	return fail(err, len, "--seccomp '%s': expected 'kill', 'log' or 'off'", arg);
}

static int bad_option(int opt, char **argv, char *err, size_t len)
{
	const char *arg = argv[optind - 1];

	if (opt == ':')
		return fail(err, len, "option '%s' needs a value", arg);
	return fail(err, len, "unknown option '%s'", arg);
}

int cli_parse_run(int argc, char **argv, const struct cli_limits *lim,
		  struct run_config *c, char *err, size_t errlen)
{
	int opt, rc;

	*c = (struct run_config){ .cpus = 1, .mem = CLI_DEFAULT_MEM };
	optind = 0;	/* GNU: restart scanning; parsing may run more than once */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:", run_options, NULL)) != -1) {
		if (opt == '?' || opt == ':')
			return bad_option(opt, argv, err, errlen);
		rc = set_option(opt, optarg, lim, c, err, errlen);
		if (rc)
			return rc;
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument '%s'", argv[optind]);
	if (!c->kernel)
		return fail(err, errlen, "--kernel is required");
	rc = check_file("kernel", c->kernel, err, errlen);
	if (!rc && c->initrd)
		rc = check_file("initrd", c->initrd, err, errlen);
	for (unsigned i = 0; !rc && i < c->ndisks; i++)
		rc = check_file("disk", c->disks[i].path, err, errlen);
	return rc;
}
