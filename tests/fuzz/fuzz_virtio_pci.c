/* libFuzzer harness of the virtio-pci transport (devices/virtio/pci.c) and
 * the PCI layers under it (devices/pci/: config space, MSI-X, the ECAM
 * decoder and the host bridge), driven as a hostile guest drives them:
 * config space through the ECAM window and BAR 0 through the MMIO bus
 * (mmio_dispatch), with every access width (1, 2, 4, 8) at any offset,
 * interleaved with queue notifications, guest RAM writes, device resets and
 * save/load round trips through the devices' device_ops.
 *
 * The VM has 64 KiB of RAM (mem_alloc, with a guard page on each side) and
 * two probe devices (2 queues with 8 bytes of device configuration, and 1
 * queue with none). They are vhost-like (own_kicks): no device thread runs;
 * the harness serves the kick eventfds itself, in its own order, with a kick
 * that pops and pushes chains with the real virtqueue code. KVM's interrupt
 * plumbing is tests/unit/fake_irq.c. So a run is deterministic.
 *
 * One input is a sequence of small ops (enum op), each a byte and its
 * arguments; a short input reads zeros. Each input starts from the same
 * machine: every device reset and loaded with the state it had when
 * created, RAM zero. The harness reads the transport's state through the
 * devices' save(), and traps (__builtin_trap) when:
 *  - a read returns other than documented: all-ones from ECAM for wider
 *    than 32 bits, an absent function, or an access leaving a function's
 *    4 KiB or 256 bytes, zero for its extended space, and the config bytes
 *    otherwise; zero in BAR 0 for anything that is not a field at its own
 *    offset and width, beyond the device configuration, in the notify
 *    region and the unused regions, across two regions, and for MSI-X
 *    accesses that are not aligned 4 or 8 bytes inside the table or PBA;
 *    fields read back what the state holds; a read writes past its width;
 *  - a write that must be ignored changes any state, or a config write
 *    changes bytes outside what it wrote; an access lands nowhere while a
 *    region holds it whole, or somewhere while none does;
 *  - the doorbells (ioeventfds) are not exactly the queues of the BARs on
 *    the MMIO bus, bound to their queue's kick eventfd, or an MSI route
 *    differs from its MSI-X table entry;
 *  - an interrupt is sent for a vector that is not deliverable, or without
 *    a reason (a queue or config interrupt, or a pending bit flushed), or a
 *    requested one is neither sent nor left pending;
 *  - virtq_pop() disagrees with tests/fuzz/ref_ring.h on a chain, or gives
 *    a segment outside guest RAM, or a queue's rings are outside it;
 *  - a device starts twice without a reset, or a reset leaves state behind;
 *  - pause, save, reset, load and resume fail, or the state saved again
 *    differs, or the device then runs other queues or features than before.
 *
 * Built and run by scripts/fuzz-virtio-pci. Built with
 * -DFUZZ_VIRTIO_PCI_SEEDS it is instead a program that writes the seed
 * corpus into the directory named by its argument. */
#include "devices/pci/host.h"
#include "devices/virtio/pci.h"
#include "devices/virtio/virtio.h"
#include "tests/fuzz/ref_ring.h"
#include "tests/unit/fake_irq.h"
#include "vmm/log.h"
#include "vmm/regset.h"
#include "vmm/vm.h"

#include <endian.h>
#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/harness.h"

#define RAM_BASE	0x40000000ull
#define RAM_SIZE	0x10000ull
#define PAGE		4096ull
#define ECAM_BASE	0x30000000ull
#define ECAM_SIZE	(1ull << 20)
#define BAR_A		0x20000000ull
#define BAR_B		0x20008000ull	/* right after A */
#define MSI_ADDR	0x08090040ull	/* an ITS doorbell, as a guest writes it */
/* BAR 0, as pci.c lays it out: 4 KiB regions. */
#define BAR_SIZE	0x8000u
#define REGION		0x1000u
enum { R_COMMON, R_ISR, R_DEVICE, R_NOTIFY, R_TABLE, R_PBA };
#define NOTIFY_MULT	4
#define NDEV		2
#define NVEC_MAX	(VIRTIO_MAX_QUEUES + 1)
#define MAX_OPS		128
#define SENTINEL	0xa5
#define FILL_MAX	256	/* bytes the probe writes into one chain */

#define S_UP		(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER)
#define CC(f)		offsetof(struct virtio_pci_common_cfg, f)

/* ---- Input ---- */

static int tracing;	/* FUZZ_TRACE is set: say what each op does */

/* What an input reached, printed per input when FUZZ_TRACE is set. */
static struct {
	unsigned starts, pops, broken, irqs, saveloads;
} seen;

/* ---- The probe devices ---- */

struct probe {
	unsigned idx;
	struct virtio_dev *d;
	int started;
	int want_irq[VIRTIO_MAX_QUEUES];	/* the queue asked for an interrupt */
	int broke;				/* virtio_dev_broken() was called */
	struct virtq_chain chain;
	struct ref_chain ref;
};

static struct probe probes[NDEV];

static int probe_realize(struct virtio_dev *d)
{
	struct probe *p = d->priv;

	p->d = d;
	return 0;
}

/* Once per reset (pci.c: DRIVER_OK once per reset, a reset before any
 * restore). */
static int probe_start(struct virtio_dev *d)
{
	struct probe *p = d->priv;

	require(!p->started);
	p->started = 1;
	seen.starts++;
	return 0;
}

static void probe_reset(struct virtio_dev *d)
{
	struct probe *p = d->priv;

	p->started = 0;
}

static void probe_config(struct virtio_dev *d, uint8_t *buf)
{
	struct probe *p = d->priv;

	memset(buf, 0x50 + p->idx, d->be->config_size);
}

/* What a device writes into a chain: a pattern, FILL_MAX bytes at most. */
static uint32_t probe_fill(const struct virtq_chain *c)
{
	uint32_t done = 0;

	for (unsigned i = c->nread; i < c->nread + c->nwrite && done < FILL_MAX; i++) {
		const struct virtq_seg *s = &c->seg[i];
		uint32_t n = s->len < FILL_MAX - done ? s->len : FILL_MAX - done;

		for (uint32_t k = 0; k < n; k++)
			((uint8_t *)s->ptr)[k] = (uint8_t)(c->head + done + k);
		done += n;
	}
	return done;
}

/* virtio_dev_signal(), noting that an interrupt was asked for. */
static void probe_signal(struct probe *p, unsigned q)
{
	if (virtq_need_notify(&p->d->vq[q])) {
		p->want_irq[q] = 1;
		p->d->tp->interrupt(p->d, q);
	}
}

/* One pop, checked against the reference walk of the same chain. */
static int probe_pop(struct probe *p, struct virtq *vq)
{
	int want = ref_next(NULL, vq, vq->last_avail, &p->ref);
	int rc = virtq_pop(vq, &p->chain);

	require(ref_same(want, &p->ref, rc, &p->chain));
	require(rc <= 0 || ref_inside(vq->mem, &p->chain));
	return rc;
}

/* The kick of a backend as blk.h and rng.h describe one: a budget of
 * chains, each given back before the next is taken. */
static void probe_kick(struct virtio_dev *d, unsigned q)
{
	struct probe *p = d->priv;
	struct virtq *vq = &d->vq[q];
	unsigned budget = VIRTIO_KICK_BUDGET;
	int rc = 0;

	require(p->started && vq->size);
	while (budget && (rc = probe_pop(p, vq)) > 0) {
		uint32_t len = probe_fill(&p->chain);

		seen.pops++;
		virtq_mark_written(vq, p->chain.seg + p->chain.nread, p->chain.nwrite, len);
		require(!virtq_push(vq, p->chain.head, len));
		require(vq->used_idx == vq->last_avail);
		budget--;
	}
	if (rc < 0) {
		seen.broken++;
		p->broke = 1;
		virtio_dev_broken(d);
	} else if (!budget) {
		virtio_dev_rekick(d, q);
	}
	probe_signal(p, q);
}

#define PROBE(nq, qmax, feat, cfg) { \
	.name = "probe", .device_id = 4, .nqueues = (nq), .queue_max = (qmax), \
	.features = (feat), .own_kicks = 1, .config_size = (cfg), \
	.realize = probe_realize, .config = probe_config, .start = probe_start, \
	.kick = probe_kick, .reset = probe_reset, \
}

static const struct virtio_backend probe_be[NDEV] = {
	PROBE(2, 8, 1ull << VIRTIO_RING_F_EVENT_IDX | 1ull << VIRTIO_RING_F_INDIRECT_DESC | 1, 8),
	PROBE(1, 16, 1ull << VIRTIO_RING_F_EVENT_IDX, 0),
};

static unsigned nq(unsigned k)
{
	return probe_be[k].nqueues;
}

static unsigned nvec(unsigned k)
{
	return nq(k) + 1;
}

static uint64_t offered(unsigned k)
{
	return probe_be[k].features | 1ull << VIRTIO_F_VERSION_1;
}

/* ---- The machine ---- */

static struct vm vm;
static struct pci_host *host;
static struct regset pristine[NDEV];	/* each device as created */
static unsigned msix_cap[NDEV];
static int irqfd[NDEV][NVEC_MAX];
/* BAR 0 of each device as pci.c should have it: decoded by the guest at
 * @decoded (0: not), and on the MMIO bus there if @registered. */
static struct {
	uint64_t decoded;
	int registered;
} bar[NDEV];
static const struct device_ops *ops(unsigned k)
{
	return vm.devices[k].ops;
}

static void *state(unsigned k)
{
	return vm.devices[k].state;
}

/* ---- The transport's state, as save() gives it ---- */

enum { DFSEL, GFSEL, FEAT, CVEC, QSEL, STATUS, ISR, GEN, NSCALARS };

struct view {
	uint8_t cfg[PCI_CFG_SPACE_SIZE];
	uint32_t table[NVEC_MAX][4];
	uint64_t pba[2];
	uint64_t s[NSCALARS];
	uint64_t q[VIRTIO_MAX_QUEUES][8];	/* enum virtio_pci_queue_field */
	uint8_t raw[2048];
	size_t rawlen;
};

static struct view cur[NDEV];		/* after the last access */

static void view_parse(unsigned k, const struct regset *s, struct view *v)
{
	const uint8_t *p;
	uint32_t n;

	p = regset_get(s, K_CFG, &n);
	require(p && n == sizeof(v->cfg));
	memcpy(v->cfg, p, n);
	p = regset_get(s, K_MSIX_TABLE, &n);
	require(p && n == 16 * nvec(k));
	for (unsigned i = 0; i < n / 4; i++) {
		uint32_t w;

		memcpy(&w, p + 4 * i, 4);
		v->table[i / 4][i % 4] = le32toh(w);
	}
	p = regset_get(s, K_MSIX_PBA, &n);
	require(p && n == sizeof(v->pba));
	memcpy(v->pba, p, n);
	for (unsigned i = 0; i < NSCALARS; i++)
		require(!regset_get_uint(s, K_DFSELECT + i, &v->s[i]));
	for (unsigned q = 0; q < nq(k); q++)
		for (unsigned f = 0; f < 8; f++)
			require(!regset_get_uint(s, K_QUEUE + 16 * q + f, &v->q[q][f]));
	require(s->len <= sizeof(v->raw));
	memcpy(v->raw, s->buf, s->len);
	v->rawlen = s->len;
}

static void view_of(unsigned k, struct view *v)
{
	struct regset s;

	regset_init(&s);
	require(!ops(k)->save(state(k), &s));
	view_parse(k, &s, v);
	regset_free(&s);
}

static int same(const struct view *a, const struct view *b)
{
	return a->rawlen == b->rawlen && !memcmp(a->raw, b->raw, a->rawlen);
}

static uint64_t cfg_get(const struct view *v, unsigned off, unsigned len)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < len; i++)
		x |= (uint64_t)v->cfg[off + i] << (8 * i);
	return x;
}

/* BAR 0's address while the guest decodes it (pci.h), else 0. */
static uint64_t decoded(const struct view *v)
{
	uint64_t lo = cfg_get(v, PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;

	if (!(cfg_get(v, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY))
		return 0;
	return lo | cfg_get(v, PCI_BASE_ADDRESS_1, 4) << 32;
}

/* Where the guest would reach BAR 0 of device @k. */
static uint64_t bar_at(unsigned k)
{
	uint64_t lo = cfg_get(&cur[k], PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;

	return lo | cfg_get(&cur[k], PCI_BASE_ADDRESS_1, 4) << 32;
}

static unsigned msix_ctl(unsigned k, const struct view *v)
{
	return cfg_get(v, msix_cap[k] + PCI_MSIX_FLAGS, 2);
}

static int deliverable(unsigned k, const struct view *v, unsigned vec)
{
	unsigned ctl = msix_ctl(k, v);

	return (ctl & PCI_MSIX_FLAGS_ENABLE) && !(ctl & PCI_MSIX_FLAGS_MASKALL) &&
	       !(v->table[vec][3] & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static int pending(const struct view *v, unsigned vec)
{
	return v->pba[vec / 64] >> (vec % 64) & 1;
}

/* ---- Checks after every access ---- */

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* pci.c moves the region when the decoded address changes: it leaves its
 * old place and registers at the new one unless something is there. */
static void bars_follow(unsigned k)
{
	uint64_t now = decoded(&cur[k]);

	if (now == bar[k].decoded)
		return;
	bar[k].decoded = now;
	bar[k].registered = now && !overlaps(now, BAR_SIZE, ECAM_BASE, ECAM_SIZE);
	for (unsigned j = 0; j < NDEV; j++)
		if (j != k && bar[j].registered && overlaps(now, BAR_SIZE, bar[j].decoded, BAR_SIZE))
			bar[k].registered = 0;
}

/* The ioeventfds are the queues of the BARs on the bus, and nothing else. */
static void doorbells_check(void)
{
	unsigned want = 0, have = 0;

	for (unsigned k = 0; k < NDEV; k++)
		for (unsigned q = 0; bar[k].registered && q < nq(k); q++, want++)
			require(fake_irq_doorbell(bar[k].decoded + 3 * REGION + NOTIFY_MULT * q) ==
				probes[k].d->kick_fd[q]);
	for (unsigned i = 0; i < FAKE_IRQ_DOORBELLS; i++)
		have += fake_irq.door[i].fd >= 0;
	require(have == want);
}

/* Every vector's MSI route is its table entry, from the function's id. */
static void routes_check(void)
{
	unsigned gsi = 0;

	for (unsigned k = 0; k < NDEV; k++)
		for (unsigned v = 0; v < nvec(k); v++, gsi++) {
			const struct irq_msi *r = &vm.routes.msi[gsi];
			uint64_t addr = cur[k].table[v][0] | (uint64_t)cur[k].table[v][1] << 32;

			require(r->addr == addr && r->data == cur[k].table[v][2]);
			require(r->devid == (k + 1) * 8 && r->valid == (addr != 0));
		}
}

static int drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == sizeof(v);
}

/* A vector device @k was asked to signal: sent if deliverable, else left
 * pending while MSI-X is on. */
static void asked(unsigned k, unsigned vec, const int *fired)
{
	if (vec >= nvec(k))
		return;
	if (deliverable(k, &cur[k], vec))
		require(fired[vec]);
	else if (msix_ctl(k, &cur[k]) & PCI_MSIX_FLAGS_ENABLE)
		require(pending(&cur[k], vec));
}

/* Interrupts since the last check, against the state before (@old) and
 * after (cur). */
static void irqs_check(unsigned k, const struct view *old)
{
	struct probe *p = &probes[k];
	int fired[NVEC_MAX] = { 0 }, why[NVEC_MAX] = { 0 };

	for (unsigned v = 0; v < nvec(k); v++) {
		fired[v] = drain(irqfd[k][v]);
		seen.irqs += fired[v];
		why[v] = pending(old, v) && !pending(&cur[k], v);
	}
	for (unsigned q = 0; q < nq(k); q++)
		if (p->want_irq[q]) {
			asked(k, cur[k].q[q][Q_VECTOR], fired);
			if (cur[k].q[q][Q_VECTOR] < nvec(k))
				why[cur[k].q[q][Q_VECTOR]] = 1;
		}
	if (p->broke) {
		require(cur[k].s[STATUS] & VIRTIO_CONFIG_S_NEEDS_RESET);
		require(cur[k].s[ISR] & VIRTIO_PCI_ISR_CONFIG);
		asked(k, cur[k].s[CVEC], fired);
		if (cur[k].s[CVEC] < nvec(k))
			why[cur[k].s[CVEC]] = 1;
	}
	for (unsigned v = 0; v < nvec(k); v++)
		if (fired[v])
			require(why[v] && deliverable(k, &cur[k], v) && !pending(&cur[k], v));
	memset(p->want_irq, 0, sizeof(p->want_irq));
	p->broke = 0;
}

/* What the transport keeps must make sense whatever the guest wrote. */
static void state_check(unsigned k)
{
	const struct view *v = &cur[k];
	struct virtio_dev *d = probes[k].d;

	require(v->s[CVEC] < nvec(k) || v->s[CVEC] == VIRTIO_MSI_NO_VECTOR);
	if (v->s[STATUS] & VIRTIO_CONFIG_S_FEATURES_OK)
		require(!(v->s[FEAT] & ~offered(k)) && (v->s[FEAT] >> VIRTIO_F_VERSION_1 & 1));
	if (probes[k].started)
		require(v->s[STATUS] & VIRTIO_CONFIG_S_DRIVER_OK);
	for (unsigned q = 0; q < nq(k); q++) {
		const struct virtq *vq = &d->vq[q];
		uint64_t sz = vq->size;

		require(v->q[q][Q_VECTOR] < nvec(k) || v->q[q][Q_VECTOR] == VIRTIO_MSI_NO_VECTOR);
		require(v->q[q][Q_SIZE] && v->q[q][Q_SIZE] <= probe_be[k].queue_max &&
			!(v->q[q][Q_SIZE] & (v->q[q][Q_SIZE] - 1)));
		if (!sz)
			continue;
		require(sz <= probe_be[k].queue_max && !(sz & (sz - 1)));
		require((void *)vq->vr.desc == mem_ptr(&vm.ram, vq->desc_gpa, 16 * sz));
		require((void *)vq->vr.avail == mem_ptr(&vm.ram, vq->avail_gpa, 6 + 2 * sz));
		require((void *)vq->vr.used == mem_ptr(&vm.ram, vq->used_gpa, 6 + 8 * sz));
		require((uint16_t)(vq->last_avail - vq->used_idx) <= sz);
	}
}

#define ALL	((1u << NDEV) - 1)

/* Refresh cur[] of the devices in @mask after the machine did something,
 * and check it all. */
static void settle_some(unsigned mask)
{
	struct view old[NDEV];

	memcpy(old, cur, sizeof(old));
	for (unsigned k = 0; k < NDEV; k++)
		if (mask >> k & 1) {
			view_of(k, &cur[k]);
			bars_follow(k);
		}
	doorbells_check();
	routes_check();
	for (unsigned k = 0; k < NDEV; k++)
		if (mask >> k & 1) {
			irqs_check(k, &old[k]);
			state_check(k);
		}
}

static void settle(void)
{
	settle_some(ALL);
}

/* ---- What a read must return ---- */

static uint64_t ones(unsigned len)
{
	return len == 8 ? ~0ull : (1ull << (8 * len)) - 1;
}

/* The device whose config space is at ECAM offset @off, or -1. */
static int ecam_dev(uint64_t off)
{
	unsigned devfn = off >> 12 & 0xff;

	return devfn == 8 ? 0 : devfn == 16 ? 1 : -1;	/* slots 1 and 2, function 0 */
}

/* A config access that reaches a function's 256 bytes (else host.c and
 * ecam.c answer: all-ones, or 0 in extended space, and drop writes). */
static int ecam_ok(uint64_t off, unsigned len)
{
	unsigned reg = off & 0xfff;

	return len <= 4 && ecam_dev(off) >= 0 && reg + len <= PCI_CFG_SPACE_SIZE;
}

static uint64_t ecam_expect(uint64_t off, unsigned len)
{
	unsigned reg = off & 0xfff;

	if (len > 4 || ecam_dev(off) < 0 || reg + len > 4096)
		return ones(len);
	if (reg >= PCI_CFG_SPACE_SIZE)
		return 0;
	if (reg + len > PCI_CFG_SPACE_SIZE)
		return ones(len);
	return cfg_get(&cur[ecam_dev(off)], reg, len);
}

struct field {
	unsigned off, len;
	int queue;		/* a field of the selected queue: its Q_ index + 1 */
	int hi;			/* the upper half of a 64-bit one */
};

static const struct field fields[] = {
	{ CC(device_feature_select), 4, 0, 0 }, { CC(device_feature), 4, 0, 0 },
	{ CC(guest_feature_select), 4, 0, 0 }, { CC(guest_feature), 4, 0, 0 },
	{ CC(msix_config), 2, 0, 0 }, { CC(num_queues), 2, 0, 0 },
	{ CC(device_status), 1, 0, 0 }, { CC(config_generation), 1, 0, 0 },
	{ CC(queue_select), 2, 0, 0 }, { CC(queue_size), 2, 1 + Q_SIZE, 0 },
	{ CC(queue_msix_vector), 2, 1 + Q_VECTOR, 0 }, { CC(queue_enable), 2, 1 + Q_ENABLE, 0 },
	{ CC(queue_notify_off), 2, 0, 0 },
	{ CC(queue_desc_lo), 4, 1 + Q_DESC, 0 }, { CC(queue_desc_hi), 4, 1 + Q_DESC, 1 },
	{ CC(queue_avail_lo), 4, 1 + Q_AVAIL, 0 }, { CC(queue_avail_hi), 4, 1 + Q_AVAIL, 1 },
	{ CC(queue_used_lo), 4, 1 + Q_USED, 0 }, { CC(queue_used_hi), 4, 1 + Q_USED, 1 },
};
#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

static const struct field *field_at(unsigned off, unsigned len)
{
	for (unsigned i = 0; i < NFIELDS; i++)
		if (fields[i].off == off && fields[i].len == len)
			return &fields[i];
	return NULL;
}

static uint64_t sel_feature(uint64_t sel, uint64_t f)
{
	return sel < 2 ? (uint32_t)(f >> (32 * sel)) : 0;
}

static uint64_t queue_expect(unsigned k, const struct field *f)
{
	const struct view *v = &cur[k];
	uint64_t sel = v->s[QSEL];

	if (sel >= nq(k))
		return 0;
	if (!f->queue)
		return sel;			/* queue_notify_off */
	return f->hi ? v->q[sel][f->queue - 1] >> 32 : v->q[sel][f->queue - 1];
}

/* A common configuration read (virtio 1.x 4.1.4.3 and pci.c). */
static uint64_t common_expect(unsigned k, unsigned off, unsigned len)
{
	const struct field *f = field_at(off, len);
	const struct view *v = &cur[k];
	uint64_t x;

	if (!f)
		return 0;
	switch (f->off) {
	case CC(device_feature_select): x = v->s[DFSEL]; break;
	case CC(device_feature): x = sel_feature(v->s[DFSEL], offered(k)); break;
	case CC(guest_feature_select): x = v->s[GFSEL]; break;
	case CC(guest_feature): x = sel_feature(v->s[GFSEL], v->s[FEAT]); break;
	case CC(msix_config): x = v->s[CVEC]; break;
	case CC(num_queues): x = nq(k); break;
	case CC(device_status): x = v->s[STATUS]; break;
	case CC(config_generation): x = v->s[GEN]; break;
	case CC(queue_select): x = v->s[QSEL]; break;
	default: x = queue_expect(k, f);
	}
	return x & ones(len);
}

/* An MSI-X table or PBA read (msix.h): aligned 4 or 8 bytes inside. */
static uint64_t msix_expect(unsigned k, int pba, unsigned off, unsigned len)
{
	uint64_t size = pba ? 8 : 16 * nvec(k);
	const uint32_t *e;

	if ((len != 4 && len != 8) || off % len || off >= size)
		return 0;
	if (pba)
		return len == 8 ? cur[k].pba[0] : (uint32_t)(cur[k].pba[0] >> (8 * off));
	e = cur[k].table[off / 16];
	return len == 4 ? e[off % 16 / 4] : e[off % 16 / 4] | (uint64_t)e[off % 16 / 4 + 1] << 32;
}

static uint64_t bar_expect(unsigned k, unsigned off, unsigned len)
{
	unsigned o = off % REGION;
	uint64_t x = 0;

	if (o + len > REGION)
		return 0;
	switch (off / REGION) {
	case R_COMMON: return common_expect(k, o, len);
	case R_ISR: return o ? 0 : cur[k].s[ISR] & 0xff;
	case R_DEVICE:
		for (unsigned i = 0; i < len; i++)
			if (o + i < probe_be[k].config_size)
				x |= (uint64_t)(0x50 + k) << (8 * i);
		return x;
	case R_TABLE: return msix_expect(k, 0, o, len);
	case R_PBA: return msix_expect(k, 1, o, len);
	}
	return 0;
}

/* The device whose BAR 0 holds [@addr, @addr + @len) on the bus, or -1. */
static int bar_dev(uint64_t addr, unsigned len)
{
	if (addr + len < addr)
		return -1;
	for (unsigned k = 0; k < NDEV; k++)
		if (bar[k].registered && addr >= bar[k].decoded &&
		    addr + len <= bar[k].decoded + BAR_SIZE)
			return k;
	return -1;
}

static int in_ecam(uint64_t addr, unsigned len)
{
	return addr >= ECAM_BASE && addr + len <= ECAM_BASE + ECAM_SIZE && addr + len > addr;
}

/* ---- What a write may change ---- */

/* BAR writes that pci.c and msix.c drop. */
static int bar_write_dropped(unsigned k, unsigned off, unsigned len)
{
	unsigned o = off % REGION;

	if (o + len > REGION)
		return 1;
	switch (off / REGION) {
	case R_COMMON: return !field_at(o, len);
	case R_TABLE: return (len != 4 && len != 8) || o % len || o >= 16 * nvec(k);
	}
	return 1;	/* ISR, device configuration, notify, PBA, unused */
}

static int same_transport(const struct view *a, const struct view *b)
{
	return !memcmp(a->s, b->s, sizeof(a->s)) && !memcmp(a->q, b->q, sizeof(a->q));
}

/* A config write of @len at @reg of device @k: nothing else changed. */
static void cfg_write_check(unsigned k, unsigned reg, unsigned len, const struct view *old)
{
	for (unsigned i = 0; i < PCI_CFG_SPACE_SIZE; i++)
		if (i < reg || i >= reg + len)
			require(old[k].cfg[i] == cur[k].cfg[i]);
	require(same_transport(&old[k], &cur[k]));
	require(!memcmp(old[k].table, cur[k].table, sizeof(old[k].table)));
	require(same(&old[!k], &cur[!k]));
}

/* A common configuration write: config space and MSI-X stay. */
static void common_write_check(unsigned k, unsigned o, unsigned len, uint64_t val,
			       const struct view *old)
{
	require(!memcmp(old[k].cfg, cur[k].cfg, sizeof(old[k].cfg)));
	require(!memcmp(old[k].table, cur[k].table, sizeof(old[k].table)));
	require(same(&old[!k], &cur[!k]));
	if (o != CC(device_status) || len != 1 || (uint8_t)val)
		return;
	/* A reset: everything back to the defaults, once it has returned. */
	require(!probes[k].started);
	require(cur[k].s[GEN] == ((old[k].s[GEN] + 1) & 0xff));
	require(!cur[k].s[STATUS] && !cur[k].s[ISR] && !cur[k].s[FEAT] && !cur[k].s[QSEL]);
	require(!cur[k].s[DFSEL] && !cur[k].s[GFSEL] && cur[k].s[CVEC] == VIRTIO_MSI_NO_VECTOR);
	for (unsigned q = 0; q < nq(k); q++) {
		const uint64_t *f = cur[k].q[q];

		require(f[Q_SIZE] == probe_be[k].queue_max && f[Q_VECTOR] == VIRTIO_MSI_NO_VECTOR);
		require(!f[Q_ENABLE] && !f[Q_DESC] && !f[Q_AVAIL] && !f[Q_USED]);
		require(!f[Q_LAST_AVAIL] && !f[Q_USED_IDX] && !probes[k].d->vq[q].size);
	}
}

/* A table entry written: only the table (and pending bits) moved. */
static void table_write_check(unsigned k, const struct view *old)
{
	require(!memcmp(old[k].cfg, cur[k].cfg, sizeof(old[k].cfg)));
	require(same_transport(&old[k], &cur[k]));
	require(same(&old[!k], &cur[!k]));
}

/* A write of @len at @addr, which device @k's BAR held (or -1). */
static void write_check(int k, uint64_t addr, unsigned len, uint64_t val, int rc,
			const struct view *old)
{
	if (in_ecam(addr, len) && ecam_ok(addr - ECAM_BASE, len)) {
		cfg_write_check(ecam_dev(addr - ECAM_BASE), (addr - ECAM_BASE) & 0xfff, len, old);
		return;
	}
	if (rc || in_ecam(addr, len) || bar_write_dropped(k, addr - bar[k].decoded, len)) {
		for (unsigned j = 0; j < NDEV; j++)
			require(same(&old[j], &cur[j]));
		return;
	}
	if ((addr - bar[k].decoded) / REGION == R_COMMON)
		common_write_check(k, (addr - bar[k].decoded) % REGION, len, val, old);
	else
		table_write_check(k, old);
}

/* ---- Guest accesses ---- */

/* Devices that must be as cur[] has them when the op ends (a read or a
 * dropped write touched them, or an access to another device), and
 * devices written by a batch of writes checked only then. */
static unsigned lazy, batched;
static int batch;	/* a helper op: its writes are checked when it ends */

/* The device an access may change, or -1: a config write its function
 * (which may move its BAR), a BAR access its device, a read only the ISR.
 * Everything else waits for the end of the op. */
static int touched(int k, int ecam, uint64_t addr, unsigned len, int is_write)
{
	if (ecam)
		return is_write && ecam_ok(addr - ECAM_BASE, len) ? ecam_dev(addr - ECAM_BASE) : -1;
	if (k < 0)
		return -1;
	return is_write || addr - bar[k].decoded == R_ISR * REGION ? k : -1;
}

/* One guest access of @len bytes at @addr, checked; the value read. */
static uint64_t guest_access(uint64_t addr, unsigned len, int is_write, uint64_t val)
{
	struct view old[NDEV];
	int k = bar_dev(addr, len), ecam = in_ecam(addr, len);
	uint64_t want = 0, got = 0, base = k >= 0 ? bar[k].decoded : 0;
	uint8_t data[8];
	int rc, t;

	if (!is_write && ecam)
		want = ecam_expect(addr - ECAM_BASE, len);
	else if (!is_write && k >= 0)
		want = bar_expect(k, addr - base, len);
	memset(data, SENTINEL, sizeof(data));
	if (is_write)
		memcpy(data, &val, len);
	rc = mmio_dispatch(&vm.mmio, addr, data, len, is_write);
	if (tracing)
		fprintf(stderr, "  %s %#llx/%u %#llx rc %d\n", is_write ? "wr" : "rd",
			(unsigned long long)addr, len,
			(unsigned long long)(is_write ? val : le64toh(*(uint64_t *)data)), rc);
	require(rc == (ecam || k >= 0 ? 0 : -ENOENT));
	for (unsigned i = len; i < sizeof(data); i++)
		require(data[i] == SENTINEL);
	memcpy(&got, data, len);
	memcpy(old, cur, sizeof(old));
	t = touched(k, ecam, addr, len, is_write);
	lazy |= ALL & ~(t >= 0 ? 1u << t : 0);
	if (t >= 0 && batch) {
		batched |= 1u << t;
		return 0;
	}
	if (t >= 0)
		settle_some(1u << t);
	if (is_write) {
		write_check(k, addr, len, val, rc, old);
		return 0;
	}
	if (!rc)
		require(got == want);
	if (t >= 0)
		require(!cur[k].s[ISR]);	/* reading clears it */
	return got;
}

/* The end of an op: what was written in a batch is read back, and what
 * nothing should have changed is checked to be as it was. */
static void op_end(void)
{
	struct view old[NDEV];
	unsigned check = lazy & ~batched;

	memcpy(old, cur, sizeof(old));
	settle_some(lazy | batched);
	for (unsigned k = 0; k < NDEV; k++)
		if (check >> k & 1)
			require(same(&old[k], &cur[k]));
	lazy = batched = 0;
}

static void wr(uint64_t addr, unsigned len, uint64_t val)
{
	guest_access(addr, len, 1, val);
}

static uint64_t cfg_addr(unsigned slot, unsigned reg)
{
	return ECAM_BASE + ((uint64_t)slot << 15) + reg;
}

static void common_wr(unsigned k, unsigned off, unsigned len, uint64_t val)
{
	wr(bar_at(k) + off, len, val);
}

/* Serve the kick eventfds as device threads would, until none is left
 * (a budget that ran out kicks again). A device not started leaves them. */
static void serve(void)
{
	for (int round = 0; round < 4; round++) {
		int any = 0;

		for (unsigned k = 0; k < NDEV; k++) {
			struct virtio_dev *d = probes[k].d;

			for (unsigned q = 0; probes[k].started && q < nq(k); q++)
				if (drain(d->kick_fd[q]) && d->vq[q].size) {
					probe_kick(d, q);
					any = 1;
				}
		}
		if (!any)
			break;
	}
	settle();
}

/* ---- Save, load, reset ---- */

/* What the device runs on: must survive a save and load. */
struct running {
	int started;
	uint64_t features;
	struct virtq vq[VIRTIO_MAX_QUEUES];
};

static void running_of(unsigned k, struct running *r)
{
	r->started = probes[k].started;
	r->features = probes[k].d->features;
	memcpy(r->vq, probes[k].d->vq, sizeof(r->vq));
}

static int same_queue(const struct virtq *a, const struct virtq *b)
{
	return a->size == b->size && a->desc_gpa == b->desc_gpa && a->avail_gpa == b->avail_gpa &&
	       a->used_gpa == b->used_gpa && a->event_idx == b->event_idx &&
	       a->last_avail == b->last_avail && a->used_idx == b->used_idx;
}

static void same_running(unsigned k, const struct running *a, const struct running *b)
{
	require(a->started == b->started);
	if (!a->started)
		return;
	require(a->features == b->features);
	for (unsigned q = 0; q < nq(k); q++)
		require(same_queue(&a->vq[q], &b->vq[q]));
}

/* A snapshot and its restore, on this same VM: devices paused, saved,
 * reset (a fresh device), loaded and resumed. */
static void op_saveload(void)
{
	struct regset s[NDEV];
	struct running before[NDEV], after;
	struct view again;

	seen.saveloads++;
	require(!devices_pause(&vm));
	for (unsigned k = 0; k < NDEV; k++) {
		regset_init(&s[k]);
		require(!ops(k)->save(state(k), &s[k]));
		running_of(k, &before[k]);
	}
	for (unsigned k = 0; k < NDEV; k++)
		ops(k)->reset(state(k));
	for (unsigned k = 0; k < NDEV; k++)
		require(!ops(k)->load(state(k), &s[k], ops(k)->version));
	require(!devices_resume(&vm));
	settle();
	for (unsigned k = 0; k < NDEV; k++) {
		view_parse(k, &s[k], &again);
		require(same(&again, &cur[k]));
		running_of(k, &after);
		same_running(k, &before[k], &after);
		regset_free(&s[k]);
	}
}

/* The VM's reset of device @k: as the guest's, but from the host. */
static void op_reset(unsigned k)
{
	ops(k)->reset(state(k));
	settle();
	require(!probes[k].started && !cur[k].s[STATUS]);
	for (unsigned q = 0; q < nq(k); q++)
		require(!probes[k].d->vq[q].size);
}

/* ---- Ops ---- */

enum op {
	OP_MMIO,	/* any access: ECAM, a BAR, or anywhere */
	OP_CFG,		/* a config access of 1, 2 or 4 bytes */
	OP_COMMON,	/* a common configuration field at its width */
	OP_QUEUE,	/* set a queue up */
	OP_STATUS,	/* write device_status */
	OP_NEGOTIATE,	/* features, then FEATURES_OK, maybe DRIVER_OK */
	OP_MAP,		/* place BAR 0 and turn decoding on or off */
	OP_MSIX,	/* MSI-X control or a table entry */
	OP_RAM,		/* guest RAM bytes */
	OP_DESC,	/* a descriptor in RAM */
	OP_AVAIL,	/* make a chain available */
	OP_NOTIFY,	/* a notify write through the BAR (no ioeventfd) */
	OP_DOORBELL,	/* a notify KVM's ioeventfd took */
	OP_SERVE,	/* let the devices run */
	OP_SAVELOAD,	/* pause, save, reset, load, resume */
	OP_RESET,	/* the VM resets one device */
	NOPS
};

static const unsigned widths[4] = { 1, 2, 4, 8 };

static void op_mmio(struct in *in)
{
	unsigned b = get(in, 1), len = widths[b & 3], k = b >> 5 & 1;
	int is_write = b >> 2 & 1;
	uint64_t addr;

	switch (b >> 3 & 3) {
	case 0: addr = ECAM_BASE + get(in, 3) % (ECAM_SIZE + 8); break;
	case 1: addr = bar_at(k) + get(in, 2) % (BAR_SIZE + 8); break;
	case 2: addr = get(in, 8); break;
	default: addr = bar_at(k) + BAR_SIZE - 8 + get(in, 1) % 16; break;
	}
	guest_access(addr, len, is_write, is_write ? get(in, 8) : 0);
}

static void op_cfg(struct in *in)
{
	unsigned slot = get(in, 1) % 4, reg = get(in, 2) % 0x1004, b = get(in, 1);

	guest_access(cfg_addr(slot, reg), widths[b % 3], b >> 7, get(in, 4));
}

static void op_common(struct in *in)
{
	unsigned b = get(in, 1), k = b & 1;
	const struct field *f = &fields[(b >> 1 & 0x3f) % NFIELDS];

	guest_access(bar_at(k) + f->off, f->len, !(b & 0x80), get(in, 4));
}

/* Queue @q of device @k laid out as the input says, in one batch. */
static void op_queue(struct in *in)
{
	unsigned b = get(in, 1), k = b & 1, q = (b >> 1 & 3) % 3;
	uint64_t size = 1u << (get(in, 1) % 6), vec = get(in, 1) % 5;
	uint64_t desc = RAM_BASE + get(in, 2), avail = RAM_BASE + get(in, 2);
	uint64_t used = RAM_BASE + get(in, 2);

	batch = 1;
	common_wr(k, CC(queue_select), 2, q);
	common_wr(k, CC(queue_size), 2, size);
	common_wr(k, CC(queue_msix_vector), 2, vec == 4 ? VIRTIO_MSI_NO_VECTOR : vec);
	common_wr(k, CC(queue_desc_lo), 4, (uint32_t)desc);
	common_wr(k, CC(queue_desc_hi), 4, desc >> 32);
	common_wr(k, CC(queue_avail_lo), 4, (uint32_t)avail);
	common_wr(k, CC(queue_avail_hi), 4, avail >> 32);
	common_wr(k, CC(queue_used_lo), 4, (uint32_t)used);
	common_wr(k, CC(queue_used_hi), 4, used >> 32);
	if (!(b & 0x80))
		common_wr(k, CC(queue_enable), 2, 1);
	batch = 0;
}

static void op_negotiate(struct in *in)
{
	unsigned b = get(in, 1), k = b & 1;
	uint32_t lo = get(in, 4);

	batch = 1;
	common_wr(k, CC(device_status), 1, S_UP);
	common_wr(k, CC(guest_feature_select), 4, 0);
	common_wr(k, CC(guest_feature), 4, b & 2 ? lo : lo & offered(k));
	common_wr(k, CC(guest_feature_select), 4, 1);
	common_wr(k, CC(guest_feature), 4, 1);		/* VIRTIO_F_VERSION_1 */
	common_wr(k, CC(device_status), 1, S_UP | VIRTIO_CONFIG_S_FEATURES_OK);
	if (b & 4)
		common_wr(k, CC(device_status), 1, S_UP | VIRTIO_CONFIG_S_FEATURES_OK |
			  VIRTIO_CONFIG_S_DRIVER_OK);
	batch = 0;
}

static void op_map(struct in *in)
{
	unsigned b = get(in, 1), k = b & 1, slot = k + 1;
	uint64_t where[6] = { BAR_A, BAR_B, ECAM_BASE, RAM_BASE, bar_at(!k), 0 };
	uint64_t addr = where[(b >> 1 & 7) % 6];

	if ((b >> 1 & 7) % 6 == 5)
		addr = get(in, 8);
	wr(cfg_addr(slot, PCI_BASE_ADDRESS_0), 4, (uint32_t)addr);
	wr(cfg_addr(slot, PCI_BASE_ADDRESS_1), 4, addr >> 32);
	wr(cfg_addr(slot, PCI_COMMAND), 2,
	   (b & 0x80 ? 0 : PCI_COMMAND_MEMORY) | PCI_COMMAND_MASTER);
}

static void op_msix(struct in *in)
{
	unsigned b = get(in, 1), k = b & 1, vec = get(in, 1) % (nvec(k) + 1);
	uint64_t entry = bar_at(k) + R_TABLE * REGION + 16ull * vec;

	switch (b >> 1 & 3) {
	case 0:
		wr(cfg_addr(k + 1, msix_cap[k] + PCI_MSIX_FLAGS), 2, get(in, 2));
		break;
	case 1:
		batch = 1;
		wr(entry + PCI_MSIX_ENTRY_LOWER_ADDR, 4, b & 8 ? get(in, 4) : MSI_ADDR);
		wr(entry + PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0);
		wr(entry + PCI_MSIX_ENTRY_DATA, 4, get(in, 4));
		wr(entry + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, b >> 4 & 1);
		batch = 0;
		break;
	case 2:
		wr(entry + (b & 8), 8, get(in, 8));
		break;
	default:
		wr(entry + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, b >> 4 & 1);
		break;
	}
}

static void op_ram(struct in *in)
{
	uint64_t off = get(in, 2), n = get(in, 1) % 48;

	for (uint64_t i = 0; i < n; i++) {
		uint8_t v = get(in, 1);

		if (off + i < RAM_SIZE)
			vm.ram.hva[off + i] = v;
	}
}

static void op_desc(struct in *in)
{
	uint64_t at = get(in, 2), addr = RAM_BASE + get(in, 2);
	uint32_t len = get(in, 2);
	unsigned flags = get(in, 1), next = get(in, 1) % 16;
	struct vring_desc d;

	if (flags & 0x80)
		addr = get(in, 8);
	d.addr = htole64(addr);
	d.len = htole32(flags & 0x40 ? len << 8 : len);
	d.flags = htole16(flags & 7);
	d.next = htole16(next);
	if (at + sizeof(d) <= RAM_SIZE)
		memcpy(vm.ram.hva + at, &d, sizeof(d));
}

/* The driver side of the avail ring the guest gave queue q: append @head
 * (or move the index further), maybe asking for no interrupts. */
static void op_avail(struct in *in)
{
	unsigned b = get(in, 1), k = b & 1, q = (b >> 1 & 3) % nq(k);
	uint16_t head = get(in, 1) % 20, step = b & 8 ? get(in, 1) : 1;
	uint64_t size = cur[k].q[q][Q_SIZE];
	uint8_t *a = mem_ptr(&vm.ram, cur[k].q[q][Q_AVAIL], 6 + 2 * size);
	uint16_t idx;

	if (!a)
		return;
	memcpy(&idx, a + 2, 2);
	idx = le16toh(idx);
	a[4 + 2 * (idx % size)] = head;
	a[5 + 2 * (idx % size)] = 0;
	idx = htole16(idx + step);
	memcpy(a + 2, &idx, 2);
	a[0] = b >> 4 & VRING_AVAIL_F_NO_INTERRUPT;
	if (b & 0x20)
		memcpy(a + 4 + 2 * size, &idx, 2);	/* used_event */
}

static uint64_t doorbell(unsigned k, unsigned q)
{
	return bar_at(k) + R_NOTIFY * REGION + NOTIFY_MULT * q;
}

static void op_notify(struct in *in)
{
	unsigned b = get(in, 1), k = b & 1, q = (b >> 1 & 3) % 3;

	wr(doorbell(k, q), widths[b >> 3 & 3], q);
	serve();
}

static void op_doorbell(struct in *in)
{
	unsigned b = get(in, 1), k = b & 1, q = (b >> 1 & 3) % 3;
	int fd = fake_irq_doorbell(doorbell(k, q));
	uint64_t one = 1;

	if (fd >= 0)
		require(write(fd, &one, sizeof(one)) == sizeof(one));
	serve();
}

static const char *const op_names[NOPS] = {
	"mmio", "cfg", "common", "queue", "status", "negotiate", "map", "msix", "ram",
	"desc", "avail", "notify", "doorbell", "serve", "saveload", "reset",
};

static void run_op(struct in *in)
{
	unsigned op = get(in, 1) % NOPS;

	if (tracing)
		fprintf(stderr, "%s\n", op_names[op]);
	switch (op) {
	case OP_MMIO: op_mmio(in); break;
	case OP_CFG: op_cfg(in); break;
	case OP_COMMON: op_common(in); break;
	case OP_QUEUE: op_queue(in); break;
	case OP_STATUS: { unsigned k = get(in, 1) & 1; common_wr(k, CC(device_status), 1, get(in, 1)); break; }
	case OP_NEGOTIATE: op_negotiate(in); break;
	case OP_MAP: op_map(in); break;
	case OP_MSIX: op_msix(in); break;
	case OP_RAM: op_ram(in); break;
	case OP_DESC: op_desc(in); break;
	case OP_AVAIL: op_avail(in); break;
	case OP_NOTIFY: op_notify(in); break;
	case OP_DOORBELL: op_doorbell(in); break;
	case OP_SERVE: serve(); break;
	case OP_SAVELOAD: op_saveload(); break;
	case OP_RESET: op_reset(get(in, 1) & 1); break;
	}
}

/* ---- The machine, once and for every input ---- */

/* Guest RAM with a page on each side that faults when touched. */
static void ram_init(void)
{
	require(!mem_alloc(&vm.ram, RAM_BASE - PAGE, RAM_SIZE + 2 * PAGE));
	require(!mprotect(vm.ram.hva, PAGE, PROT_NONE));
	require(!mprotect(vm.ram.hva + PAGE + RAM_SIZE, PAGE, PROT_NONE));
	vm.ram.hva += PAGE;
	vm.ram.gpa = RAM_BASE;
	vm.ram.size = RAM_SIZE;
}

static unsigned find_msix(const struct view *v)
{
	unsigned off = v->cfg[PCI_CAPABILITY_LIST];

	while (off && v->cfg[off] != PCI_CAP_ID_MSIX)
		off = v->cfg[off + 1];
	require(off);
	return off;
}

/* Each vector's irqfd, as the transport gives it for a queue. */
static void find_irqfds(unsigned k)
{
	uint64_t base = BAR_A + k * BAR_SIZE;
	uint8_t d[8] = { 0 };

	d[0] = (uint8_t)base, d[1] = base >> 8, d[2] = base >> 16, d[3] = base >> 24;
	require(!mmio_dispatch(&vm.mmio, cfg_addr(k + 1, PCI_BASE_ADDRESS_0), d, 4, 1));
	d[0] = PCI_COMMAND_MEMORY, d[1] = d[2] = d[3] = 0;
	require(!mmio_dispatch(&vm.mmio, cfg_addr(k + 1, PCI_COMMAND), d, 2, 1));
	for (unsigned v = 0; v < nvec(k); v++) {
		d[0] = v, d[1] = 0;
		require(!mmio_dispatch(&vm.mmio, base + CC(queue_msix_vector), d, 2, 1));
		irqfd[k][v] = virtio_dev_call_fd(probes[k].d, 0);
		require(irqfd[k][v] >= 0);
	}
}

static void machine_init(void)
{
	fake_irq_reset();
	mmio_init(&vm.mmio);
	irq_init(&vm.routes, &vm.kvm);
	ram_init();
	require(!pci_host_create(&vm, ECAM_BASE, ECAM_SIZE, &host));
	for (unsigned k = 0; k < NDEV; k++) {
		probes[k].idx = k;
		require(!virtio_pci_create(&vm, host, "probe", &probe_be[k], &probes[k]));
	}
	for (unsigned k = 0; k < NDEV; k++) {
		regset_init(&pristine[k]);
		require(!ops(k)->save(state(k), &pristine[k]));
		view_parse(k, &pristine[k], &cur[k]);
		msix_cap[k] = find_msix(&cur[k]);
		find_irqfds(k);
	}
}

/* Every device as created, RAM zero, nothing pending. */
static void machine_reset(void)
{
	for (unsigned k = 0; k < NDEV; k++) {
		ops(k)->reset(state(k));
		require(!ops(k)->load(state(k), &pristine[k], ops(k)->version));
		for (unsigned q = 0; q < nq(k); q++)
			drain(probes[k].d->kick_fd[q]);
		for (unsigned v = 0; v < nvec(k); v++)
			drain(irqfd[k][v]);
		memset(probes[k].want_irq, 0, sizeof(probes[k].want_irq));
		probes[k].broke = 0;
		bar[k].decoded = bar[k].registered = 0;
	}
	memset(vm.ram.hva, 0, RAM_SIZE);
	settle();
	for (unsigned k = 0; k < NDEV; k++)
		require(!decoded(&cur[k]) && !probes[k].started);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int ready;
	struct in in = { data, len };

	if (!ready) {
		machine_init();
		tracing = !!getenv("FUZZ_TRACE");
		ready = 1;
	}
	machine_reset();
	memset(&seen, 0, sizeof(seen));
	for (unsigned n = 0; in.n && n < MAX_OPS; n++) {
		run_op(&in);
		op_end();
	}
	if (tracing)
		fprintf(stderr, "starts %u pops %u broken %u irqs %u saveloads %u logs %u\n",
			seen.starts, seen.pops, seen.broken, seen.irqs, seen.saveloads, log_count);
	return 0;
}

#ifdef FUZZ_VIRTIO_PCI_SEEDS
/* ---- Seed corpus: a guest bringing the devices up, and more ---- */

#include "tests/fuzz/seeds.h"

static void op(struct out *o, enum op op, unsigned b)
{
	put(o, op, 1);
	put(o, b, 1);
}

/* Both BARs mapped apart, MSI-X on with every vector programmed. */
static void seed_bars_msix(struct out *o)
{
	op(o, OP_MAP, 0 << 1 | 0);			/* device 0 at BAR_A */
	op(o, OP_MAP, 1 << 1 | 1);			/* device 1 at BAR_B */
	for (unsigned k = 0; k < NDEV; k++) {
		op(o, OP_MSIX, k | 0 << 1);		/* control: enable */
		put(o, 0, 1);
		put(o, PCI_MSIX_FLAGS_ENABLE, 2);
		for (unsigned v = 0; v < nvec(k); v++) {
			op(o, OP_MSIX, k | 1 << 1);	/* entry v, unmasked */
			put(o, v, 1);
			put(o, 0x20 + v, 4);
		}
	}
}

/* Device @k negotiated and its queues at 0x1000 * (3 q + 1, 2, 3). */
static void seed_queues(struct out *o, unsigned k, int driver_ok)
{
	op(o, OP_NEGOTIATE, k);
	put(o, 0, 4);
	for (unsigned q = 0; q < nq(k); q++) {
		uint64_t base = 0x3000 * q + 0x6000 * k;

		op(o, OP_QUEUE, k | q << 1);
		put(o, 3, 1);			/* 8 entries */
		put(o, q, 1);			/* vector q */
		put(o, base, 2);
		put(o, base + 0x1000, 2);
		put(o, base + 0x2000, 2);
	}
	if (driver_ok) {
		put(o, OP_STATUS, 1);
		put(o, k, 1);
		put(o, S_UP | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	}
}

/* Descriptor @i of device @k's queue @q: @len bytes at 0xc000 + 0x100 i. */
static void seed_desc(struct out *o, unsigned k, unsigned q, unsigned i, unsigned flags,
		      unsigned next)
{
	put(o, OP_DESC, 1);
	put(o, 0x3000 * q + 0x6000 * k + 16 * i, 2);
	put(o, 0xc000 + 0x100 * i, 2);
	put(o, 64, 2);
	put(o, flags, 1);
	put(o, next, 1);
}

static void seed_kick(struct out *o, unsigned k, unsigned q, unsigned head)
{
	op(o, OP_AVAIL, k | q << 1);
	put(o, head, 1);
	op(o, OP_DOORBELL, k | q << 1);
}

static void seed_boot(struct out *o)
{
	seed_bars_msix(o);
	seed_queues(o, 0, 1);
	seed_queues(o, 1, 1);
	seed_desc(o, 0, 0, 0, VRING_DESC_F_NEXT, 1);
	seed_desc(o, 0, 0, 1, VRING_DESC_F_WRITE, 0);
	seed_kick(o, 0, 0, 0);
	seed_desc(o, 1, 0, 0, VRING_DESC_F_WRITE, 0);
	seed_kick(o, 1, 0, 0);
}

static void seed_snapshot(struct out *o)
{
	seed_boot(o);
	seed_desc(o, 0, 1, 2, VRING_DESC_F_WRITE, 0);
	op(o, OP_AVAIL, 0 | 1 << 1);
	put(o, 2, 1);
	put(o, OP_SAVELOAD, 1);
	op(o, OP_NOTIFY, 0 | 1 << 1 | 1 << 3);
	put(o, OP_RESET, 1);
	put(o, 1, 1);
	put(o, OP_SAVELOAD, 1);
}

static void seed_indirect(struct out *o)
{
	seed_bars_msix(o);
	seed_queues(o, 0, 1);
	put(o, OP_DESC, 1);			/* descriptor 0: a table of 2 */
	put(o, 0, 2);
	put(o, 0xb000, 2);
	put(o, 32, 2);
	put(o, VRING_DESC_F_INDIRECT, 1);
	put(o, 0, 1);
	put(o, OP_DESC, 1);
	put(o, 0xb000, 2);
	put(o, 0xc000, 2);
	put(o, 16, 2);
	put(o, VRING_DESC_F_NEXT, 1);
	put(o, 1, 1);
	put(o, OP_DESC, 1);
	put(o, 0xb010, 2);
	put(o, 0xc100, 2);
	put(o, 100, 2);
	put(o, VRING_DESC_F_WRITE, 1);
	put(o, 0, 1);
	seed_kick(o, 0, 0, 0);
}

/* A chain that loops: the queue breaks, the device asks for a reset
 * (config interrupt, ISR bit), the driver reads the ISR and resets. */
static void seed_broken(struct out *o)
{
	seed_bars_msix(o);
	op(o, OP_MSIX, 0);			/* MSI-X control: enable */
	put(o, 0, 1);
	put(o, PCI_MSIX_FLAGS_ENABLE, 2);
	seed_queues(o, 0, 0);
	put(o, OP_COMMON, 1);			/* msix_config = 2 */
	put(o, 0 | 4 << 1, 1);
	put(o, 2, 4);
	put(o, OP_STATUS, 1);
	put(o, 0, 1);
	put(o, S_UP | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	seed_desc(o, 0, 0, 0, VRING_DESC_F_NEXT, 1);
	seed_desc(o, 0, 0, 1, VRING_DESC_F_NEXT, 0);
	seed_kick(o, 0, 0, 0);
	op(o, OP_MMIO, 0 | 1 << 3);		/* 1-byte read of the ISR */
	put(o, 0x1000, 2);
	put(o, OP_STATUS, 1);
	put(o, 0, 1);
	put(o, 0, 1);
}

static void seed_reset(struct out *o)
{
	seed_boot(o);
	put(o, OP_STATUS, 1);
	put(o, 0, 1);
	put(o, 0, 1);
	seed_queues(o, 0, 1);
	seed_kick(o, 0, 0, 0);
}

static void seed_widths(struct out *o)
{
	seed_bars_msix(o);
	static const unsigned addr_bytes[4] = { 3, 2, 8, 1 };

	for (unsigned b = 0; b < 64; b++) {
		op(o, OP_MMIO, b);
		put(o, b >> 3 & 3 ? 0x1000 * (b & 7) + 0x14 : 0x8000 + 0x10 * b,
		    addr_bytes[b >> 3 & 3]);
		if (b & 4)
			put(o, 0x1122334455667788ull, 8);
	}
	op(o, OP_MAP, 0 | 2 << 1);		/* over the ECAM window */
	op(o, OP_MAP, 1 | 4 << 1);		/* over device 0 */
	op(o, OP_MAP, 0 | 4 << 1 | 0x80);	/* decoding off */
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	return seed_write(argv[1], "boot", seed_boot) || seed_write(argv[1], "snapshot", seed_snapshot) ||
	       seed_write(argv[1], "indirect", seed_indirect) || seed_write(argv[1], "reset", seed_reset) ||
	       seed_write(argv[1], "broken", seed_broken) ||
	       seed_write(argv[1], "widths", seed_widths);
}
#endif
