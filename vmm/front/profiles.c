#include "vmm/front/profiles.h"
#include "arch/arm64/board.h"
#include "arch/arm64/compat.h"
#include "arch/arm64/profile.h"
#include "migration/profile_file.h"
#include "vmm/front/cli.h"
#include "vmm/log.h"
#include "vmm/regset.h"
#include "vmm/vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POOL	16

/* A VM with one vCPU and the vGIC, no devices, never run: what a guest
 * on this host would get. */
static int probe_host(struct regset_list *out)
{
	static struct vm vm;
	static struct run_config cfg;
	int rc;

	cfg.cpus = 1;
	cfg.mem = 64ull << 20;
	vm.cfg = &cfg;
	rc = vm_init(&vm);
	rc = rc ? rc : board_create(&vm, &cfg, BOARD_MEMORY_INCOMING);
	rc = rc ? rc : profile_probe(&vm, out, 1);
	if (rc)
		log_msg("cannot probe this host's KVM: %s", strerror(-rc));
	return rc;
}

int host_profile_main(int argc, char **argv)
{
	struct regset_list l = { 0 };
	int json = argc == 2 && !strcmp(argv[1], "--json");
	char err[512];
	int rc;

	if (argc > 2 || (argc == 2 && !json)) {
		fputs("usage: itsy host-profile [--json]\n", stderr);
		return 1;
	}
	if (probe_host(&l))
		return 1;
	if (json)
		rc = profile_file_write(&l, stdout, err, sizeof(err));
	else {
		profile_print(&l, stdout);
		rc = 0;
	}
	if (rc)
		log_msg("host-profile: %s", err);
	regset_list_free(&l);
	return rc ? 1 : 0;
}

static void note(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "lowered: %s\n", line);
}

static int intersect(int argc, char **argv)
{
	static struct regset_list hosts[MAX_POOL];
	const struct regset_list *ptr[MAX_POOL];
	struct regset_list pool = { 0 };
	char err[1024];
	int rc = 0, n = argc - 1;

	if (n < 1 || n > MAX_POOL) {
		fprintf(stderr, "usage: itsy profile intersect A.json B.json ... (1 to %d files)\n", MAX_POOL);
		return 1;
	}
	for (int i = 0; !rc && i < n; i++) {
		rc = profile_file_read(argv[i + 1], &hosts[i], err, sizeof(err));
		ptr[i] = &hosts[i];
	}
	rc = rc ? rc : compat_intersect(ptr, (unsigned)n, &pool, note, NULL, err, sizeof(err));
	rc = rc ? rc : profile_file_write(&pool, stdout, err, sizeof(err));
	if (rc)
		log_msg("profile intersect: %s", err);
	return rc ? 1 : 0;
}

static int check(int argc, char **argv)
{
	struct regset_list pool = { 0 }, here = { 0 };
	char err[1024];
	int rc;

	if (argc != 2) {
		fputs("usage: itsy profile check POOL.json\n", stderr);
		return 1;
	}
	rc = profile_file_read(argv[1], &pool, err, sizeof(err));
	if (!rc && (rc = probe_host(&here)))
		return 1;
	rc = rc ? rc : compat_honours(&pool, &here, err, sizeof(err));
	if (rc) {
		log_msg("profile check: this host cannot take guests of %s: %s", argv[1], err);
		return 1;
	}
	printf("this host can take guests of %s\n", argv[1]);
	return 0;
}

int profile_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "intersect"))
		return intersect(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "check"))
		return check(argc - 1, argv + 1);
	fputs("usage: itsy profile intersect A.json B.json ... > POOL.json\n"
	      "       itsy profile check POOL.json\n", stderr);
	return 1;
}
