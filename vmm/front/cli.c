#include "vmm/front/cli.h"
#include "devices/kind.h"
#include "vmm/log.h"
#include "vmm/sandbox.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The machine's own options; the devices' come from their kinds
 * (devices/kind.h), with values 256 + the kind's index. */
enum { OPT_KERNEL = 1, OPT_INITRD, OPT_CMDLINE, OPT_CPUS, OPT_MEM, OPT_FORMAT, OPT_PMU,
       OPT_NO_PVTIME, OPT_SVE_VL, OPT_WATCHDOG, OPT_CONSOLE, OPT_API, OPT_PROFILE, OPT_SECCOMP, OPT_KIND = 256 };

struct machine_option {
	const char *name, *syntax;
	int opt;
};

static const struct machine_option machine_options[] = {
	{ "kernel", "IMAGE", OPT_KERNEL },
	{ "initrd", "FILE", OPT_INITRD },
	{ "cmdline", "\"ARGS\"", OPT_CMDLINE },
	{ "cpus", "N", OPT_CPUS },
	{ "mem", "SIZE", OPT_MEM },
	{ "kernel-format", "image|raw", OPT_FORMAT },
	{ "pmu", NULL, OPT_PMU },
	{ "no-pvtime", NULL, OPT_NO_PVTIME },
	{ "sve-vl", "BITS|off", OPT_SVE_VL },
	{ "watchdog", NULL, OPT_WATCHDOG },
	{ "console", "serial|virtio", OPT_CONSOLE },
	{ "api-socket", "PATH", OPT_API },
	{ "profile", "POOL.json", OPT_PROFILE },
	{ "seccomp", "kill|log|off", OPT_SECCOMP },
};

#define NMACHINE	(sizeof(machine_options) / sizeof(machine_options[0]))
#define MAX_OPTIONS	(NMACHINE + 16)

/* getopt_long's table: the machine's options, then every kind's. */
static void build_options(struct option *o)
{
	const struct device_kind *k;
	unsigned n = 0;

	for (unsigned i = 0; i < NMACHINE; i++)
		o[n++] = (struct option){ machine_options[i].name,
					  machine_options[i].syntax ? required_argument : no_argument,
					  NULL, machine_options[i].opt };
	for (unsigned i = 0; (k = device_kind_at(i)) && n < MAX_OPTIONS; i++)
		if (k->option)
			o[n++] = (struct option){ k->option, k->syntax ? required_argument : no_argument,
						  NULL, OPT_KIND + (int)i };
	o[n] = (struct option){ NULL, 0, NULL, 0 };
}

/* A sentence in @err, and -EINVAL. */
#define fail(err, len, ...)	log_err(err, len, -EINVAL, __VA_ARGS__)

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

static int parse_cpus(const char *s, const struct config_limits *lim, unsigned *out)
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

static int check_mem(uint64_t mem, const struct config_limits *lim, char *err, size_t len)
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

/* --sve-vl: the longest vector length, a multiple of 128 bits, or "off". */
static int parse_sve_vl(const char *arg, struct run_config *c, char *err, size_t len)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (!strcmp(arg, "off")) {
		c->sve_vl = CONFIG_SVE_OFF;
		return 0;
	}
	if (end == arg || *end || v < 128 || v > CONFIG_SVE_VL_MAX || v % 128)
		return fail(err, len, "--sve-vl '%s': expected 'off' or a vector length in bits, "
			    "a multiple of 128 from 128 to %d", arg, CONFIG_SVE_VL_MAX);
	c->sve_vl = (int)v;
	return 0;
}

/* --console virtio also adds the virtio-console device. */
static int parse_console(const char *arg, struct run_config *c, char *err, size_t len)
{
	if (!strcmp(arg, "serial") || !strcmp(arg, "virtio")) {
		c->console = arg[0] == 'v' ? CONSOLE_VIRTIO : CONSOLE_SERIAL;
		return 0;
	}
	return fail(err, len, "--console '%s': expected 'serial' or 'virtio'", arg);
}

/* A device's option: checked by its kind, kept as given. */
static int add_device(const struct device_kind *k, const char *arg, struct run_config *c,
		      char *err, size_t len)
{
	int rc;

	if (config_count(c, k->name) >= k->max)
		return fail(err, len, "--%s: at most %u", k->option, k->max);
	if (k->check && (rc = k->check(arg, err, len)))
		return rc;
	rc = config_add_device(c, k->name, arg);
	if (rc == -E2BIG)
		return fail(err, len, "--%s: the value is longer than %d bytes", k->option,
			    CONFIG_ARG_MAX);
	return rc ? fail(err, len, "--%s: at most %d devices in all", k->option,
			 CONFIG_MAX_DEVICES) : 0;
}

static int set_option(int opt, const char *arg, const struct config_limits *lim,
		      struct run_config *c, char *err, size_t len)
{
	switch (opt) {
	case OPT_KERNEL:  c->kernel = arg; return 0;
	case OPT_INITRD:  c->initrd = arg; return 0;
	case OPT_CMDLINE: c->cmdline = arg; return 0;
	case OPT_PMU:     c->pmu = 1; return 0;
	case OPT_NO_PVTIME: c->no_pvtime = 1; return 0;
	case OPT_SVE_VL:  return parse_sve_vl(arg, c, err, len);
	case OPT_WATCHDOG: c->watchdog = 1; return 0;
	case OPT_CONSOLE: return parse_console(arg, c, err, len);
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
	if (opt >= OPT_KIND && device_kind_at(opt - OPT_KIND))
		return add_device(device_kind_at(opt - OPT_KIND), arg ? arg : "", c, err, len);
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

int cli_parse_run(int argc, char **argv, const struct config_limits *lim,
		  struct run_config *c, char *err, size_t errlen)
{
	struct option opts[MAX_OPTIONS + 1];
	int opt, rc;

	*c = (struct run_config){ .cpus = 1, .mem = CLI_DEFAULT_MEM };
	build_options(opts);
	optind = 0;	/* GNU: restart scanning; parsing may run more than once */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
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
	/* Why last: the terminal's device comes after those named. */
	if (!rc && c->console == CONSOLE_VIRTIO)
		rc = add_device(device_kind_named("virtio-console"), "", c, err, errlen);
	return rc;
}

/* "[--name SYNTAX]" or "[--name]", then "..." for a kind that may repeat. */
static void usage_item(FILE *f, const char *name, const char *syntax, unsigned max)
{
	fprintf(f, " [--%s%s%s]%s", name, syntax ? " " : "", syntax ? syntax : "",
		max > 1 ? "..." : "");
}

void cli_run_usage(FILE *f)
{
	const struct device_kind *k;

	fputs("usage: itsy run", f);
	for (unsigned i = 0; i < NMACHINE; i++)
		usage_item(f, machine_options[i].name, machine_options[i].syntax, 1);
	for (unsigned i = 0; (k = device_kind_at(i)); i++)
		if (k->option)
			usage_item(f, k->option, k->syntax, k->max);
	fputs("\n  devices:\n", f);
	for (unsigned i = 0; (k = device_kind_at(i)); i++)
		if (k->option)
			fprintf(f, "    --%-8s %s\n", k->option, k->help);
}
