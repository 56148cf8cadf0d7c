/* Command-line parsing for "itsy run". Pure: it checks values and that
 * named files exist, and reports the first problem as one sentence. */
#ifndef ITSY_CLI_H
#define ITSY_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/sandbox.h"

enum kernel_format { KERNEL_IMAGE, KERNEL_RAW };
enum console_kind { CONSOLE_SERIAL, CONSOLE_VIRTIO };

#define CLI_MAX_DISKS	8
#define CLI_MAX_NICS	4

struct regset_list;

struct disk_config {
	const char *path;		/* into argv, or for PATH,ro a malloc'd copy */
	int readonly;
};

struct nic_config {
	char tap[16];			/* IFNAMSIZ */
	uint8_t mac[6];
	int has_mac;			/* else the device makes one up */
};

struct run_config {
	const char *kernel;
	const char *initrd;		/* NULL: none */
	const char *cmdline;		/* NULL: empty bootargs */
	unsigned cpus;
	uint64_t mem;			/* bytes */
	enum kernel_format kernel_format;
	int pmu;
	int watchdog;			/* arm the watchdog at power-on */
	int rng;			/* a virtio-rng device */
	enum console_kind console;	/* where the terminal is connected */
	uint64_t vsock_cid;		/* 0: no vsock device */
	struct disk_config disks[CLI_MAX_DISKS];
	unsigned ndisks;
	struct nic_config nics[CLI_MAX_NICS];
	unsigned nnics;
	const char *api_socket;		/* NULL: no control socket */
	const char *profile_path;	/* --profile: a pool profile file, or NULL */
	const struct regset_list *profile;	/* its contents, read by main */
	enum sandbox_mode seccomp;	/* --seccomp, default kill */
};

struct cli_limits {
	unsigned max_cpus;
	uint64_t max_mem;
};

#define CLI_DEFAULT_MEM		(512ull << 20)
#define CLI_MIN_MEM		(32ull << 20)
#define CLI_MEM_ALIGN		(2ull << 20)

/* Parse "itsy run" options (@argv[0] is "run"). Returns 0, or -EINVAL with
 * a message in @err. */
int cli_parse_run(int argc, char **argv, const struct cli_limits *lim,
		  struct run_config *c, char *err, size_t errlen);

/* --seccomp's value (kill, log, off), for every command that runs a guest.
 * 0, or -EINVAL with a message in @err. */
int cli_parse_seccomp(const char *arg, enum sandbox_mode *out, char *err, size_t len);

/* "512M", "2G", "65536K", "1024" (MiB when no suffix). 0 or -EINVAL. */
int cli_parse_size(const char *s, uint64_t *out);

/* Usage text for "itsy run". */
extern const char cli_run_usage[];

#endif
