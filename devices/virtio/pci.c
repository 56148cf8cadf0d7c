#include "devices/virtio/pci.h"
#include "devices/pci/ecam.h"
#include "devices/pci/host.h"
#include "devices/pci/msix.h"
#include "devices/pci/pci.h"
#include "devices/virtio/virtio.h"
#include "vmm/irq.h"
#include "vmm/log.h"
#include "vmm/regset.h"
#include "vmm/vm.h"

#include <endian.h>
#include <errno.h>
#include <linux/pci.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* BAR 0 layout. */
#define OFF_COMMON	0x0000
#define OFF_ISR		0x1000
#define OFF_DEVICE	0x2000
#define OFF_NOTIFY	0x3000
#define OFF_MSIX_TABLE	0x4000
#define OFF_MSIX_PBA	0x5000
#define REGION_SIZE	0x1000
#define BAR_SIZE	0x8000
#define NOTIFY_MULT	4	/* queue q's doorbell is at OFF_NOTIFY + 4 * q */

#define NO_VECTOR		VIRTIO_MSI_NO_VECTOR
/* Status bits only a reset clears. */
#define STICKY			(VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)
#define NVEC			(VIRTIO_MAX_QUEUES + 1)

struct vp_queue {
	uint16_t size, vector, enable;
	uint64_t desc, avail, used;
};

struct virtio_pci {
	struct vm *vm;
	struct pci_host *host;
	pthread_mutex_t *lock;		/* the host's: all PCI state */
	struct pci_function pf;
	struct msix msix;
	struct virtio_dev dev;
	uint32_t devid;			/* requester id = ITS DeviceID */
	uint64_t bar;			/* BAR 0 address while decoded, else 0 */
	uint32_t dfselect, gfselect;
	uint64_t guest_features;
	uint16_t config_vector, queue_sel;
	uint8_t status, isr, generation;
	int resetting;
	struct vp_queue q[VIRTIO_MAX_QUEUES];
	unsigned gsi[NVEC];
	int irqfd[NVEC];
};

static uint64_t offered(const struct virtio_pci *vp)
{
	return vp->dev.be->features | 1ull << VIRTIO_F_VERSION_1;
}

static struct vp_queue *selq(struct virtio_pci *vp)
{
	return vp->queue_sel < vp->dev.be->nqueues ? &vp->q[vp->queue_sel] : NULL;
}

/* The selected queue while the driver may still lay it out: until it
 * enables it (which it may not take back) and before DRIVER_OK (no queue
 * starts later: no VIRTIO_F_RING_RESET). Why: the device runs on what
 * DRIVER_OK saw, and a restore sets the queues up again from these
 * registers. NULL when the layout is fixed. */
static struct vp_queue *layout_q(struct virtio_pci *vp)
{
	struct vp_queue *q = selq(vp);

	return q && !q->enable && !(vp->status & VIRTIO_CONFIG_S_DRIVER_OK) ? q : NULL;
}

/* ---- interrupts ---- */

static void fire(struct virtio_pci *vp, unsigned vec)
{
	uint64_t one = 1;

	if (vec < vp->msix.nvec && msix_notify(&vp->msix, vec) == 1)
		(void)!write(vp->irqfd[vec], &one, sizeof(one));
}

static void on_interrupt(struct virtio_dev *d, unsigned q)
{
	struct virtio_pci *vp = d->tp_ctx;

	pthread_mutex_lock(vp->lock);
	fire(vp, vp->q[q].vector);
	pthread_mutex_unlock(vp->lock);
}

static void on_needs_reset(struct virtio_dev *d)
{
	struct virtio_pci *vp = d->tp_ctx;

	pthread_mutex_lock(vp->lock);
	vp->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	vp->isr |= VIRTIO_PCI_ISR_CONFIG;
	fire(vp, vp->config_vector);
	pthread_mutex_unlock(vp->lock);
	log_msg("%s: the guest broke a virtqueue; the device needs a reset", d->be->name);
}

static int call_fd(struct virtio_dev *d, unsigned q)
{
	struct virtio_pci *vp = d->tp_ctx;
	unsigned vec = vp->q[q].vector;

	return vec < vp->msix.nvec ? vp->irqfd[vec] : -1;
}

static const struct virtio_transport vp_transport = { on_interrupt, on_needs_reset, call_fd };

/* The guest (re)programmed vector @vec: the KVM route follows it. */
static void on_vector_change(struct msix *m, unsigned vec, void *ctx)
{
	struct virtio_pci *vp = ctx;
	uint64_t addr;
	uint32_t data;
	int masked;

	if (msix_entry(m, vec, &addr, &data, &masked) == 0)
		irq_msi_set(&vp->vm->routes, vp->gsi[vec], addr, data, vp->devid, addr != 0);
}

static void on_pending_fire(struct msix *m, unsigned vec, void *ctx)
{
	struct virtio_pci *vp = ctx;
	uint64_t one = 1;

	(void)m;
	(void)!write(vp->irqfd[vec], &one, sizeof(one));
}

/* ---- common configuration: a register table ---- */

static uint32_t rd_dfselect(struct virtio_pci *vp) { return vp->dfselect; }
static void wr_dfselect(struct virtio_pci *vp, uint32_t v) { vp->dfselect = v; }
static uint32_t rd_gfselect(struct virtio_pci *vp) { return vp->gfselect; }
static void wr_gfselect(struct virtio_pci *vp, uint32_t v) { vp->gfselect = v; }
static uint32_t rd_numq(struct virtio_pci *vp) { return vp->dev.be->nqueues; }
static uint32_t rd_generation(struct virtio_pci *vp) { return vp->generation; }
static uint32_t rd_status(struct virtio_pci *vp) { return vp->status; }
static uint32_t rd_config_vector(struct virtio_pci *vp) { return vp->config_vector; }
static uint32_t rd_qsel(struct virtio_pci *vp) { return vp->queue_sel; }
static void wr_qsel(struct virtio_pci *vp, uint32_t v) { vp->queue_sel = v; }

static uint32_t rd_dfeature(struct virtio_pci *vp)
{
	return vp->dfselect < 2 ? (uint32_t)(offered(vp) >> (32 * vp->dfselect)) : 0;
}

static uint32_t rd_gfeature(struct virtio_pci *vp)
{
	return vp->gfselect < 2 ? (uint32_t)(vp->guest_features >> (32 * vp->gfselect)) : 0;
}

static void wr_gfeature(struct virtio_pci *vp, uint32_t v)
{
	unsigned shift = 32 * vp->gfselect;

	if (vp->gfselect >= 2 || (vp->status & VIRTIO_CONFIG_S_FEATURES_OK))
		return;
	vp->guest_features &= ~(0xffffffffull << shift);
	vp->guest_features |= (uint64_t)v << shift;
}

/* A vector the MSI-X table does not have reads back as NO_VECTOR, which
 * tells the driver it was refused (virtio 1.x, 4.1.5.1.2). */
static uint16_t vector_or_none(const struct virtio_pci *vp, uint32_t v)
{
	return v < vp->msix.nvec ? (uint16_t)v : NO_VECTOR;
}

static void wr_config_vector(struct virtio_pci *vp, uint32_t v)
{
	vp->config_vector = vector_or_none(vp, v);
}

#define QREG(name, field)						\
static uint32_t rd_##name(struct virtio_pci *vp)			\
{									\
	struct vp_queue *q = selq(vp);					\
	return q ? (uint32_t)(q->field) : 0;				\
}
QREG(qsize, size)
QREG(qvector, vector)
QREG(qenable, enable)
QREG(qdesc_lo, desc)
QREG(qdesc_hi, desc >> 32)
QREG(qavail_lo, avail)
QREG(qavail_hi, avail >> 32)
QREG(qused_lo, used)
QREG(qused_hi, used >> 32)

static uint32_t rd_qnotify(struct virtio_pci *vp)
{
	return selq(vp) ? vp->queue_sel : 0;
}

static void wr_qsize(struct virtio_pci *vp, uint32_t v)
{
	struct vp_queue *q = layout_q(vp);

	/* A power of two no larger than offered; anything else is ignored. */
	if (q && v && !(v & (v - 1)) && v <= vp->dev.be->queue_max)
		q->size = v;
}

static void wr_qvector(struct virtio_pci *vp, uint32_t v)
{
	struct vp_queue *q = selq(vp);

	if (q)
		q->vector = vector_or_none(vp, v);
}

static void wr_qenable(struct virtio_pci *vp, uint32_t v)
{
	struct vp_queue *q = layout_q(vp);

	if (q && (v & 1))
		q->enable = 1;
}

static void set_half(uint64_t *reg, int hi, uint32_t v)
{
	unsigned shift = hi ? 32 : 0;

	*reg = (*reg & ~(0xffffffffull << shift)) | (uint64_t)v << shift;
}

#define QADDR(name, field, hi)						\
static void wr_##name(struct virtio_pci *vp, uint32_t v)		\
{									\
	struct vp_queue *q = layout_q(vp);				\
	if (q)								\
		set_half(&q->field, hi, v);				\
}
QADDR(qdesc_lo, desc, 0)
QADDR(qdesc_hi, desc, 1)
QADDR(qavail_lo, avail, 0)
QADDR(qavail_hi, avail, 1)
QADDR(qused_lo, used, 0)
QADDR(qused_hi, used, 1)

static void wr_status(struct virtio_pci *vp, uint32_t v);

struct common_reg {
	unsigned off, len;
	uint32_t (*read)(struct virtio_pci *vp);
	void (*write)(struct virtio_pci *vp, uint32_t val);
};

#define CC(f) offsetof(struct virtio_pci_common_cfg, f), \
	      sizeof(((struct virtio_pci_common_cfg *)0)->f)

static const struct common_reg common_regs[] = {
	{ CC(device_feature_select),	rd_dfselect,		wr_dfselect },
	{ CC(device_feature),		rd_dfeature,		NULL },
	{ CC(guest_feature_select),	rd_gfselect,		wr_gfselect },
	{ CC(guest_feature),		rd_gfeature,		wr_gfeature },
	{ CC(msix_config),		rd_config_vector,	wr_config_vector },
	{ CC(num_queues),		rd_numq,		NULL },
	{ CC(device_status),		rd_status,		wr_status },
	{ CC(config_generation),	rd_generation,		NULL },
	{ CC(queue_select),		rd_qsel,		wr_qsel },
	{ CC(queue_size),		rd_qsize,		wr_qsize },
	{ CC(queue_msix_vector),	rd_qvector,		wr_qvector },
	{ CC(queue_enable),		rd_qenable,		wr_qenable },
	{ CC(queue_notify_off),		rd_qnotify,		NULL },
	{ CC(queue_desc_lo),		rd_qdesc_lo,		wr_qdesc_lo },
	{ CC(queue_desc_hi),		rd_qdesc_hi,		wr_qdesc_hi },
	{ CC(queue_avail_lo),		rd_qavail_lo,		wr_qavail_lo },
	{ CC(queue_avail_hi),		rd_qavail_hi,		wr_qavail_hi },
	{ CC(queue_used_lo),		rd_qused_lo,		wr_qused_lo },
	{ CC(queue_used_hi),		rd_qused_hi,		wr_qused_hi },
};

static const struct common_reg *common_find(unsigned off, unsigned len)
{
	for (size_t i = 0; i < sizeof(common_regs) / sizeof(common_regs[0]); i++)
		if (common_regs[i].off == off && common_regs[i].len == len)
			return &common_regs[i];
	return NULL;	/* unaligned or mis-sized: reads 0, writes ignored */
}

/* ---- device status: reset, feature check, start ---- */

static int features_ok(const struct virtio_pci *vp)
{
	return (vp->guest_features & ~offered(vp)) == 0 &&
	       (vp->guest_features >> VIRTIO_F_VERSION_1 & 1);
}

static int setup_queues(struct virtio_pci *vp)
{
	struct virtio_dev *d = &vp->dev;
	int event_idx = virtio_dev_has(d, VIRTIO_RING_F_EVENT_IDX);

	for (unsigned i = 0; i < d->be->nqueues; i++) {
		struct vp_queue *q = &vp->q[i];

		if (!q->enable)
			continue;
		if (virtq_init(&d->vq[i], d->mem, q->size, q->desc, q->avail, q->used, event_idx)) {
			memset(&d->vq[i], 0, sizeof(d->vq[i]));
			return -EINVAL;
		}
	}
	return 0;
}

/* Features the driver accepted (FEATURES_OK) and queues it set up: the
 * device starts, once per reset. */
static void driver_ok(struct virtio_pci *vp)
{
	vp->dev.features = vp->guest_features & offered(vp);
	if (!(vp->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		log_msg("%s: cannot start: the guest set DRIVER_OK without FEATURES_OK",
			vp->dev.be->name);
		vp->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	} else if (setup_queues(vp) || virtio_dev_start(&vp->dev)) {
		log_msg("%s: cannot start: bad queue setup from the guest", vp->dev.be->name);
		vp->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	}
}

static void wr_status(struct virtio_pci *vp, uint32_t v)
{
	uint8_t old = vp->status, new = v;

	if (new == 0) {
		vp->resetting = 1;	/* finished by the caller, outside the lock */
		return;
	}
	/* Accepted before DRIVER_OK only (which started the device, or refused
	 * to, without it); refused, the driver reads it back clear. */
	if ((new & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    (!features_ok(vp) || (old & VIRTIO_CONFIG_S_DRIVER_OK)))
		new &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	/* Only a reset takes a step back: FEATURES_OK (the features are fixed
	 * from then on, and a restore takes them from guest_feature) and
	 * DRIVER_OK (the device runs) stay set, and the device asks for the
	 * reset. */
	if (old & STICKY & ~new)
		new |= (old & STICKY) | VIRTIO_CONFIG_S_NEEDS_RESET;
	vp->status = new | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	if ((new & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK))
		driver_ok(vp);
}

static void clear_state(struct virtio_pci *vp)
{
	vp->status = vp->isr = 0;
	vp->guest_features = 0;
	vp->dfselect = vp->gfselect = vp->queue_sel = 0;
	vp->config_vector = NO_VECTOR;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vp->q[i] = (struct vp_queue){ .size = vp->dev.be->queue_max, .vector = NO_VECTOR };
	vp->generation++;
}

/* Why outside the lock: stopping joins the device thread, which may be
 * waiting for the lock to deliver an interrupt. The status reads non-zero
 * until the reset is complete, and the driver waits for 0. */
static void finish_reset(struct virtio_pci *vp)
{
	virtio_dev_stop(&vp->dev, 1);
	pthread_mutex_lock(vp->lock);
	clear_state(vp);
	memset(vp->dev.vq, 0, sizeof(vp->dev.vq));	/* no stale rings */
	vp->resetting = 0;
	pthread_mutex_unlock(vp->lock);
}

/* ---- BAR 0 ---- */

/* Each field is accessed at its own offset and width (virtio 1.x, 4.1.3.1;
 * 64-bit fields as two 32-bit halves); any other access reads 0 and writes
 * nothing. While a reset runs, writes are dropped: the driver must wait for
 * status 0 first. */
static void common_access(struct virtio_pci *vp, uint64_t off, uint8_t *data,
			  unsigned len, int is_write)
{
	const struct common_reg *r = common_find(off, len);
	uint32_t v = 0;

	if (!is_write)
		memset(data, 0, len);
	if (!r)
		return;
	if (is_write) {
		memcpy(&v, data, r->len);
		if (r->write && !vp->resetting)
			r->write(vp, v);
		return;
	}
	v = r->read(vp);
	memcpy(data, &v, r->len);
}

static void isr_access(struct virtio_pci *vp, uint64_t off, uint8_t *data,
		       unsigned len, int is_write)
{
	memset(data, 0, is_write ? 0 : len);
	if (!is_write && off == 0) {
		data[0] = vp->isr;	/* reading clears it */
		vp->isr = 0;
	}
}

static void device_access(struct virtio_pci *vp, uint64_t off, uint8_t *data,
			  unsigned len, int is_write)
{
	uint8_t buf[REGION_SIZE] = { 0 };
	unsigned size = vp->dev.be->config_size;

	if (is_write)
		return;	/* no writable device configuration fields */
	vp->dev.be->config(&vp->dev, buf);
	memset(data, 0, len);
	if (off < size)
		memcpy(data, buf + off, len < size - off ? len : size - off);
}

static void notify_access(struct virtio_pci *vp, uint64_t off, uint8_t *data,
			  unsigned len, int is_write)
{
	uint64_t one = 1, q = off / NOTIFY_MULT;

	/* Only doorbells KVM's ioeventfd did not take come here. */
	memset(data, 0, is_write ? 0 : len);
	if (is_write && q < vp->dev.be->nqueues)
		(void)!write(vp->dev.kick_fd[q], &one, sizeof(one));
}

static void msix_table_access(struct virtio_pci *vp, uint64_t off, uint8_t *data,
			      unsigned len, int is_write)
{
	uint64_t v = 0;

	memcpy(&v, data, len);
	if (is_write)
		msix_table_write(&vp->msix, off, len, v);
	v = is_write ? 0 : msix_table_read(&vp->msix, off, len);
	memcpy(data, &v, is_write ? 0 : len);
}

static void msix_pba_access(struct virtio_pci *vp, uint64_t off, uint8_t *data,
			    unsigned len, int is_write)
{
	uint64_t v = is_write ? 0 : msix_pba_read(&vp->msix, off, len);

	memcpy(data, &v, is_write ? 0 : len);
}

typedef void (*bar_fn)(struct virtio_pci *vp, uint64_t off, uint8_t *data,
		       unsigned len, int is_write);

static const bar_fn bar_regions[BAR_SIZE / REGION_SIZE] = {
	[OFF_COMMON / REGION_SIZE]	= common_access,
	[OFF_ISR / REGION_SIZE]		= isr_access,
	[OFF_DEVICE / REGION_SIZE]	= device_access,
	[OFF_NOTIFY / REGION_SIZE]	= notify_access,
	[OFF_MSIX_TABLE / REGION_SIZE]	= msix_table_access,
	[OFF_MSIX_PBA / REGION_SIZE]	= msix_pba_access,
};

/* An access a region can take: 1, 2, 4 or 8 bytes, all inside it. */
static bar_fn region_of(uint64_t off, unsigned len)
{
	if ((len != 1 && len != 2 && len != 4 && len != 8) || off >= BAR_SIZE ||
	    off % REGION_SIZE + len > REGION_SIZE)
		return NULL;
	return bar_regions[off / REGION_SIZE];
}

static void bar_mmio(void *opaque, uint64_t off, uint8_t *data, unsigned len,
		     int is_write)
{
	struct virtio_pci *vp = opaque;
	bar_fn fn = region_of(off, len);
	int was_resetting, reset;

	pthread_mutex_lock(vp->lock);
	was_resetting = vp->resetting;
	if (fn)
		fn(vp, off % REGION_SIZE, data, len, is_write);
	else if (!is_write)
		memset(data, 0, len);
	/* Why only the access that asked runs the reset: another vCPU writing
	 * meanwhile must not stop and join the device a second time. */
	reset = vp->resetting && !was_resetting;
	pthread_mutex_unlock(vp->lock);
	if (reset)
		finish_reset(vp);
}

/* Doorbells go to the device thread through KVM, not through exits. */
static void bind_doorbells(struct virtio_pci *vp, uint64_t bar, int assign)
{
	for (unsigned q = 0; q < vp->dev.be->nqueues; q++)
		irq_ioeventfd(&vp->vm->kvm, bar + OFF_NOTIFY + q * NOTIFY_MULT, 2,
			      vp->dev.kick_fd[q], assign);
}

/* The guest moved BAR 0 or toggled decoding. Host lock held. */
static void on_bar_change(struct pci_function *f, unsigned index, uint64_t old,
			  uint64_t new, void *ctx)
{
	struct virtio_pci *vp = ctx;

	(void)f;
	(void)old;
	if (index != 0)
		return;
	/* Why vp->bar and not @old: a BAR the guest put over another region
	 * was never registered here, and moving it away must not take that
	 * region with it. */
	if (vp->bar) {
		bind_doorbells(vp, vp->bar, 0);
		mmio_unregister(&vp->vm->mmio, vp->bar, vp);
	}
	vp->bar = 0;
	if (new && !mmio_register(&vp->vm->mmio, new, BAR_SIZE, bar_mmio, vp)) {
		vp->bar = new;
		bind_doorbells(vp, new, 1);
	}
}

/* ---- the device interface (vmm/device.h) ---- */

static int vp_pause(void *state)
{
	struct virtio_pci *vp = state;

	return virtio_dev_pause(&vp->dev);
}

static int vp_resume(void *state)
{
	struct virtio_pci *vp = state;

	return virtio_dev_resume(&vp->dev);
}

static int vp_release(void *state)
{
	struct virtio_pci *vp = state;

	return vp->dev.be->release ? vp->dev.be->release(&vp->dev) : 0;
}

static int vp_acquire(void *state)
{
	struct virtio_pci *vp = state;

	return vp->dev.be->acquire ? vp->dev.be->acquire(&vp->dev) : 0;
}

static int vp_log_dirty(void *state, unsigned long *bits)
{
	struct virtio_pci *vp = state;

	return vp->dev.be->log_dirty ? vp->dev.be->log_dirty(&vp->dev, bits) : 0;
}

static int vp_log_disk(void *state, struct disk_log *log)
{
	struct virtio_pci *vp = state;

	return vp->dev.be->log_disk ? vp->dev.be->log_disk(&vp->dev, log) : -ENODEV;
}

static void vp_reset(void *state)
{
	finish_reset(state);
}

/* Saved state (keys in pci.h): keyed fields, all little-endian. */
#define VP_STATE_VERSION	1

static int put_scalars(struct virtio_pci *vp, struct regset *s)
{
	const uint64_t v[] = { vp->dfselect, vp->gfselect, vp->guest_features, vp->config_vector,
			       vp->queue_sel, vp->status, vp->isr, vp->generation };
	int rc = 0;

	for (unsigned i = 0; !rc && i < sizeof(v) / sizeof(v[0]); i++)
		rc = regset_put_uint(s, K_DFSELECT + i, v[i], 8);
	return rc;
}

static int put_queue(struct virtio_pci *vp, unsigned i, struct regset *s)
{
	struct virtq_state st = { 0 };
	const struct vp_queue *q = &vp->q[i];
	uint64_t v[8];
	int rc = 0;

	if (vp->dev.vq[i].size)
		virtq_get_state(&vp->dev.vq[i], &st);
	v[Q_SIZE] = q->size, v[Q_VECTOR] = q->vector, v[Q_ENABLE] = q->enable;
	v[Q_DESC] = q->desc, v[Q_AVAIL] = q->avail, v[Q_USED] = q->used;
	v[Q_LAST_AVAIL] = st.last_avail, v[Q_USED_IDX] = st.used_idx;
	for (unsigned k = 0; !rc && k < 8; k++)
		rc = regset_put_uint(s, K_QUEUE + 16 * i + k, v[k], 8);
	return rc;
}

/* The MSI-X table and PBA as little-endian words. */
static int put_msix(struct virtio_pci *vp, struct regset *s)
{
	uint32_t t[MSIX_MAX_VECTORS * 4];
	uint64_t p[MSIX_MAX_VECTORS / 64];
	unsigned words = vp->msix.nvec * 4;
	int rc;

	for (unsigned i = 0; i < words; i++)
		t[i] = htole32(vp->msix.table[i / 4][i % 4]);
	for (unsigned i = 0; i < MSIX_MAX_VECTORS / 64; i++)
		p[i] = htole64(vp->msix.pba[i]);
	rc = regset_put(s, K_MSIX_TABLE, t, words * 4);
	return rc ? rc : regset_put(s, K_MSIX_PBA, p, sizeof(p));
}

/* The device is paused: its thread is stopped, nothing is in flight. */
static int vp_save(void *state, struct regset *s)
{
	struct virtio_pci *vp = state;
	int rc;

	pthread_mutex_lock(vp->lock);
	rc = regset_put(s, K_CFG, vp->pf.cfg, sizeof(vp->pf.cfg));
	rc = rc ? rc : put_msix(vp, s);
	rc = rc ? rc : put_scalars(vp, s);
	for (unsigned i = 0; !rc && i < vp->dev.be->nqueues; i++)
		rc = put_queue(vp, i, s);
	pthread_mutex_unlock(vp->lock);
	return rc;
}

static int get_blob(const struct regset *s, uint64_t key, void *dst, uint32_t len)
{
	uint32_t n;
	const uint8_t *p = regset_get(s, key, &n);

	if (!p || n != len)
		return -EINVAL;
	memcpy(dst, p, len);
	return 0;
}

static int get_msix(struct virtio_pci *vp, const struct regset *s)
{
	uint32_t t[MSIX_MAX_VECTORS * 4];
	uint64_t p[MSIX_MAX_VECTORS / 64];
	unsigned words = vp->msix.nvec * 4;

	if (get_blob(s, K_MSIX_TABLE, t, words * 4) || get_blob(s, K_MSIX_PBA, p, sizeof(p)))
		return -EINVAL;
	for (unsigned i = 0; i < words; i++)
		vp->msix.table[i / 4][i % 4] = le32toh(t[i]);
	for (unsigned i = 0; i < MSIX_MAX_VECTORS / 64; i++)
		vp->msix.pba[i] = le64toh(p[i]);
	return 0;
}

static int get_scalars(struct virtio_pci *vp, const struct regset *s)
{
	uint64_t v[8];

	for (unsigned i = 0; i < 8; i++)
		if (regset_get_uint(s, K_DFSELECT + i, &v[i]))
			return -EINVAL;
	vp->dfselect = v[0], vp->gfselect = v[1], vp->guest_features = v[2];
	vp->config_vector = vector_or_none(vp, v[3]), vp->queue_sel = v[4];
	vp->status = v[5], vp->isr = v[6], vp->generation = v[7];
	return 0;
}

/* Queue @i's registers, and its indices into *@st. */
static int get_queue(struct virtio_pci *vp, unsigned i, const struct regset *s,
		     struct virtq_state *st)
{
	struct vp_queue *q = &vp->q[i];
	uint64_t v[8];

	for (unsigned k = 0; k < 8; k++)
		if (regset_get_uint(s, K_QUEUE + 16 * i + k, &v[k]))
			return -EINVAL;
	/* A size the guest could not have written: not this device's state. */
	if (!v[Q_SIZE] || (v[Q_SIZE] & (v[Q_SIZE] - 1)) || v[Q_SIZE] > vp->dev.be->queue_max)
		return -EINVAL;
	q->size = v[Q_SIZE], q->vector = vector_or_none(vp, v[Q_VECTOR]), q->enable = v[Q_ENABLE] & 1;
	q->desc = v[Q_DESC], q->avail = v[Q_AVAIL], q->used = v[Q_USED];
	*st = (struct virtq_state){ (uint16_t)v[Q_LAST_AVAIL], (uint16_t)v[Q_USED_IDX] };
	return 0;
}

/* The queues DRIVER_OK set up, at their saved indices; -EINVAL (and no
 * queue set up) if one cannot be. */
static int restore_queues(struct virtio_pci *vp, const struct virtq_state *st)
{
	int rc = setup_queues(vp);

	for (unsigned i = 0; !rc && i < vp->dev.be->nqueues; i++)
		if (vp->q[i].enable)
			rc = virtq_set_state(&vp->dev.vq[i], &st[i]);
	if (rc)
		memset(vp->dev.vq, 0, sizeof(vp->dev.vq));
	return rc;
}

/* Run the device again if DRIVER_OK started it: it decided on what is
 * restored here (FEATURES_OK and the queue layout are fixed from then on),
 * so the same test gives the same answer. Why a device that could not
 * start loads anyway: it asked for a reset, and keeps asking. */
static int restore_run(struct virtio_pci *vp, const struct virtq_state *st)
{
	if (!(vp->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return 0;
	if (!(vp->status & VIRTIO_CONFIG_S_FEATURES_OK) || restore_queues(vp, st))
		return vp->status & VIRTIO_CONFIG_S_NEEDS_RESET ? 0 : -EINVAL;
	/* vhost backends own their queues: hand them over now. */
	if (vp->dev.be->own_kicks)
		return virtio_dev_start(&vp->dev);
	vp->dev.paused = 1;
	return 0;
}

/*
 * Load, on a paused device of a VM being restored (vCPUs not started):
 * config space, MSI-X and transport state are written, then the BAR's MMIO
 * region and doorbell ioeventfds and every vector's MSI route are rebuilt
 * from them, and the queues from their indices. The device thread starts
 * only on resume, so nothing is injected before the restore is complete.
 */
static int vp_load(void *state, const struct regset *s, unsigned version)
{
	struct virtio_pci *vp = state;
	struct virtq_state st[VIRTIO_MAX_QUEUES];
	int rc = version == VP_STATE_VERSION ? 0 : -EPROTO;

	pthread_mutex_lock(vp->lock);
	rc = rc ? rc : get_blob(s, K_CFG, vp->pf.cfg, sizeof(vp->pf.cfg));
	rc = rc ? rc : get_msix(vp, s);
	rc = rc ? rc : get_scalars(vp, s);
	vp->dev.features = vp->guest_features & offered(vp);
	for (unsigned i = 0; !rc && i < vp->dev.be->nqueues; i++)
		rc = get_queue(vp, i, s, &st[i]);
	if (!rc) {
		pci_sync_bars(&vp->pf);
		msix_sync(&vp->msix);
		rc = restore_run(vp, st);
	}
	pthread_mutex_unlock(vp->lock);
	return rc;
}

static const struct device_ops virtio_pci_ops = {
	.name = "virtio-pci", .version = VP_STATE_VERSION, .reset = vp_reset,
	.pause = vp_pause, .resume = vp_resume, .save = vp_save, .load = vp_load,
	.release = vp_release, .acquire = vp_acquire, .log_dirty = vp_log_dirty,
	.log_disk = vp_log_disk,
};

/* ---- creation ---- */

static int add_vcap(struct pci_function *f, uint8_t type, uint32_t off,
		    uint32_t len, unsigned cap_len)
{
	int at = pci_add_cap(f, PCI_CAP_ID_VNDR, cap_len);

	if (at < 0)
		return at;
	pci_cfg_set(f, at + offsetof(struct virtio_pci_cap, cfg_type), 1, type);
	pci_cfg_set(f, at + offsetof(struct virtio_pci_cap, bar), 1, 0);
	pci_cfg_set(f, at + offsetof(struct virtio_pci_cap, offset), 4, off);
	pci_cfg_set(f, at + offsetof(struct virtio_pci_cap, length), 4, len);
	return at;
}

static int add_caps(struct virtio_pci *vp)
{
	struct pci_function *f = &vp->pf;
	int at = add_vcap(f, VIRTIO_PCI_CAP_COMMON_CFG, OFF_COMMON,
			  sizeof(struct virtio_pci_common_cfg), sizeof(struct virtio_pci_cap));

	if (at >= 0)
		at = add_vcap(f, VIRTIO_PCI_CAP_ISR_CFG, OFF_ISR, 1, sizeof(struct virtio_pci_cap));
	/* Optional, and drivers refuse a zero-length one (virtio-rng has none). */
	if (at >= 0 && vp->dev.be->config_size)
		at = add_vcap(f, VIRTIO_PCI_CAP_DEVICE_CFG, OFF_DEVICE,
			      vp->dev.be->config_size, sizeof(struct virtio_pci_cap));
	if (at >= 0)
		at = add_vcap(f, VIRTIO_PCI_CAP_NOTIFY_CFG, OFF_NOTIFY, REGION_SIZE,
			      sizeof(struct virtio_pci_notify_cap));
	if (at >= 0)
		pci_cfg_set(f, at + offsetof(struct virtio_pci_notify_cap, notify_off_multiplier),
			    4, NOTIFY_MULT);
	return at < 0 ? at : 0;
}

static uint32_t class_of(uint16_t id)
{
	switch (id) {
	case VIRTIO_ID_BLOCK:	return 0x018000;	/* mass storage, other */
	case VIRTIO_ID_NET:	return 0x020000;	/* ethernet */
	case VIRTIO_ID_CONSOLE:	return 0x078000;	/* communication, other */
	}
	return 0xff0000;
}

static int init_function(struct virtio_pci *vp)
{
	const struct virtio_backend *be = vp->dev.be;
	struct pci_id id = {
		.vendor = VIRTIO_PCI_VENDOR, .device = VIRTIO_PCI_DEVICE_BASE + be->device_id,
		.class_code = class_of(be->device_id), .subsys_vendor = VIRTIO_PCI_VENDOR,
		.subsys_id = 0x0040, .revision = 1,	/* >= 1: not transitional */
	};
	int rc;

	pci_init(&vp->pf, &id);
	vp->pf.on_bar_change = on_bar_change;
	vp->pf.ctx = vp;
	rc = pci_add_bar(&vp->pf, 0, BAR_SIZE, PCI_BASE_ADDRESS_MEM_TYPE_64);
	if (!rc)
		rc = add_caps(vp);
	if (!rc)
		rc = msix_init(&vp->msix, &vp->pf, be->nqueues + 1, 0, OFF_MSIX_TABLE, OFF_MSIX_PBA);
	vp->msix.on_vector_change = on_vector_change;
	vp->msix.on_pending_fire = on_pending_fire;
	vp->msix.ctx = vp;
	return rc;
}

/* One MSI GSI and irqfd per vector; routes come when the guest programs them. */
static int init_vectors(struct virtio_pci *vp)
{
	for (unsigned v = 0; v < vp->dev.be->nqueues + 1u; v++) {
		int gsi = irq_msi_alloc(&vp->vm->routes), rc;

		if (gsi < 0)
			return gsi;
		vp->gsi[v] = gsi;
		vp->irqfd[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vp->irqfd[v] < 0)
			return -errno;
		rc = irq_irqfd(&vp->vm->kvm, gsi, vp->irqfd[v], 1);
		if (rc)
			return rc;
	}
	return 0;
}

int virtio_pci_create(struct vm *vm, struct pci_host *h, const char *kind,
		      const struct virtio_backend *be, void *priv)
{
	struct virtio_pci *vp = calloc(1, sizeof(*vp));
	char id[DEVICE_ID_MAX + 1];
	unsigned devfn;
	int rc;

	if (!vp)
		return -ENOMEM;
	vp->vm = vm;
	vp->host = h;
	vp->lock = pci_host_lock(h);
	rc = virtio_dev_init(&vp->dev, be, priv, &vm->ram);
	vp->dev.tp = &vp_transport;
	vp->dev.tp_ctx = vp;
	clear_state(vp);
	if (!rc && be->realize)
		rc = be->realize(&vp->dev);
	if (!rc)
		rc = virtio_dev_spawn(&vp->dev);	/* now, at start-up: see virtio.h */
	if (!rc)
		rc = init_function(vp);
	if (!rc)
		rc = init_vectors(vp);
	if (!rc)
		rc = pci_host_plug(h, &vp->pf, &devfn);
	if (rc)
		return rc;
	vp->devid = ecam_requester_id(devfn);
	snprintf(id, sizeof(id), "%s@%02x", kind, PCI_SLOT(devfn));
	return device_add(vm, &virtio_pci_ops, vp, id);
}
