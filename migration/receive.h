/* Live migration, destination side: "itsy receive --listen tcp:ADDR:PORT"
 * waits for one guest from "itsy ctl ... migrate" (migrate.h), then runs
 * it like "itsy run" would.
 *
 * The order, and why:
 *  1. Listen where told, and only there. A connection that fails to
 *     authenticate is dropped and the wait goes on.
 *  2. BEGIN (the guest's config): build the VM on fresh RAM, then send
 *     this host's profile, probed on that very VM, for the source to judge.
 *  3. Pages, pass after pass, into guest RAM (bounds-checked).
 *  4. STATE: restore in the snapshot order (snapshot_apply), say READY.
 *  5. GO: start the device threads, say RUNNING, then start the vCPUs. A
 *     destination that cannot say RUNNING never runs the guest.
 * Any failure before 5 ends this process with status 1 and the guest
 * untouched on the source. */
#ifndef ITSY_RECEIVE_H
#define ITSY_RECEIVE_H

/* "itsy receive --listen tcp:ADDR:PORT [--api-socket PATH]
 *  [--secret-file PATH | --insecure] [--disk PATH[,ro]]...": returns the
 * process exit status. */
int receive_main(int argc, char **argv);

#endif
