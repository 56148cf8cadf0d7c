#include "vmm/front/commands.h"
#include "arch/arm64/board.h"
#include "migration/inspect.h"
#include "migration/profile_file.h"
#include "migration/receive.h"
#include "migration/snapshot.h"
#include "vmm/front/api.h"
#include "vmm/front/cli.h"
#include "vmm/front/machine.h"
#include "vmm/console.h"
#include "vmm/log.h"
#include "vmm/regset.h"
#include "vmm/vm.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int wants_help(int argc, char **argv)
{
	return argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
}

/* ---- itsy run ---- */

int cmd_run(int argc, char **argv)
{
	static struct vm vm;	/* static: start-up code may die() with it live */
	static struct regset_list profile;
	static struct run_config cfg;
	struct config_limits lim;
	char err[1024];

	if (wants_help(argc, argv)) {
		cli_run_usage(stdout);
		return 0;
	}
	if (vm_init(&vm))
		die("cannot set up the VM's event fd");
	board_limits(&lim);
	if (cli_parse_run(argc, argv, &lim, &cfg, err, sizeof(err))) {
		log_msg("%s", err);
		cli_run_usage(stderr);
		return VM_EXIT_ERROR;
	}
	sandbox_configure(cfg.seccomp);	/* before any thread is made */
	if (cfg.profile_path && profile_file_read(cfg.profile_path, &profile, err, sizeof(err)))
		die("--profile %s: %s", cfg.profile_path, err);
	cfg.profile = cfg.profile_path ? &profile : NULL;
	vm.console = console_open(STDIN_FILENO, STDOUT_FILENO);
	vm.cfg = &cfg;
	if (!vm.console || machine_build(&vm, &cfg, -1))
		die("the guest was not started");
	if (cfg.api_socket && api_listen(&vm, cfg.api_socket))
		die("the guest was not started");
	return vm_run(&vm);
}

/* ---- what restore and receive share ---- */

/* The options of a command that runs a guest someone else started. */
struct guest_opts {
	const char *api_socket;
	const char *disks[CONFIG_MAX_DEVICES];	/* --disk: new paths, in order */
	unsigned ndisks;
	enum sandbox_mode seccomp;
};

enum { OPT_API = 0x100, OPT_DISK, OPT_SECCOMP };

#define GUEST_OPTIONS \
	{ "api-socket", required_argument, NULL, OPT_API }, \
	{ "disk", required_argument, NULL, OPT_DISK }, \
	{ "seccomp", required_argument, NULL, OPT_SECCOMP }

#define GUEST_USAGE	"[--api-socket PATH] [--disk PATH[,ro]]... [--seccomp kill|log|off]"

/* One of GUEST_OPTIONS into @g: 0, or -EINVAL after saying why. */
static int guest_opt(int opt, const char *arg, struct guest_opts *g)
{
	char err[256];

	switch (opt) {
	case OPT_API:
		g->api_socket = arg;
		return 0;
	case OPT_DISK:
		if (g->ndisks == CONFIG_MAX_DEVICES)
			break;
		g->disks[g->ndisks++] = arg;
		return 0;
	case OPT_SECCOMP:
		if (!cli_parse_seccomp(arg, &g->seccomp, err, sizeof(err)))
			return 0;
		log_msg("%s", err);
		return -EINVAL;
	}
	return -EINVAL;
}

/* The saved config as this host wants it: --disk paths replace the
 * recorded ones, in order. */
static int override(struct run_config *cfg, void *ctx, char *err, size_t len)
{
	const struct guest_opts *g = ctx;
	int rc = config_override(cfg, "virtio-blk", g->disks, g->ndisks);

	if (rc == -ERANGE)
		snprintf(err, len, "--disk given %u times, but the guest has %u disks", g->ndisks,
			 config_count(cfg, "virtio-blk"));
	else if (rc)
		snprintf(err, len, "--disk: a path is too long");
	if (!rc)
		cfg->api_socket = g->api_socket;
	return rc;
}

/* A restore's: overridden, then its devices checked here. */
static int prepare(struct run_config *cfg, void *ctx, char *err, size_t len)
{
	int rc = override(cfg, ctx, err, len);

	return rc ? rc : machine_check(cfg, err, len);
}

/* A console and the VM's event fd, once confined as the options say. */
static void guest_start(struct vm *vm, const struct guest_opts *g)
{
	sandbox_configure(g->seccomp);	/* before any thread is made */
	if (vm_init(vm) || !(vm->console = console_open(STDIN_FILENO, STDOUT_FILENO)))
		die("cannot set up the VM");
}

/* ---- itsy restore ---- */

static const char restore_usage[] =
	"usage: itsy restore --from DIR [--freeze-time] " GUEST_USAGE "\n";

int cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "freeze-time", no_argument, NULL, 't' },
		GUEST_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static struct vm vm;
	static struct run_config cfg;
	struct guest_opts g = { 0 };
	struct snapshot_restore_ops ops = { machine_build, prepare, &g, VCPU_TIME_CATCH_UP };
	const char *from = NULL;
	char err[2048] = "";
	int opt, bad = 0;

	optind = 0;
	opterr = 0;
	while (!bad && (opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (opt == 'f')
			from = optarg;
		else if (opt == 't')
			ops.time = VCPU_TIME_FREEZE;
		else
			bad = guest_opt(opt, optarg, &g);
	}
	if (bad || !from || optind != argc) {
		fputs(restore_usage, stderr);
		return VM_EXIT_ERROR;
	}
	guest_start(&vm, &g);
	if (snapshot_restore(&vm, from, &cfg, &ops, err, sizeof(err))) {
		log_msg("restore from %s refused: %s", from, err);
		return VM_EXIT_ERROR;
	}
	if (g.api_socket && api_listen(&vm, g.api_socket))
		return VM_EXIT_ERROR;
	return vm_run(&vm);
}

/* ---- itsy receive ---- */

static const char receive_usage[] =
	"usage: itsy receive --listen tcp:ADDR:PORT [--secret-file PATH | --insecure]\n"
	"                    " GUEST_USAGE "\n"
	"  The secret file may also come from ITSY_MIGRATION_SECRET_FILE.\n";

/* Restored, before READY: the control socket. */
static int receive_ready(struct vm *vm, void *ctx)
{
	const struct guest_opts *g = ctx;

	return g->api_socket ? api_listen(vm, g->api_socket) : 0;
}

static int receive_parse(int argc, char **argv, struct receive_opts *o, struct guest_opts *g)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "insecure", no_argument, NULL, 'i' },
		GUEST_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int opt, bad = 0;

	optind = 0;
	opterr = 0;
	while (!bad && (opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (opt == 'l')
			o->listen = optarg;
		else if (opt == 's')
			o->secret_file = optarg;
		else if (opt == 'i')
			o->insecure = 1;
		else
			bad = guest_opt(opt, optarg, g);
	}
	if (!o->secret_file && !o->insecure)	/* as ctl: --insecure wins */
		o->secret_file = getenv("ITSY_MIGRATION_SECRET_FILE");
	return bad || !o->listen || optind != argc ? -EINVAL : 0;
}

int cmd_receive(int argc, char **argv)
{
	static struct vm vm;
	struct guest_opts g = { 0 };
	struct receive_opts o = { .prepare = override, .check = machine_check,
				  .attach = machine_attach,
				  .ready = receive_ready, .ctx = &g };
	uint8_t secret[WIRE_KEY_LEN];
	struct run_config *cfg;
	int lfd, secured;

	if (receive_parse(argc, argv, &o, &g)) {
		fputs(receive_usage, stderr);
		return VM_EXIT_ERROR;
	}
	lfd = receive_listen(&o, secret, &secured);
	if (lfd < 0)
		return VM_EXIT_ERROR;
	guest_start(&vm, &g);
	if (receive_guest(&vm, &o, lfd, secured ? secret : NULL, &cfg))
		return VM_EXIT_ERROR;
	close(lfd);
	return vm_run(&vm);
}

/* ---- itsy inspect ---- */

static const char inspect_usage[] =
	"usage: itsy inspect DIR [--json]\n"
	"  print what the snapshot in DIR holds: configuration, vCPUs, GIC, ITS\n"
	"  tables (which LPI each device's interrupts are), devices and queues;\n"
	"  --json prints the same as one JSON object. Exit status 1 if the\n"
	"  snapshot cannot be read or would not restore (the reason is printed).\n";

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, as_json = 0;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(inspect_usage, stdout);
			return 0;
		}
		if (opt != 'j') {
			fputs(inspect_usage, stderr);
			return 1;
		}
		as_json = 1;
	}
	if (optind + 1 != argc) {
		fputs(inspect_usage, stderr);
		return 1;
	}
	return inspect_show(argv[optind], as_json);
}
