/* itsy: a small arm64 virtual machine monitor on KVM. */
#include "vmm/front/api.h"
#include "vmm/front/commands.h"
#include "vmm/front/profiles.h"
#include "vmm/log.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

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
	{ "restore", cmd_restore },
	{ "receive", cmd_receive },
	{ "inspect", cmd_inspect },
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
