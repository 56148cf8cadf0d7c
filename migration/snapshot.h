/* Snapshots: a paused VM written to a directory, and a new process that
 * continues it.
 *
 * DIR/state   the state file (migration/stream.h): sections "config"
 *             (how to rebuild the VM, migration/config_state.h), "time",
 *             the board's ("abi", "gic.*", "its", "vcpu.N") and one per
 *             device ("dev.ID", e.g. "dev.pl031", "dev.virtio-blk@01":
 *             what the device is and where; itsy before device kinds
 *             wrote "dev.N.NAME" by creation order, which still loads).
 * DIR/memory  guest RAM, page for page, with all-zero pages left as holes
 *             (a sparse file); restore maps it privately instead of reading.
 *
 * Writing is atomic and never goes through a name someone else made: the
 * snapshot is written into a fresh private directory beside DIR
 * (DIR's parent/.BASE.XXXXXX, mode 0700, by mkdtemp), each file created
 * there with O_CREAT|O_EXCL|O_NOFOLLOW (mode 0600) and fsync'ed, the
 * directory fsync'ed; only once all of it succeeded does it take DIR's
 * name (then the parent is fsync'ed). An existing DIR must be a directory
 * (not a symbolic link, which is refused rather than followed) holding
 * nothing but snapshot files ("state", "memory", and the ".state.tmp" and
 * ".memory.tmp" older versions left); anything else in it is refused
 * before the guest's state is touched. It is swapped out in one step with
 * renameat2(RENAME_EXCHANGE); where the kernel or file system lacks that,
 * it is renamed aside first (so for a moment no DIR exists, and a crash
 * then leaves it as .BASE.XXXXXX beside DIR). The old snapshot's files
 * are then removed (links among them unlinked, never followed), and the
 * new DIR has mode 0700. A failed save leaves any old DIR as it was and
 * removes its temporary directory. A directory without a state file is
 * no snapshot. */
#ifndef ITSY_SNAPSHOT_H
#define ITSY_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arm64/vcpu_state.h"	/* enum vcpu_time */

struct vm;
struct run_config;

#define SNAPSHOT_STATE_FILE	"state"
#define SNAPSHOT_MEMORY_FILE	"memory"

/* Key of the "time" section: CLOCK_REALTIME at the save, nanoseconds (in
 * saved files too). */
#define SNAPSHOT_TIME_REALTIME_NS	1

/* What snapshot_read_state() tells about each section. */
struct snapshot_section_info {
	const char *name;
	uint32_t version;
	size_t bytes;		/* payload */
	unsigned entries;	/* keyed entries read */
	const char *trailing;	/* NULL, or what follows the keyed entries */
};
typedef void (*snapshot_section_fn)(void *ctx, const struct snapshot_section_info *s);

struct regset_list;

/* Read and validate DIR/state into @l, one keyed set per section (the whole
 * file is checked before anything is handed out). @fn, if set, hears of
 * each section; *@size, if set, gets the file's size. 0, or -errno with a
 * message naming the file and the section in @err. */
int snapshot_read_state(const char *dir, struct regset_list *l, snapshot_section_fn fn,
			void *ctx, size_t *size, char *err, size_t errlen);

/* The paused VM's whole state but its RAM, as sections: "config",
 * "time", the board's, the devices'. The board flushes the GIC's pending
 * tables and the ITS tables into guest RAM on the way, so RAM must be
 * copied after this. 0, or -errno with a message. */
int snapshot_collect(struct vm *vm, struct regset_list *l, char *err, size_t errlen);

/* @l as a complete state file (migration/stream.h) in @w, which
 * stream_writer_init() started. */
struct stream_writer;
int snapshot_encode(const struct regset_list *l, struct stream_writer *w);

/* Decode a state file in memory into @l (see snapshot_read_state). */
int snapshot_decode(const uint8_t *buf, size_t len, struct regset_list *l,
		    snapshot_section_fn fn, void *ctx, char *err, size_t errlen);

/* Steps 3 to 5 of a restore into a VM built from the same config
 * (board_create) whose RAM holds the guest's: check the ABI against this
 * host (@host: its profile probed on @vm already, or NULL to probe now),
 * write the board's state, load the devices. Their threads start with
 * devices_resume(), the caller's choice of when. 0, or -errno with a
 * message. */
int snapshot_apply(struct vm *vm, const struct regset_list *l, enum vcpu_time time,
		   const struct regset_list *host, char *err, size_t len);

/* Where a save's time went, microseconds: reading the board's and the
 * devices' state, writing RAM, writing the state file and installing. */
struct snapshot_split {
	uint64_t collect_us, memory_us, state_us;
};

/* Save the VM, which the caller has paused (vm_pause), as @dir, created or
 * replacing an old snapshot there (see the top of this file). The guest
 * stays paused. @split (may be NULL) gets the times. 0, or -errno with a
 * message. */
int snapshot_save(struct vm *vm, const char *dir, struct snapshot_split *split, char *err,
		  size_t errlen);

/* What a restore needs from its caller (the front end): */
struct snapshot_restore_ops {
	/* Build the VM from @cfg (the machine builder's; @memory_fd as for
	 * board_create()). */
	int (*build)(struct vm *vm, struct run_config *cfg, int memory_fd);
	/* Change the saved config before the build (e.g. disk paths given
	 * on the command line), or NULL. 0, or -errno with a message. */
	int (*prepare)(struct run_config *cfg, void *ctx, char *err, size_t len);
	void *ctx;
	enum vcpu_time time;	/* the guest's clocks: catch up or frozen */
};

/* Restore the snapshot in @dir into @vm, its config into @cfg, in the
 * order below (snapshot.c); the VM is then ready for vm_run(). 0, or
 * -errno with a message in @err (nothing runs then). */
int snapshot_restore(struct vm *vm, const char *dir, struct run_config *cfg,
		     const struct snapshot_restore_ops *ops, char *err, size_t len);

#endif
