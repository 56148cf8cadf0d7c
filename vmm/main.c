/* itsy: a small arm64 virtual machine monitor on KVM. */
#include "arch/arm64/board.h"
#include "migration/inspect.h"
#include "migration/profile_file.h"
#include "migration/profiles.h"
#include "migration/receive.h"
#include "migration/snapshot.h"
#include "vmm/api.h"
#include "vmm/cli.h"
#include "vmm/console.h"
#include "vmm/log.h"
#include "vmm/regset.h"
#include "vmm/vm.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef ITSY_VERSION
#define ITSY_VERSION "dev"
#endif

static const char usage[] =
	"usage: itsy <command> [options]\n"
	"commands:\n"
	"  run       boot a guest (itsy run --help)\n"
	"  ctl       talk to a running itsy (itsy ctl --api-socket PATH COMMAND)\n"
	"  restore   continue a snapshot in a new process (itsy restore --from DIR)\n"
	"  receive   wait for a guest migrating here (itsy receive --listen tcp:ADDR:PORT)\n"
	"  inspect   print what a snapshot holds (itsy inspect DIR [--json])\n"
	"  host-profile  what this host's KVM offers guests ([--json])\n"
	"  profile   pool profiles: intersect A.json B.json..., check POOL.json\n"
	"  version   print the version\n";

static int cmd_run(int argc, char **argv)
{
	static struct vm vm;	/* static: start-up code may die() with it live */
	static struct regset_list profile;
	struct cli_limits lim;
	struct run_config cfg;
	char err[1024];

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(cli_run_usage, stdout);
		return 0;
	}
	if (vm_init(&vm))
		die("cannot set up the VM's event fd");
	board_limits(&lim);
	if (cli_parse_run(argc, argv, &lim, &cfg, err, sizeof(err)))
		die("%s\n%s", err, cli_run_usage);
	sandbox_configure(cfg.seccomp);	/* before any thread is made */
	if (cfg.profile_path && profile_file_read(cfg.profile_path, &profile, err, sizeof(err)))
		die("--profile %s: %s", cfg.profile_path, err);
	cfg.profile = cfg.profile_path ? &profile : NULL;
	vm.console = console_open(STDIN_FILENO, STDOUT_FILENO);
	vm.cfg = &cfg;
	if (!vm.console || board_create(&vm, &cfg, -1))
		die("the guest was not started");
	if (cfg.api_socket && api_listen(&vm, cfg.api_socket))
		die("the guest was not started");
	return vm_run(&vm);
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	puts("itsy " ITSY_VERSION);
	return 0;
}

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "run", cmd_run },
	{ "ctl", api_ctl },
	{ "restore", snapshot_restore_main },
	{ "receive", receive_main },
	{ "inspect", inspect_main },
	{ "host-profile", host_profile_main },
	{ "profile", profile_main },
	{ "version", cmd_version },
};

int main(int argc, char **argv)
{
	/* A peer that hangs up (API client, migration) is an error to handle
	 * where it happens, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	die("unknown command '%s'\n%s", argv[1], usage);
}
