/* Live migration, destination side: "itsy receive --listen tcp:ADDR:PORT"
 * (its command line: vmm/front) waits for one guest from "itsy ctl ...
 * migrate" (migrate.h), then runs it like "itsy run" would.
 *
 * The order, and why:
 *  1. Listen where told, and only there. A connection that fails to
 *     authenticate is dropped and the wait goes on.
 *  2. BEGIN (the guest's config): build the VM on fresh RAM, then send
 *     this host's profile, probed on that very VM, for the source to judge.
 *  3. Pages, pass after pass, into guest RAM (bounds-checked), and with
 *     the source's --with-disks, disk contents into this host's disks
 *     (the BEGIN's "disks" section: the --disk paths are opened, or
 *     created, before the VM is built; migration/disk_copy.h).
 *  4. STATE: the disks to stable storage (fdatasync); restore in the
 *     snapshot order (snapshot_apply), say READY.
 *  5. GO: start the device threads, say RUNNING, then start the vCPUs. A
 *     destination that cannot say RUNNING never runs the guest.
 * Post-copy (the source's --postcopy): a POSTCOPY frame before the state
 * names the pages the source still holds; they are dropped here and RAM is
 * registered with userfaultfd, and from the state on the link belongs to
 * postcopy.h's threads, which fetch those pages as they are touched (the
 * restore included) and take GO; the process goes on as in 5.
 * Any failure before 5 ends this process with status 1 and the guest
 * untouched on the source; the disk files it created are removed. */
#ifndef ITSY_RECEIVE_H
#define ITSY_RECEIVE_H

#include <stdint.h>

#include "migration/wire.h"

struct vm;
struct run_config;

/* What a destination is told (the command line's, vmm/front), and what
 * the front end does at two moments of it. */
struct receive_opts {
	const char *listen;		/* tcp:IP:PORT */
	const char *secret_file;	/* or NULL with @insecure */
	int insecure;
	/* The guest's config arrived: change it before the VM is built (disk
	 * paths given here), or NULL. 0, or -errno with a message. */
	int (*prepare)(struct run_config *cfg, void *ctx, char *err, size_t len);
	/* Then, once the disks that come with the guest were created, check
	 * the config's devices here, or NULL. 0, or -errno with a message. */
	int (*check)(const struct run_config *cfg, char *err, size_t len);
	/* Make the config's devices (the machine builder's), at the hand-over. */
	int (*attach)(struct vm *vm, const struct run_config *cfg);
	/* The guest is restored, before READY: e.g. open the control socket.
	 * 0, or -errno after logging why. Or NULL. */
	int (*ready)(struct vm *vm, void *ctx);
	void *ctx;
};

/* Step 1: the secret (into @secret, *@secured 1; 0 with --insecure), and
 * the listening socket. Its fd, or -errno after logging why. */
int receive_listen(const struct receive_opts *o, uint8_t secret[WIRE_KEY_LEN], int *secured);

/* Steps 2 to 5 on listening socket @lfd into @vm (vm_init() done, a
 * console open): 0 once the guest may run (vm_run(), the caller's), with
 * its config in *@cfg; else -errno after logging why, no guest here. */
int receive_guest(struct vm *vm, const struct receive_opts *o, int lfd,
		  const uint8_t *secret, struct run_config **cfg);

#endif
