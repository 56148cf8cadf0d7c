#include "migration/snapshot.h"
#include "arch/arm64/board.h"
#include "migration/config_state.h"
#include "migration/pages.h"
#include "migration/stream.h"
#include "vmm/clock.h"
#include "vmm/config.h"
#include "vmm/file.h"
#include "vmm/log.h"
#include "vmm/regset.h"
#include "vmm/vm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE	(1 << 1)	/* renameat2(): swap the two names */
#endif

#define STATE_FILE	SNAPSHOT_STATE_FILE
#define MEMORY_FILE	SNAPSHOT_MEMORY_FILE
#define TIME_REALTIME_NS	SNAPSHOT_TIME_REALTIME_NS
#define CHUNK		(64u << 10)

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* ---- saving ---- */

static int save_devices(struct vm *vm, struct regset_list *l, char *err, size_t len)
{
	for (unsigned i = 0; i < vm->ndevices; i++) {
		const struct device_ops *ops = vm->devices[i].ops;
		char name[REGSET_NAME_MAX + 1];
		struct regset *s;
		int rc;

		if (!ops->save)
			continue;
		snprintf(name, sizeof(name), "dev.%s", vm->devices[i].id);
		s = regset_list_add(l, name, ops->version);
		rc = s ? ops->save(vm->devices[i].state, s) : -ENOMEM;
		if (rc) {
			snprintf(err, len, "device %s: save: %s", name, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int snapshot_encode(const struct regset_list *l, struct stream_writer *w)
{
	for (unsigned i = 0; i < l->n; i++) {
		size_t pos = 0;
		uint64_t key;
		const uint8_t *val;
		uint32_t len;

		stream_section_begin(w, l->v[i].name, l->v[i].version);
		while (regset_next(&l->v[i].set, &pos, &key, &val, &len))
			stream_put_kv(w, key, val, len);
		stream_section_end(w);
	}
	return stream_writer_finish(w);
}

/* ---- the snapshot directory: written aside, then swapped in ---- */

/* What a snapshot directory may hold: its files, and the temporary names
 * older versions wrote them under. Replacing DIR removes these, nothing
 * else; DIR holding anything else is refused. */
static const char *const own_names[] = { STATE_FILE, MEMORY_FILE, ".state.tmp", ".memory.tmp" };

static int own_name(const char *name)
{
	for (size_t i = 0; i < sizeof(own_names) / sizeof(own_names[0]); i++)
		if (!strcmp(name, own_names[i]))
			return 1;
	return 0;
}

struct snapdir {
	const char *dir;		/* DIR as given, for messages */
	char parent[PATH_MAX];		/* DIR's parent, as a path */
	char base[NAME_MAX + 1];	/* DIR's last component */
	char tmp[NAME_MAX + 1];		/* the new snapshot's name in the parent */
	int pfd, fd;			/* the parent; the new snapshot */
	int exists;			/* DIR is there already (an old snapshot) */
};

/* DIR as parent + base, without trailing slashes. */
static int split_dir(struct snapdir *d, const char *dir)
{
	size_t n = strlen(dir);
	char *slash;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (!n)
		return -EINVAL;
	if (n >= sizeof(d->parent))
		return -ENAMETOOLONG;
	memcpy(d->parent, dir, n);
	d->parent[n] = 0;
	slash = strrchr(d->parent, '/');
	if ((size_t)snprintf(d->base, sizeof(d->base), "%s", slash ? slash + 1 : d->parent) + 8 >
	    NAME_MAX)
		return -ENAMETOOLONG;
	if (!d->base[0] || !strcmp(d->base, ".") || !strcmp(d->base, ".."))
		return -EINVAL;
	if (!slash)
		strcpy(d->parent, ".");
	else
		d->parent[slash == d->parent ? 1 : slash - d->parent] = 0;
	return 0;
}

/* An existing DIR may be replaced if it is a directory of snapshot files. */
static int check_old(struct snapdir *d, char *err, size_t len)
{
	struct stat st;
	struct dirent *e;
	DIR *old;
	int fd, rc = 0;

	if (fstatat(d->pfd, d->base, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, len, "%s exists and is not a directory%s", d->dir,
			 S_ISLNK(st.st_mode) ? " (a symbolic link is not followed)" : "");
		return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
	}
	fd = openat(d->pfd, d->base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	old = fd < 0 ? NULL : fdopendir(fd);
	if (!old) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	while (!rc && (e = readdir(old)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !own_name(e->d_name)) {
			snprintf(err, len, "%s holds '%s': it is no snapshot to replace", d->dir,
				 e->d_name);
			rc = -ENOTEMPTY;
		}
	closedir(old);
	d->exists = !rc;
	return rc;
}

/* A fresh private directory beside DIR: parent/.BASE.XXXXXX, mode 0700. */
static int make_tmp(struct snapdir *d, char *name, size_t size)
{
	char path[PATH_MAX];
	size_t plen = strlen(d->parent);

	if ((size_t)snprintf(path, sizeof(path), "%s/.%s.XXXXXX", d->parent, d->base) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	if (!mkdtemp(path))
		return -errno;
	snprintf(name, size, "%s", path + plen + 1);
	return 0;
}

/* Remove the snapshot files in @name (a directory in the parent), then it.
 * Links in it are removed, never followed. */
static int remove_snapdir(int pfd, const char *name)
{
	int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < sizeof(own_names) / sizeof(own_names[0]); i++)
		unlinkat(fd, own_names[i], 0);
	close(fd);
	return unlinkat(pfd, name, AT_REMOVEDIR) ? -errno : 0;
}

static int snapdir_open(struct snapdir *d, const char *dir, char *err, size_t len)
{
	int rc = split_dir(d, dir);

	d->dir = dir;
	d->pfd = d->fd = -1;
	d->exists = 0;
	d->tmp[0] = 0;
	if (rc) {
		snprintf(err, len, "'%s': %s", dir, rc == -EINVAL ? "not a directory name to create"
			 : strerror(-rc));
		return rc;
	}
	d->pfd = open(d->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = d->pfd < 0 ? -errno : check_old(d, err, len);
	rc = rc ? rc : make_tmp(d, d->tmp, sizeof(d->tmp));
	if (!rc) {
		d->fd = openat(d->pfd, d->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		rc = d->fd < 0 ? -errno : 0;
	}
	if (rc && !err[0])
		snprintf(err, len, "cannot create %s: %s", dir, strerror(-rc));
	return rc;
}

/* Close it; after a failure (@failed) the new snapshot is removed. */
static void snapdir_close(struct snapdir *d, int failed)
{
	if (d->fd >= 0)
		close(d->fd);
	if (failed && d->tmp[0] && remove_snapdir(d->pfd, d->tmp))
		log_msg("snapshot: could not remove %s/%s", d->parent, d->tmp);
	if (d->pfd >= 0)
		close(d->pfd);
}

static int exchange(int pfd, const char *a, const char *b)
{
#ifdef SYS_renameat2
	return syscall(SYS_renameat2, pfd, a, pfd, b, RENAME_EXCHANGE) ? -errno : 0;
#else
	(void)pfd, (void)a, (void)b;
	return -ENOSYS;
#endif
}

/* Without RENAME_EXCHANGE: the old DIR goes aside into @aside (an empty
 * directory made for it), the new one in, and back if that fails. */
static int swap_aside(struct snapdir *d, char *aside, size_t size)
{
	int rc = make_tmp(d, aside, size);

	if (!rc && renameat(d->pfd, d->base, d->pfd, aside))
		rc = -errno;
	if (!rc && renameat(d->pfd, d->tmp, d->pfd, d->base)) {
		rc = -errno;
		renameat(d->pfd, aside, d->pfd, d->base);
	}
	if (rc && aside[0])
		unlinkat(d->pfd, aside, AT_REMOVEDIR);	/* empty unless it holds the old */
	return rc;
}

/* The new snapshot in place of the old DIR, atomically where the kernel
 * and file system can exchange the two; @old gets where the old one is. */
static int replace_old(struct snapdir *d, char *old, size_t size)
{
	int rc = exchange(d->pfd, d->tmp, d->base);

	if (!rc)
		snprintf(old, size, "%s", d->tmp);
	else if (rc == -ENOSYS || rc == -EINVAL)
		rc = swap_aside(d, old, size);
	return rc;
}

/* The new snapshot becomes DIR; an old one is swapped out and removed. */
static int snapdir_install(struct snapdir *d, char *err, size_t len)
{
	char old[NAME_MAX + 1] = "";
	int rc = fsync(d->fd) ? -errno : 0;

	if (!rc && d->exists)
		rc = replace_old(d, old, sizeof(old));
	else if (!rc)
		rc = renameat(d->pfd, d->tmp, d->pfd, d->base) ? -errno : 0;
	if (rc) {
		snprintf(err, len, "cannot put the new snapshot in place as %s: %s", d->dir,
			 strerror(-rc));
		return rc;
	}
	d->tmp[0] = 0;		/* it is DIR now */
	fsync(d->pfd);
	if (old[0] && remove_snapdir(d->pfd, old))
		log_msg("snapshot: the old snapshot is left in %s/%s", d->parent, old);
	return 0;
}

/* ---- the files ---- */

/* A new file in the private directory: never an existing one, never
 * through a link. */
static int create_file(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	return fd < 0 ? -errno : fd;
}

/* Check, fsync and close @fd after writing it with result @rc. */
static int finish_file(int fd, int rc)
{
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

/* Pieces of RAM worth reading: NULL (all of them) when the host cannot
 * tell which pages the guest never touched. */
static uint8_t *touched_map(const struct vm *vm)
{
	uint8_t *map = malloc(vm->ram.size / CHUNK + 1);

	if (map && mem_touched_map(&vm->ram, CHUNK, map)) {
		free(map);
		map = NULL;
	}
	return map;
}

/* Whether the piece of RAM at @off has data (its length in *@n). */
static int has_data(const struct vm *vm, const uint8_t *map, uint64_t off, size_t *n)
{
	*n = vm->ram.size - off < CHUNK ? vm->ram.size - off : CHUNK;
	return (!map || map[off / CHUNK]) && !pages_is_zero(vm->ram.hva + off, *n);
}

/* Guest RAM, leaving all-zero pieces as holes and writing each run of
 * pieces with data at once. Pages the guest never touched are not even
 * read: reading would map them, and under nested virtualization faults
 * cost more than the write of what they hold. */
static int write_memory(const struct vm *vm, const struct snapdir *d, char *err, size_t len)
{
	int fd = create_file(d->fd, MEMORY_FILE), rc = fd < 0 ? fd : 0;
	uint8_t *map = touched_map(vm);
	uint64_t run = 0, off;
	size_t n;

	for (off = 0; !rc && off < vm->ram.size; off += n)
		if (!has_data(vm, map, off, &n)) {
			if (off > run)
				rc = file_pwrite_all(fd, vm->ram.hva + run, off - run, (off_t)run);
			run = off + n;
		}
	if (!rc && off > run)
		rc = file_pwrite_all(fd, vm->ram.hva + run, off - run, (off_t)run);
	free(map);
	if (!rc && ftruncate(fd, (off_t)vm->ram.size))
		rc = -errno;
	if (fd >= 0)
		rc = finish_file(fd, rc);
	if (rc)
		snprintf(err, len, "writing %s/%s: %s", d->dir, MEMORY_FILE, strerror(-rc));
	return rc;
}

static int write_state(const struct regset_list *l, const struct snapdir *d, char *err,
		       size_t len)
{
	struct stream_writer w;
	int fd, rc = stream_writer_init(&w);

	if (!rc)
		rc = snapshot_encode(l, &w);
	fd = rc ? -1 : create_file(d->fd, STATE_FILE);
	if (fd >= 0)
		rc = finish_file(fd, file_pwrite_all(fd, stream_writer_data(&w), stream_writer_len(&w), 0));
	else if (!rc)
		rc = fd;
	if (rc)
		snprintf(err, len, "writing %s/%s: %s", d->dir, STATE_FILE,
			 w.err[0] ? w.err : strerror(-rc));
	stream_writer_free(&w);
	return rc;
}

/*
 * The save order (the guest is paused: vCPUs parked, devices quiesced):
 *  0. A fresh private directory beside DIR (an existing DIR must be a
 *     snapshot: it is replaced only at step 5).
 *  1. The board: GIC pending tables and ITS tables are flushed into guest
 *     RAM first, then GIC, ITS and vCPU registers are read.
 *  2. Devices.
 *  3. RAM, after step 1 wrote the tables into it.
 *  4. The state file last: it is what makes the directory a snapshot.
 *  5. The directory becomes DIR; the old DIR goes.
 */
int snapshot_collect(struct vm *vm, struct regset_list *l, char *err, size_t errlen)
{
	struct regset *cfg = regset_list_add(l, "config", CONFIG_STATE_VERSION), *t = NULL;
	int rc = cfg ? config_state_save(vm->cfg, cfg) : -ENOMEM;

	t = rc ? NULL : regset_list_add(l, "time", 1);
	rc = t ? regset_put_uint(t, TIME_REALTIME_NS, realtime_ns(), 8) : -ENOMEM;
	if (!rc)
		rc = board_save(vm, l, err, errlen);
	if (!rc)
		rc = save_devices(vm, l, err, errlen);
	return rc;
}

/* Microseconds since *@t, which moves on to now. */
static uint64_t lap_us(uint64_t *t)
{
	uint64_t now = clock_ns(), us = (now - *t) / 1000;

	*t = now;
	return us;
}

int snapshot_save(struct vm *vm, const char *dir, struct snapshot_split *split, char *err,
		  size_t errlen)
{
	struct snapshot_split none;
	struct regset_list l = { 0 };
	struct snapdir d;
	uint64_t t = clock_ns();
	int rc;

	split = split ? split : &none;
	*split = (struct snapshot_split){ 0 };
	err[0] = 0;
	rc = snapdir_open(&d, dir, err, errlen);
	if (!rc)
		rc = snapshot_collect(vm, &l, err, errlen);
	split->collect_us = lap_us(&t);
	if (!rc)
		rc = write_memory(vm, &d, err, errlen);
	split->memory_us = lap_us(&t);
	if (!rc)
		rc = write_state(&l, &d, err, errlen);
	if (!rc)
		rc = snapdir_install(&d, err, errlen);
	split->state_us = lap_us(&t);
	if (rc && !err[0])
		snprintf(err, errlen, "saving the VM's state: %s", strerror(-rc));
	snapdir_close(&d, rc != 0);
	regset_list_free(&l);
	return rc;
}

/* ---- restoring ---- */

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	struct stat st;
	size_t got = 0;

	*buf = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rc = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		close(fd);
		return rc;
	}
	*len = st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf)
		rc = -ENOMEM;
	while (!rc && got < *len) {
		ssize_t n = read(fd, *buf + got, *len - got);

		if (n <= 0)
			rc = n ? -errno : -EIO;
		else
			got += n;
	}
	close(fd);
	return rc;
}

/* A keyed entry into @set, refusing what no writer makes: a key twice
 * (a set's keys are unique) or more keys than a set may hold. */
static int load_entry(struct regset *set, const char *name, uint64_t key, const void *val,
		      uint32_t n, char *err, size_t errlen)
{
	int rc = regset_add(set, key, val, n);

	if (rc == -EEXIST)
		snprintf(err, errlen, "section '%s': key %#" PRIx64 " appears twice", name, key);
	else if (rc == -ENOSPC)
		snprintf(err, errlen, "section '%s': more than %u keys", name, REGSET_MAX_KEYS);
	else if (rc == -E2BIG)
		snprintf(err, errlen, "section '%s': key %#" PRIx64 ": a value of %" PRIu32
			 " bytes (at most %u)", name, key, n, REGSET_MAX_VALUE);
	else if (rc)
		snprintf(err, errlen, "section '%s': key %#" PRIx64 ": %s", name, key, strerror(-rc));
	return rc && rc != -ENOMEM ? -EBADMSG : rc;
}

/* One section's payload into a keyed set; tells @fn about it. */
static int load_section(struct stream_section *s, struct regset_list *l,
			snapshot_section_fn fn, void *ctx, char *err, size_t errlen)
{
	struct snapshot_section_info info = { s->name, s->version, s->payload.len, 0, NULL };
	struct regset *set;
	uint64_t key;
	const void *val;
	uint32_t n;
	int rc;

	if (l->n >= REGSET_LIST_MAX) {
		snprintf(err, errlen, "more than %u sections", REGSET_LIST_MAX);
		return -EBADMSG;
	}
	set = regset_list_add(l, s->name, s->version);
	rc = set ? 0 : -ENOMEM;
	while (set && (rc = stream_get_kv(&s->payload, &key, &val, &n)) == 1) {
		rc = load_entry(set, s->name, key, val, n, err, errlen);
		if (rc)
			return rc;
		info.entries++;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s", s->payload.err[0] ? s->payload.err : strerror(-rc));
		return rc;
	}
	/* Only keyed entries are read; anything after them is reported. */
	if (stream_get_end(&s->payload))
		info.trailing = stream_payload_err(&s->payload);
	if (fn)
		fn(ctx, &info);
	return 0;
}

int snapshot_decode(const uint8_t *buf, size_t len, struct regset_list *l,
		    snapshot_section_fn fn, void *ctx, char *err, size_t errlen)
{
	struct stream_reader r;
	struct stream_section s;
	int rc = stream_reader_open(&r, buf, len);

	err[0] = 0;
	if (rc)
		snprintf(err, errlen, "%s", stream_reader_err(&r));
	while (!rc && (rc = stream_next_section(&r, &s)) == 1)
		rc = load_section(&s, l, fn, ctx, err, errlen);
	return rc < 0 ? rc : 0;
}

int snapshot_read_state(const char *dir, struct regset_list *l, snapshot_section_fn fn,
			void *ctx, size_t *size, char *err, size_t errlen)
{
	char path[1024], why[STREAM_ERR_LEN + 64] = "";
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE);
	rc = read_file(path, &buf, &len);
	if (rc) {
		snprintf(err, errlen, "%s: %s (is this a snapshot directory?)", path, strerror(-rc));
		free(buf);
		return rc;
	}
	rc = snapshot_decode(buf, len, l, fn, ctx, why, sizeof(why));
	free(buf);
	if (size)
		*size = len;
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}

/* Device @i's section: "dev.ID"; or, in a state file of an itsy that
 * named them by creation order, "dev.I.NAME" (the config rebuilds the
 * devices in that same order). */
static const struct named_regset *device_section(const struct vm *vm, unsigned i,
						 const struct regset_list *l, char *name, size_t len)
{
	const struct named_regset *s;

	snprintf(name, len, "dev.%s", vm->devices[i].id);
	s = regset_list_find(l, name);
	if (s)
		return s;
	snprintf(name, len, "dev.%u.%s", i, vm->devices[i].ops->name);
	s = regset_list_find(l, name);
	if (!s)
		snprintf(name, len, "dev.%s", vm->devices[i].id);
	return s;
}

static int load_devices(struct vm *vm, const struct regset_list *l, char *err, size_t len)
{
	for (unsigned i = 0; i < vm->ndevices; i++) {
		const struct device_ops *ops = vm->devices[i].ops;
		char name[REGSET_NAME_MAX + 1];
		const struct named_regset *s;
		int rc;

		if (!ops->load)
			continue;
		s = device_section(vm, i, l, name, sizeof(name));
		if (!s) {
			snprintf(err, len, "section '%s' is missing: the devices differ", name);
			return -EINVAL;
		}
		rc = ops->load(vm->devices[i].state, &s->set, s->version);
		if (rc) {
			snprintf(err, len, "section '%s': cannot load it (%s)", name,
				 rc == -EPROTO ? "unknown version" : strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static uint64_t elapsed_since_save(const struct regset_list *l)
{
	const struct named_regset *t = regset_list_find(l, "time");
	uint64_t then = 0, now = realtime_ns();

	if (t)
		regset_get_uint(&t->set, TIME_REALTIME_NS, &then);
	return then && now > then ? now - then : 0;	/* never backwards */
}

/* Why this order: the ABI is judged before anything is written into KVM;
 * the board (GIC, ITS, vCPUs) before the devices, whose routes and
 * irqfds point at the ITS the board just restored. */
int snapshot_apply(struct vm *vm, const struct regset_list *l, enum vcpu_time time,
		   const struct regset_list *host, char *err, size_t len)
{
	int rc = board_check_abi(vm, l, host, err, len);

	if (!rc)
		rc = board_restore(vm, l, time, elapsed_since_save(l), err, len);
	return rc ? rc : load_devices(vm, l, err, len);
}

/*
 * The restore order:
 *  1. Read and validate the whole state file before creating anything.
 *  2. Create the VM as it was (same memory map, vCPUs in the same order,
 *     the same devices in the same slots), RAM mapped from the memory file.
 *  3. Check the ABI values against this host: refuse before writing state.
 *  4. The board: GIC distributor and redistributors, the ITS (CBASER, the
 *     other registers, RESTORE_TABLES, CTLR last), then vCPU registers.
 *  5. Devices: their routes, irqfds and ioeventfds are rebuilt from their
 *     state; none injects an interrupt before this point (vCPUs and device
 *     threads start only in vm_run).
 */
static int open_memory(const char *dir, uint64_t size, char *err, size_t len)
{
	char path[1024];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, MEMORY_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if ((uint64_t)st.st_size != size) {
		snprintf(err, len, "%s: %llu bytes, but the snapshot's guest has %llu bytes of RAM",
			 path, (unsigned long long)st.st_size, (unsigned long long)size);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static int read_config(const char *dir, struct regset_list *l, struct run_config *cfg,
		       char *err, size_t len)
{
	const struct named_regset *c;
	int rc = snapshot_read_state(dir, l, NULL, NULL, NULL, err, len);

	c = rc ? NULL : regset_list_find(l, "config");
	if (!rc && !c) {
		snprintf(err, len, "section 'config' is missing");
		return -EINVAL;
	}
	return rc ? rc : config_state_load(&c->set, c->version, cfg, err, len);
}

int snapshot_restore(struct vm *vm, const char *dir, struct run_config *cfg,
		     const struct snapshot_restore_ops *ops, char *err, size_t len)
{
	struct regset_list l = { 0 };
	int rc = read_config(dir, &l, cfg, err, len), memfd = -1;

	if (!rc && ops->prepare)
		rc = ops->prepare(cfg, ops->ctx, err, len);
	if (!rc) {
		vm->cfg = cfg;
		memfd = rc = open_memory(dir, cfg->mem, err, len);
	}
	if (rc >= 0 && (rc = ops->build(vm, cfg, memfd)))
		snprintf(err, len, "the VM could not be rebuilt");
	if (!rc)
		rc = snapshot_apply(vm, &l, ops->time, NULL, err, len);
	/* Device threads start now, before the vCPUs (vm_run). */
	if (!rc && (rc = devices_resume(vm)))
		snprintf(err, len, "a device did not start after loading its state");
	regset_list_free(&l);
	return rc;
}
