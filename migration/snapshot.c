#include "migration/snapshot.h"
#include "arch/arm64/board.h"
#include "migration/stream.h"
#include "vmm/api.h"
#include "vmm/cli.h"
#include "vmm/console.h"
#include "vmm/log.h"
#include "vmm/regset.h"
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

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

/* ---- the run configuration ---- */

void snapshot_config_save(const struct run_config *c, struct regset *s)
{
	regset_put_uint(s, CFG_CPUS, c->cpus, 4);
	regset_put_uint(s, CFG_MEM, c->mem, 8);
	regset_put_uint(s, CFG_PMU, c->pmu, 1);
	regset_put_uint(s, CFG_WATCHDOG, c->watchdog, 1);
	regset_put_uint(s, CFG_RNG, c->rng, 1);
	regset_put_uint(s, CFG_CONSOLE, c->console, 1);
	regset_put_uint(s, CFG_VSOCK, c->vsock_cid, 8);
	regset_put_uint(s, CFG_NDISKS, c->ndisks, 4);
	for (unsigned i = 0; i < c->ndisks; i++) {
		regset_put(s, CFG_DISK_PATH + i, c->disks[i].path, strlen(c->disks[i].path));
		regset_put_uint(s, CFG_DISK_RO + i, c->disks[i].readonly, 1);
	}
	regset_put_uint(s, CFG_NNICS, c->nnics, 4);
	for (unsigned i = 0; i < c->nnics; i++) {
		regset_put(s, CFG_NIC_TAP + i, c->nics[i].tap, strlen(c->nics[i].tap));
		regset_put(s, CFG_NIC_MAC + i, c->nics[i].mac, 6);
		regset_put_uint(s, CFG_NIC_HAS_MAC + i, c->nics[i].has_mac, 1);
	}
}

static uint64_t cfg_uint(const struct regset *s, uint64_t key)
{
	uint64_t v = 0;

	regset_get_uint(s, key, &v);
	return v;
}

static char *cfg_str(const struct regset *s, uint64_t key)
{
	uint32_t len;
	const uint8_t *p = regset_get(s, key, &len);

	return p ? strndup((const char *)p, len) : NULL;
}

int snapshot_config_load(const struct regset *s, struct run_config *c, char *err, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->cpus = cfg_uint(s, CFG_CPUS);
	c->mem = cfg_uint(s, CFG_MEM);
	c->pmu = cfg_uint(s, CFG_PMU);
	c->watchdog = cfg_uint(s, CFG_WATCHDOG);
	c->rng = cfg_uint(s, CFG_RNG);
	c->console = cfg_uint(s, CFG_CONSOLE);
	c->vsock_cid = cfg_uint(s, CFG_VSOCK);
	c->ndisks = cfg_uint(s, CFG_NDISKS);
	c->nnics = cfg_uint(s, CFG_NNICS);
	if (!c->cpus || c->cpus > MEMMAP_MAX_CPUS || !c->mem || c->ndisks > CLI_MAX_DISKS ||
	    c->nnics > CLI_MAX_NICS) {
		snprintf(err, len, "section 'config': values out of range");
		return -EINVAL;
	}
	for (unsigned i = 0; i < c->ndisks; i++) {
		c->disks[i].path = cfg_str(s, CFG_DISK_PATH + i);
		c->disks[i].readonly = cfg_uint(s, CFG_DISK_RO + i);
	}
	for (unsigned i = 0; i < c->nnics; i++) {
		char *tap = cfg_str(s, CFG_NIC_TAP + i);
		uint32_t n;
		const uint8_t *mac = regset_get(s, CFG_NIC_MAC + i, &n);

		snprintf(c->nics[i].tap, sizeof(c->nics[i].tap), "%s", tap ? tap : "");
		free(tap);
		if (mac && n == 6)
			memcpy(c->nics[i].mac, mac, 6);
		c->nics[i].has_mac = cfg_uint(s, CFG_NIC_HAS_MAC + i);
	}
	return 0;
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
		snprintf(name, sizeof(name), "dev.%u.%s", i, ops->name);
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

static int all_zero(const uint8_t *p, size_t n)
{
	return p[0] == 0 && !memcmp(p, p + 1, n - 1);
}

/* Guest RAM, leaving all-zero pages as holes. */
static int write_memory(const struct vm *vm, const char *dir, char *err, size_t len)
{
	char tmp[1024], final[1024];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, MEMORY_FILE);
	snprintf(final, sizeof(final), "%s/%s", dir, MEMORY_FILE);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		rc = -errno;
	for (uint64_t off = 0; !rc && off < vm->ram.size; off += CHUNK) {
		const uint8_t *p = vm->ram.hva + off;
		size_t n = vm->ram.size - off < CHUNK ? vm->ram.size - off : CHUNK;

		if (!all_zero(p, n) && pwrite(fd, p, n, (off_t)off) != (ssize_t)n)
			rc = -errno ? -errno : -EIO;
	}
	if (!rc && (ftruncate(fd, (off_t)vm->ram.size) || fsync(fd)))
		rc = -errno;
	if (fd >= 0)
		close(fd);
	if (!rc && rename(tmp, final))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		snprintf(err, len, "writing %s: %s", final, strerror(-rc));
	}
	return rc;
}

static int write_state(const struct regset_list *l, const char *dir, char *err, size_t len)
{
	struct stream_writer w;
	int rc = stream_writer_init(&w);

	if (!rc)
		rc = snapshot_encode(l, &w);
	if (!rc)
		rc = stream_write_file_atomic(dir, STATE_FILE, stream_writer_data(&w),
					      stream_writer_len(&w));
	if (rc)
		snprintf(err, len, "writing %s/%s: %s", dir, STATE_FILE,
			 w.err[0] ? w.err : strerror(-rc));
	stream_writer_free(&w);
	return rc;
}

/*
 * The save order (the guest is paused: vCPUs parked, devices quiesced):
 *  1. The board: GIC pending tables and ITS tables are flushed into guest
 *     RAM first, then GIC, ITS and vCPU registers are read.
 *  2. Devices.
 *  3. RAM, after step 1 wrote the tables into it.
 *  4. The state file last: it is what makes the directory a snapshot.
 */
int snapshot_collect(struct vm *vm, struct regset_list *l, char *err, size_t errlen)
{
	struct regset *cfg = regset_list_add(l, "config", 1), *t;
	int rc;

	if (cfg)
		snapshot_config_save(vm->cfg, cfg);
	t = cfg ? regset_list_add(l, "time", 1) : NULL;
	rc = t ? regset_put_uint(t, TIME_REALTIME_NS, realtime_ns(), 8) : -ENOMEM;
	if (!rc)
		rc = board_save(vm, l, err, errlen);
	if (!rc)
		rc = save_devices(vm, l, err, errlen);
	return rc;
}

int snapshot_save(struct vm *vm, const char *dir, char *err, size_t errlen)
{
	struct regset_list l = { 0 };
	char path[1024];
	int rc;

	err[0] = 0;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
		return rc;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE);
	unlink(path);	/* an old state must never pair with new memory */
	rc = snapshot_collect(vm, &l, err, errlen);
	if (!rc)
		rc = write_memory(vm, dir, err, errlen);
	if (!rc)
		rc = write_state(&l, dir, err, errlen);
	if (rc && !err[0])
		snprintf(err, errlen, "saving the VM's state: %s", strerror(-rc));
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

/* One section's payload into a keyed set; tells @fn about it. */
static int load_section(struct stream_section *s, struct regset_list *l,
			snapshot_section_fn fn, void *ctx, char *err, size_t errlen)
{
	struct snapshot_section_info info = { s->name, s->version, s->payload.len, 0, NULL };
	struct regset *set = regset_list_add(l, s->name, s->version);
	uint64_t key;
	const void *val;
	uint32_t n;
	int rc = set ? 0 : -ENOMEM;

	while (set && (rc = stream_get_kv(&s->payload, &key, &val, &n)) == 1) {
		rc = regset_put(set, key, val, n);
		if (rc)
			break;
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

static int load_devices(struct vm *vm, const struct regset_list *l, char *err, size_t len)
{
	for (unsigned i = 0; i < vm->ndevices; i++) {
		const struct device_ops *ops = vm->devices[i].ops;
		char name[REGSET_NAME_MAX + 1];
		const struct named_regset *s;
		int rc;

		if (!ops->load)
			continue;
		snprintf(name, sizeof(name), "dev.%u.%s", i, ops->name);
		s = regset_list_find(l, name);
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

struct restore_opts {
	const char *from, *api_socket;
	int freeze_time;
	struct disk_config disks[CLI_MAX_DISKS];
	unsigned ndisks;
};

static const char restore_usage[] =
	"usage: itsy restore --from DIR [--api-socket PATH] [--freeze-time] [--disk PATH[,ro]]...\n";

static int parse_restore(int argc, char **argv, struct restore_opts *o)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "api-socket", required_argument, NULL, 'a' },
		{ "freeze-time", no_argument, NULL, 't' },
		{ "disk", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(o, 0, sizeof(*o));
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (opt == 'f')
			o->from = optarg;
		else if (opt == 'a')
			o->api_socket = optarg;
		else if (opt == 't')
			o->freeze_time = 1;
		else if (opt == 'd' && o->ndisks < CLI_MAX_DISKS)
			o->disks[o->ndisks++] = (struct disk_config){ optarg, 0 };
		else
			return -EINVAL;
	}
	return o->from && optind == argc ? 0 : -EINVAL;
}

void snapshot_override_disks(struct run_config *c, const struct disk_config *d, unsigned n)
{
	for (unsigned i = 0; i < n && i < c->ndisks; i++) {
		const char *p = d[i].path, *comma = strrchr(p, ',');

		c->disks[i].path = comma && !strcmp(comma, ",ro") ? strndup(p, comma - p) : p;
		c->disks[i].readonly = comma && !strcmp(comma, ",ro");
	}
}

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

static uint64_t elapsed_since_save(const struct regset_list *l)
{
	const struct named_regset *t = regset_list_find(l, "time");
	uint64_t then = 0, now = realtime_ns();

	if (t)
		regset_get_uint(&t->set, TIME_REALTIME_NS, &then);
	return then && now > then ? now - then : 0;	/* never backwards */
}

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
static int restore(struct vm *vm, const struct restore_opts *o, struct run_config *cfg,
		   char *err, size_t len)
{
	struct regset_list l = { 0 };
	const struct named_regset *c;
	int rc, memfd = -1;

	rc = snapshot_read_state(o->from, &l, NULL, NULL, NULL, err, len);
	c = rc ? NULL : regset_list_find(&l, "config");
	if (!rc && !c) {
		snprintf(err, len, "section 'config' is missing");
		rc = -EINVAL;
	}
	if (!rc)
		rc = snapshot_config_load(&c->set, cfg, err, len);
	if (!rc) {
		snapshot_override_disks(cfg, o->disks, o->ndisks);
		cfg->api_socket = o->api_socket;
		vm->cfg = cfg;
		memfd = rc = open_memory(o->from, cfg->mem, err, len);
	}
	if (rc >= 0 && (rc = board_create(vm, cfg, memfd)))
		snprintf(err, len, "the VM could not be rebuilt");
	if (!rc)
		rc = snapshot_apply(vm, &l, o->freeze_time ? VCPU_TIME_FREEZE : VCPU_TIME_CATCH_UP,
				    NULL, err, len);
	/* Device threads start now, before the vCPUs (vm_run). */
	if (!rc && (rc = devices_resume(vm)))
		snprintf(err, len, "a device did not start after loading its state");
	regset_list_free(&l);
	return rc;
}

int snapshot_restore_main(int argc, char **argv)
{
	static struct vm vm;
	static struct run_config cfg;
	struct restore_opts o;
	char err[2048] = "";

	if (parse_restore(argc, argv, &o)) {
		fputs(restore_usage, stderr);
		return VM_EXIT_ERROR;
	}
	if (vm_init(&vm) || !(vm.console = console_open(0, 1)))
		die("cannot set up the VM");
	if (restore(&vm, &o, &cfg, err, sizeof(err))) {
		log_msg("restore from %s refused: %s", o.from, err);
		return VM_EXIT_ERROR;
	}
	if (o.api_socket && api_listen(&vm, o.api_socket))
		return VM_EXIT_ERROR;
	return vm_run(&vm);
}
