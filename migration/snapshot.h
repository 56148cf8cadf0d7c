/* Snapshots: a paused VM written to a directory, and a new process that
 * continues it.
 *
 * DIR/state   the state file (migration/stream.h): sections "config"
 *             (how to rebuild the VM), "time", the board's ("abi", "gic.*",
 *             "its", "vcpu.N") and one per device ("dev.N.NAME").
 * DIR/memory  guest RAM, page for page, with all-zero pages left as holes
 *             (a sparse file); restore maps it privately instead of reading.
 *
 * Writing is atomic: the old state file goes first, then the memory file
 * and the state file are each written under a temporary name and renamed.
 * A directory without a state file is no snapshot. */
#ifndef ITSY_SNAPSHOT_H
#define ITSY_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/* Save the VM, which the caller has paused (vm_pause), into @dir (created
 * if missing). The guest stays paused. 0, or -errno with a message. */
int snapshot_save(struct vm *vm, const char *dir, char *err, size_t errlen);

/* "itsy restore --from DIR [--api-socket PATH] [--freeze-time]
 *  [--disk PATH[,ro]]...": returns the process exit status. */
int snapshot_restore_main(int argc, char **argv);

#endif
