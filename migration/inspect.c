/* `itsy inspect DIR [--json]` (migration/inspect.h). Everything is read
 * from the snapshot directory into one JSON object first; the text report
 * is printed from that object only, so the two views always agree. */
#include "migration/inspect.h"
#include "arch/arm64/inspect.h"
#include "arch/arm64/memmap.h"
#include "devices/kind.h"
#include "devices/pci/ecam.h"
#include "devices/virtio/pci.h"
#include "migration/config_state.h"
#include "migration/snapshot.h"
#include "migration/stream.h"
#include "vmm/config.h"
#include "vmm/mem.h"
#include "vmm/regset.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/virtio_config.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef unsigned long long ull;

#define STATE_FILE	SNAPSHOT_STATE_FILE
#define MEMORY_FILE	SNAPSHOT_MEMORY_FILE
#define TIME_REALTIME_NS	SNAPSHOT_TIME_REALTIME_NS
#define NO_VECTOR		0xffff
#define PCI_CFG_SIZE		256
#define MAX_QUEUES		1024	/* a bound for the walk, well above any device */


/* ---- small helpers ---- */

static void problem(json_t *problems, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(problems, json_string(msg));
}

static const struct regset *find(const struct regset_list *l, const char *name)
{
	const struct named_regset *n = regset_list_find(l, name);

	return n ? &n->set : NULL;
}

/* A JSON string of @len bytes that are meant to be text: bytes that would
 * not make valid UTF-8 without control characters become '?'. */
static json_t *text(const uint8_t *p, size_t len)
{
	json_t *s = json_stringn((const char *)p, len);
	char *copy;

	if (s && !memchr(p, 0, len))
		return s;
	json_decref(s);
	copy = malloc(len + 1);
	if (!copy)
		return NULL;
	for (size_t i = 0; i < len; i++)
		copy[i] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';
	s = json_stringn(copy, len);
	free(copy);
	return s;
}

/* ---- the state file ---- */

struct section_sink {
	json_t *sections, *problems;
};

/* Each section as the loader read it: listed, and flagged if more follows. */
static void on_section(void *ctx, const struct snapshot_section_info *s)
{
	struct section_sink *k = ctx;

	if (s->trailing)
		problem(k->problems, "%s (not read)", s->trailing);
	json_array_append_new(k->sections, json_pack("{s:s, s:i, s:I, s:i}", "name", s->name,
				"version", (int)s->version, "bytes", (json_int_t)s->bytes,
				"entries", (int)s->entries));
}

/* The reader accepts only this format version and architecture. */
static json_t *format_json(size_t len, json_t *sections)
{
	return json_pack("{s:i, s:s, s:I, s:o}", "version", (int)STREAM_FORMAT_VERSION,
			 "arch", STREAM_ARCH, "bytes", (json_int_t)len, "sections", sections);
}

/* ---- configuration and time ---- */

/* The devices of @cfg, each its kind, value and a line about it. */
static json_t *config_devices_json(const struct run_config *cfg)
{
	json_t *a = json_array();
	char about[CONFIG_ARG_MAX + 64];

	for (unsigned i = 0; i < cfg->ndevices; i++) {
		const struct device_config *d = &cfg->devices[i];
		const struct device_kind *k = device_kind_named(d->kind);

		if (k && k->describe)
			k->describe(d->arg, about, sizeof(about));
		else
			snprintf(about, sizeof(about), "%s", d->arg);
		/* Why text(): a path in a hostile file need not be UTF-8. */
		json_array_append_new(a, json_pack("{s:s, s:o, s:o}", "kind", d->kind,
						   "value", text((const uint8_t *)d->arg, strlen(d->arg)),
						   "about", text((const uint8_t *)about, strlen(about))));
	}
	return a;
}

static json_t *config_json(const struct named_regset *c, json_t *problems, struct run_config *cfg)
{
	json_t *o = json_object();
	char err[512];

	if (!c)
		problem(problems, "section 'config' is missing");
	else if (config_state_load(&c->set, c->version, cfg, err, sizeof(err)))
		problem(problems, "section 'config': %s", err);
	inspect_set_int(o, "version", c ? c->version : 0);
	inspect_set_int(o, "vcpus", cfg->cpus);
	inspect_set_int(o, "memory_bytes", cfg->mem);
	json_object_set_new(o, "pmu", json_boolean(cfg->pmu));
	json_object_set_new(o, "watchdog", json_boolean(cfg->watchdog));
	json_object_set_new(o, "console", json_string(cfg->console == CONSOLE_VIRTIO ? "virtio" : "serial"));
	json_object_set_new(o, "devices", config_devices_json(cfg));
	return o;
}

static json_t *time_json(const struct regset *t)
{
	uint64_t ns = regset_uint_or0(t, TIME_REALTIME_NS);
	struct timespec now;
	time_t secs = (time_t)(ns / 1000000000u);
	struct tm tm;
	char when[64] = "?";
	json_t *o = json_object();

	clock_gettime(CLOCK_REALTIME, &now);
	if (gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(o, "saved_at", json_string(when));
	inspect_set_int(o, "saved_ns", ns);
	if (now.tv_sec >= secs)
		inspect_set_int(o, "age_seconds", (uint64_t)(now.tv_sec - secs));
	return o;
}

/* ---- guest memory ---- */

/* Map DIR/memory read-only as guest RAM at the RAM base, when it has the
 * guest's RAM size; describe it in @root either way. */
static int map_memory(const char *dir, uint64_t want, json_t *root, json_t *problems,
		      struct guest_mem *m)
{
	char path[1024];
	json_t *o = json_object();
	struct stat st;
	int fd, rc = -EINVAL;

	snprintf(path, sizeof(path), "%s/%s", dir, MEMORY_FILE);
	json_object_set_new(o, "path", json_string(path));
	inspect_set_hex(o, "ram_base", memmap_get(MM_RAM)->base, 0);
	inspect_set_int(o, "expected_bytes", want);
	json_object_set_new(root, "memory", o);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		problem(problems, "%s: %s (the guest's RAM is missing)", path, strerror(errno));
		json_object_set_new(o, "error", json_string(strerror(errno)));
		if (fd >= 0)
			close(fd);
		return -ENOENT;
	}
	inspect_set_int(o, "bytes", (uint64_t)st.st_size);
	inspect_set_int(o, "allocated_bytes", (uint64_t)st.st_blocks * 512);
	if (!want) {
		json_object_set_new(o, "error", json_string("the guest's RAM size is not known"));
	} else if ((uint64_t)st.st_size != want) {
		problem(problems, "%s: %llu bytes, but the snapshot's guest has %llu bytes of RAM",
			path, (ull)st.st_size, (ull)want);
		json_object_set_new(o, "error", json_string(
			(uint64_t)st.st_size < want ? "shorter than the guest's RAM"
						    : "longer than the guest's RAM"));
	} else {
		void *p = mmap(NULL, want, PROT_READ, MAP_PRIVATE, fd, 0);

		if (p == MAP_FAILED) {
			problem(problems, "%s: cannot map it: %s", path, strerror(errno));
		} else {
			*m = (struct guest_mem){ .hva = p, .gpa = memmap_get(MM_RAM)->base, .size = want };
			rc = 0;
		}
	}
	close(fd);
	return rc;
}

/* ---- devices ---- */

static const char *virtio_kind(unsigned vendor, unsigned device)
{
	if (vendor != VIRTIO_PCI_VENDOR || device < VIRTIO_PCI_DEVICE_BASE)
		return "unknown";
	switch (device - VIRTIO_PCI_DEVICE_BASE) {
	case 1:		return "virtio-net";
	case 2:		return "virtio-blk";
	case 3:		return "virtio-console";
	case 4:		return "virtio-rng";
	case 19:	return "virtio-vsock";
	}
	return "virtio-other";
}

static json_t *status_json(uint64_t st)
{
	static const struct { unsigned bit; const char *name; } f[] = {
		{ VIRTIO_CONFIG_S_ACKNOWLEDGE, "ACKNOWLEDGE" }, { VIRTIO_CONFIG_S_DRIVER, "DRIVER" },
		{ VIRTIO_CONFIG_S_FEATURES_OK, "FEATURES_OK" }, { VIRTIO_CONFIG_S_DRIVER_OK, "DRIVER_OK" },
		{ VIRTIO_CONFIG_S_NEEDS_RESET, "NEEDS_RESET" }, { VIRTIO_CONFIG_S_FAILED, "FAILED" },
	};
	json_t *a = json_array();

	for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (st & f[i].bit)
			json_array_append_new(a, json_string(f[i].name));
	return a;
}

static unsigned cfg16(const uint8_t *c, unsigned off)
{
	return c[off] | c[off + 1] << 8;
}

static uint32_t cfg32(const uint8_t *c, unsigned off)
{
	return cfg16(c, off) | (uint32_t)cfg16(c, off + 2) << 16;
}

/* The MSI-X capability's offset in config space, or 0. */
static unsigned msix_cap(const uint8_t *c)
{
	unsigned at = c[0x34] & 0xfc;

	for (unsigned hops = 0; at >= 0x40 && at < PCI_CFG_SIZE - 4 && hops < 48; hops++) {
		if (c[at] == 0x11)	/* PCI_CAP_ID_MSIX */
			return at;
		at = c[at + 1] & 0xfc;
	}
	return 0;
}

static json_t *vector(uint64_t v)
{
	return v == NO_VECTOR ? json_null() : json_integer((json_int_t)v);
}

static json_t *msix_json(const struct regset *s, const uint8_t *c)
{
	unsigned cap = c ? msix_cap(c) : 0, ctrl = cap ? cfg16(c, cap + 2) : 0;
	uint32_t len;
	const uint8_t *t = regset_get(s, K_MSIX_TABLE, &len);
	json_t *o = json_object(), *a = json_array();

	json_object_set_new(o, "enabled", json_boolean(ctrl >> 15 & 1));
	json_object_set_new(o, "function_masked", json_boolean(ctrl >> 14 & 1));
	inspect_set_int(o, "table_size", cap ? (ctrl & 0x7ff) + 1 : 0);
	for (uint32_t i = 0; t && i + 16 <= len; i += 16) {
		uint32_t w[4];	/* address low, high, data, vector control */
		uint64_t addr;
		uint32_t data, vctrl;

		memcpy(w, t + i, sizeof(w));
		addr = le32toh(w[0]) | (uint64_t)le32toh(w[1]) << 32;
		data = le32toh(w[2]);
		vctrl = le32toh(w[3]);

		/* Where the interrupt goes is the board's to say
		 * (arm64_inspect_msi). */
		json_array_append_new(a, json_pack("{s:i, s:o, s:I, s:b}", "vector", (int)(i / 16),
					"address", inspect_hex(addr, 0), "event_id", (json_int_t)data,
					"masked", (int)(vctrl & 1)));
	}
	json_object_set_new(o, "vectors", a);
	return o;
}

static json_t *queues_json(const struct regset *s)
{
	json_t *a = json_array();

	for (unsigned q = 0; q < MAX_QUEUES && regset_has(s, K_QUEUE + 16 * q + Q_SIZE); q++) {
		uint64_t k = K_QUEUE + 16 * q;
		json_t *o = json_object();

		inspect_set_int(o, "index", q);
		inspect_set_int(o, "size", regset_uint_or0(s, k + Q_SIZE));
		json_object_set_new(o, "vector", vector(regset_uint_or0(s, k + Q_VECTOR)));
		json_object_set_new(o, "enabled", json_boolean(regset_uint_or0(s, k + Q_ENABLE)));
		inspect_set_hex(o, "desc", regset_uint_or0(s, k + Q_DESC), 0);
		inspect_set_hex(o, "avail", regset_uint_or0(s, k + Q_AVAIL), 0);
		inspect_set_hex(o, "used", regset_uint_or0(s, k + Q_USED), 0);
		inspect_set_int(o, "last_avail", regset_uint_or0(s, k + Q_LAST_AVAIL));
		inspect_set_int(o, "used_idx", regset_uint_or0(s, k + Q_USED_IDX));
		json_array_append_new(a, o);
	}
	return a;
}

static void virtio_pci_json(json_t *d, const struct regset *s, unsigned slot,
			    const struct run_config *cfg, json_t *problems, const char *section)
{
	uint32_t len;
	const uint8_t *c = regset_get(s, K_CFG, &len);
	unsigned vendor, device, devfn = slot << 3;
	char bdf[16];

	snprintf(bdf, sizeof(bdf), "%02x:%02x.%u", ECAM_BUS, slot, 0);
	json_object_set_new(d, "pci_slot", json_string(bdf));
	/* Slot i + 1 is the configuration's device i (vmm/config.h). */
	if (slot >= 1 && slot <= cfg->ndevices)
		json_object_set_new(d, "config_device", json_integer(slot - 1));
	if (!c || len != PCI_CFG_SIZE) {
		problem(problems, "section '%s': no PCI config space", section);
		return;
	}
	vendor = cfg16(c, 0), device = cfg16(c, 2);
	if (!json_object_get(d, "kind"))
		json_object_set_new(d, "kind", json_string(virtio_kind(vendor, device)));
	inspect_set_hex(d, "device_id", ecam_requester_id(devfn), 4);
	inspect_set_hex(d, "pci_ids", (uint64_t)vendor << 16 | device, 8);
	inspect_set_hex(d, "bar0", (cfg32(c, 0x10) & ~0xfu) | (uint64_t)cfg32(c, 0x14) << 32, 0);
	inspect_set_hex(d, "pci_command", cfg16(c, 4), 4);
	inspect_set_hex(d, "status", regset_uint_or0(s, K_STATUS), 2);
	json_object_set_new(d, "status_bits", status_json(regset_uint_or0(s, K_STATUS)));
	inspect_set_hex(d, "features", regset_uint_or0(s, K_FEATURES), 16);
	json_object_set_new(d, "config_vector", vector(regset_uint_or0(s, K_CONFIG_VECTOR)));
	json_object_set_new(d, "msix", msix_json(s, c));
	json_object_set_new(d, "queues", queues_json(s));
}

/* Section @name of a device: "dev.KIND@SLOT" (a PCI function), "dev.KIND"
 * (a board device), or an older itsy's "dev.INDEX.NAME", whose virtio
 * functions had slots 1, 2, ... in the order of their sections (*@pci
 * counts them). The kind into @kind, NULL if not a device; the slot. */
static unsigned device_section(const char *name, char *kind, size_t len, unsigned *pci,
			       int *is_pci)
{
	unsigned idx, slot = 0;
	const char *at;
	int n = 0;

	*is_pci = 0;
	if (sscanf(name, "dev.%u.%n", &idx, &n) == 1 && n) {
		snprintf(kind, len, "%s", name + n);
		*is_pci = !strcmp(kind, "virtio-pci");
		return *is_pci ? ++*pci : 0;
	}
	at = strchr(name, '@');
	snprintf(kind, len, "%.*s", at ? (int)(at - name - 4) : (int)strlen(name + 4), name + 4);
	if (at && sscanf(at + 1, "%x", &slot) == 1)
		*is_pci = 1;
	return slot;
}

static json_t *devices_json(const struct regset_list *l, const struct run_config *cfg,
			    json_t *problems)
{
	json_t *a = json_array();
	unsigned pci = 0;

	for (unsigned i = 0; i < l->n; i++) {
		const char *name = l->v[i].name;
		char kind[REGSET_NAME_MAX + 1];
		unsigned slot;
		int is_pci;
		json_t *d;

		if (strncmp(name, "dev.", 4))
			continue;
		slot = device_section(name, kind, sizeof(kind), &pci, &is_pci);
		d = json_pack("{s:s, s:i}", "section", name, "version", (int)l->v[i].version);
		if (strcmp(kind, "virtio-pci"))
			json_object_set_new(d, "kind", json_string(kind));
		if (is_pci)
			virtio_pci_json(d, &l->v[i].set, slot, cfg, problems, name);
		json_array_append_new(a, d);
	}
	return a;
}

/* What vector @v of PCI function @d is for: "config", "queue 0",
 * "config, queue 1", or "unused". */
static void vector_users(json_t *d, long long v, char *buf, size_t len)
{
	size_t i, n = 0;
	json_t *q;

	buf[0] = 0;
	if (json_is_integer(json_object_get(d, "config_vector")) && inspect_int(d, "config_vector") == v)
		n += snprintf(buf + n, len - n, "config");
	json_array_foreach(json_object_get(d, "queues"), i, q)
		if (json_is_integer(json_object_get(q, "vector")) && inspect_int(q, "vector") == v &&
		    n + 24 < len)
			n += snprintf(buf + n, len - n, "%squeue %lld", n ? ", " : "", inspect_int(q, "index"));
	if (!n)
		snprintf(buf, len, "unused");
}

/* Every MSI-X vector a device uses must reach an interrupt the board
 * maps, or that interrupt is lost after a restore (which would still
 * succeed). */
static void check_msix(json_t *root, json_t *warnings)
{
	json_t *d, *v;
	char users[128], why[256];
	size_t i, k;

	json_array_foreach(json_object_get(root, "devices"), i, d) {
		json_t *m = json_object_get(d, "msix");

		if (!inspect_bool(m, "enabled") || inspect_bool(m, "function_masked"))
			continue;
		json_array_foreach(json_object_get(m, "vectors"), k, v) {
			vector_users(d, (long long)k, users, sizeof(users));
			if (!strcmp(users, "unused") || inspect_bool(v, "masked"))
				continue;
			if (arm64_inspect_msi_check(root, inspect_str(d, "device_id"), inspect_str(v, "address"),
						    inspect_int(v, "event_id"), why, sizeof(why)))
				problem(warnings, "%s %s: MSI-X vector %zu (%s) %s", inspect_str(d, "pci_slot"),
					inspect_str(d, "kind"), k, users, why);
		}
	}
}

/* ---- the whole object ---- */

/* Fill @root; 0, or -errno when the state file cannot be read (with the
 * message in @err and nothing else in @root worth printing). */
static int inspect(const char *dir, json_t *root, json_t *problems, json_t *warnings,
		   char *err, size_t errlen)
{
	struct section_sink sink;
	struct regset_list l = { 0 };
	struct guest_mem ram = { 0 };
	struct stat st;
	size_t len = 0;
	struct run_config run = { 0 };
	json_t *sections = json_array(), *board = json_object(), *cfg;
	char why[256];
	int rc, have_ram;

	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		if (stat(dir, &st))
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		else
			snprintf(err, errlen, "%s: not a directory (a snapshot is a directory)", dir);
		json_decref(sections);
		json_decref(board);
		return -ENOENT;
	}
	sink = (struct section_sink){ sections, problems };
	rc = snapshot_read_state(dir, &l, on_section, &sink, &len, err, errlen);
	if (rc) {
		regset_list_free(&l);
		json_decref(sections);
		json_decref(board);
		return rc;
	}
	json_object_set_new(root, "format", format_json(len, sections));

	cfg = config_json(regset_list_find(&l, "config"), problems, &run);
	json_object_set_new(root, "source", json_null());	/* placeholders: the order */
	json_object_set_new(root, "time", json_null());
	json_object_set_new(root, "config", cfg);
	have_ram = !map_memory(dir, run.mem, root, problems, &ram);
	rc = arm64_inspect(&l, have_ram ? &ram : NULL, board, err, errlen);
	if (rc == -ENOMEM)
		problem(problems, "out of memory");
	else if (rc)
		problem(problems, "%s", err);
	if (arm64_inspect_vcpus(board, run.cpus, why, sizeof(why)))
		problem(problems, "%s", why);
	if (find(&l, "time"))
		json_object_set_new(root, "time", time_json(find(&l, "time")));
	json_object_update(root, board);
	json_decref(board);
	json_object_set_new(root, "devices", devices_json(&l, &run, problems));
	check_msix(root, warnings);
	if (have_ram)
		munmap(ram.hva, ram.size);
	regset_list_free(&l);
	return 0;
}

/* ---- the text report, from the JSON object ---- */



static void print_header(json_t *root)
{
	json_t *f = json_object_get(root, "format");
	json_t *t = json_object_get(root, "time"), *c = json_object_get(root, "config");
	json_t *m = json_object_get(root, "memory"), *e;
	char a[32], b[32];
	size_t i;

	printf("Snapshot %s\n", inspect_str(root, "snapshot"));
	printf("  state file: %s, format version %lld, %s, %zu sections\n",
	       inspect_size(inspect_int(f, "bytes"), a, sizeof(a)), inspect_int(f, "version"), inspect_str(f, "arch"),
	       json_array_size(json_object_get(f, "sections")));
	if (json_is_object(t))
		printf("  saved: %s (%lld s ago)\n", inspect_str(t, "saved_at"), inspect_int(t, "age_seconds"));
	arm64_inspect_print_source(root);
	printf("Configuration:\n");
	printf("  %lld vCPUs, %s of RAM, PMU %s, watchdog %s, console %s, config v%lld\n",
	       inspect_int(c, "vcpus"), inspect_size(inspect_int(c, "memory_bytes"), a, sizeof(a)),
	       inspect_bool(c, "pmu") ? "on" : "off", inspect_bool(c, "watchdog") ? "armed" : "off",
	       inspect_str(c, "console"), inspect_int(c, "version"));
	json_array_foreach(json_object_get(c, "devices"), i, e)
		printf("  device %zu (PCI slot %zu): %s%s%s\n", i, i + 1, inspect_str(e, "kind"),
		       *inspect_str(e, "about") ? " " : "", inspect_str(e, "about"));
	if (json_object_get(m, "bytes"))
		printf("  memory file: %s, %s allocated (sparse), RAM at %s%s%s\n",
		       inspect_size(inspect_int(m, "bytes"), a, sizeof(a)),
		       inspect_size(inspect_int(m, "allocated_bytes"), b, sizeof(b)), inspect_str(m, "ram_base"),
		       json_object_get(m, "error") ? ": " : "",
		       json_object_get(m, "error") ? inspect_str(m, "error") : "");
	else
		printf("  memory file: %s: %s\n", inspect_str(m, "path"), inspect_str(m, "error"));
	printf("Sections:\n");
	json_array_foreach(json_object_get(f, "sections"), i, e)
		printf("  %-20s v%-3lld %8lld bytes %6lld entries\n", inspect_str(e, "name"),
		       inspect_int(e, "version"), inspect_int(e, "bytes"), inspect_int(e, "entries"));
}




static void print_devices(json_t *root)
{
	json_t *d, *x;
	char users[128], a[32], msi[128];
	size_t i, k;
	int others = 0;

	printf("PCI devices:\n");
	json_array_foreach(json_object_get(root, "devices"), i, d) {
		json_t *m = json_object_get(d, "msix");

		if (!json_object_get(d, "pci_slot"))
			continue;
		printf("  %s %s  DeviceID %s  [%s]  status %s", inspect_str(d, "pci_slot"), inspect_str(d, "kind"),
		       inspect_str(d, "device_id"), inspect_str(d, "section"), inspect_str(d, "status"));
		json_array_foreach(json_object_get(d, "status_bits"), k, x)
			printf("%s%s", k ? " " : " (", json_string_value(x));
		printf("%s", json_array_size(json_object_get(d, "status_bits")) ? ")" : "");
		if (json_is_integer(json_object_get(d, "config_device")))
			printf("  %s", inspect_str(json_array_get(json_object_get(json_object_get(root, "config"),
									   "devices"),
								  (size_t)inspect_int(d, "config_device")),
						     "about"));
		printf("\n    BAR0 %s, features %s, MSI-X %s%s\n", inspect_str(d, "bar0"), inspect_str(d, "features"),
		       inspect_bool(m, "enabled") ? "enabled" : "disabled",
		       inspect_bool(m, "function_masked") ? " (function masked)" : "");
		json_array_foreach(json_object_get(m, "vectors"), k, x) {
			vector_users(d, (long long)k, users, sizeof(users));
			if (!strcmp(users, "unused") && !inspect_int(x, "event_id") && !strcmp(inspect_str(x, "address"), "0x0"))
				continue;	/* never programmed */
			printf("    vector %zu (%s): %s%s\n", k, users,
			       arm64_inspect_msi(root, inspect_str(d, "device_id"), inspect_int(x, "event_id"),
						 msi, sizeof(msi)),
			       inspect_bool(x, "masked") ? ", masked" : "");
		}
		json_array_foreach(json_object_get(d, "queues"), k, x) {
			json_t *v = json_object_get(x, "vector");

			printf("    queue %lld: size %lld, %s, vector %s, last_avail %lld, used_idx %lld\n",
			       inspect_int(x, "index"), inspect_int(x, "size"), inspect_bool(x, "enabled") ? "enabled" : "disabled",
			       json_is_integer(v) ? (snprintf(a, sizeof(a), "%lld", json_integer_value(v)), a)
						  : "none", inspect_int(x, "last_avail"), inspect_int(x, "used_idx"));
		}
	}
	json_array_foreach(json_object_get(root, "devices"), i, d)
		if (!json_object_get(d, "pci_slot"))
			printf("%s %s", others++ ? "," : "Other devices:", inspect_str(d, "section"));
	if (others)
		printf("\n");
}

static void print_text(json_t *root)
{
	json_t *p = json_object_get(root, "problems"), *w = json_object_get(root, "warnings"), *e;
	size_t i;

	print_header(root);
	arm64_inspect_print(root);
	print_devices(root);
	if (json_array_size(w))
		printf("Warnings:\n");
	json_array_foreach(w, i, e)
		printf("  %s\n", json_string_value(e));
	if (!json_array_size(p)) {
		printf("Problems: none found\n");
		return;
	}
	printf("Problems:\n");
	json_array_foreach(p, i, e)
		printf("  %s\n", json_string_value(e));
}

int inspect_show(const char *dir, int as_json)
{
	char err[2048] = "";
	json_t *root = json_object(), *problems = json_array(), *warnings = json_array();
	int rc;

	json_object_set_new(root, "snapshot", json_string(dir));
	rc = inspect(dir, root, problems, warnings, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "itsy inspect: %s\n", err);
		json_array_append_new(problems, json_string(err));
	}
	json_object_set_new(root, "warnings", warnings);
	json_object_set_new(root, "problems", problems);
	if (as_json) {
		char *s = json_dumps(root, JSON_INDENT(2));

		if (s)
			puts(s);
		free(s);
	} else if (!rc) {
		print_text(root);
	}
	rc = rc || json_array_size(problems);
	json_decref(root);
	fflush(stdout);
	return rc ? 1 : 0;
}
