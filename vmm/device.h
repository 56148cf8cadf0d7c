/* The one interface every device model offers the VMM (bhyve-style), so
 * that pausing, snapshots and migration can treat devices alike.
 *
 * Order contract: devices are paused after the vCPUs (nothing new can
 * come from the guest) and resumed before them; pause returns only when
 * the device touches neither guest RAM nor interrupts any more and has
 * nothing in flight, or fails and leaves the device running as it was. save/load write and read the device's own state as a
 * keyed set of little-endian fields (vmm/regset.h) whose layout is
 * @version (the stream belongs to migration/); load runs on a paused,
 * realized device, refuses a version it does not know, and rebuilds routes,
 * irqfds and ioeventfds from that state rather than copying them. Hooks a
 * device does not need are NULL. */
#ifndef ITSY_DEVICE_H
#define ITSY_DEVICE_H

struct vm;
struct regset;
struct disk_log;

struct device_ops {
	const char *name;
	unsigned version;		/* of the saved state */
	/* Back to power-on state, from the host (the guest's own resets
	 * come through its registers). */
	void (*reset)(void *state);
	int (*pause)(void *state);
	int (*resume)(void *state);
	int (*save)(void *state, struct regset *out);
	int (*load)(void *state, const struct regset *in, unsigned version);
	/* Paused, at a migration's hand-over: let go of host resources that
	 * the destination (maybe another itsy on this host) takes next: disk
	 * locks, the tap, the vsock CID. acquire() takes them back, on a
	 * failed hand-over. */
	int (*release)(void *state);
	int (*acquire)(void *state);
	/* A device that writes guest RAM outside the VMM (vhost) logs those
	 * pages in @bits while a migration runs (mem_dirty_mark's bitmap);
	 * NULL stops it. */
	int (*log_dirty)(void *state, unsigned long *bits);
	/* A device with a disk (virtio-blk), for moving the disk with the
	 * guest: with @log, describe the disk in it (disk_log_init: its fd and
	 * size) and from then on mark in it every range the guest changes;
	 * with NULL, stop (the caller frees the log after). -ENODEV: no disk. */
	int (*log_disk)(void *state, struct disk_log *log);
};

#define DEVICE_ID_MAX	23

struct device {
	const struct device_ops *ops;
	void *state;
	/* Names its saved state ("dev.ID"): what it is and where, e.g.
	 * "pl031" or "virtio-blk@01" (kind @ PCI slot), never when it came. */
	char id[DEVICE_ID_MAX + 1];
};

#define VM_MAX_DEVICES	32

/* Register a realized device with the VM under @id (unique in the VM, at
 * most DEVICE_ID_MAX bytes). -ENOSPC when full, -EINVAL for a bad id. */
int device_add(struct vm *vm, const struct device_ops *ops, void *state, const char *id);

/* Pause every device, in registration order. Stops at the first error and
 * returns it, after resuming the devices it had paused: the VM is as it
 * was. */
int devices_pause(struct vm *vm);
/* Resume every device, in reverse order, each even when one before it
 * failed; returns the first error. */
int devices_resume(struct vm *vm);

/* Release (acquire) every device's host resources, in registration
 * order. Both try every device and return the first error. */
int devices_release(struct vm *vm);
int devices_acquire(struct vm *vm);

/* Every device's log_dirty(@bits); the first error. */
int devices_log_dirty(struct vm *vm, unsigned long *bits);

/* Start every disk's log (log_disk) into @logs, at most @max, in
 * registration order, which is the disks' order in the config: how many,
 * or -errno after stopping those started. With @logs NULL, stop them all. */
int devices_log_disks(struct vm *vm, struct disk_log *logs, unsigned max);

#endif
