#include "devices/pci/pci.h"

#include <errno.h>
#include <string.h>

#define CAP_START	PCI_STD_HEADER_SIZEOF	/* 0x40 */
#define CMD_WRITABLE	(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)
#define STATUS_W1C	(PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | \
			 PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT | \
			 PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)
#define BAR_TYPE_FLAGS	(PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH)

static int in_cfg(unsigned off, unsigned len)
{
	return off < PCI_CFG_SPACE_SIZE && len <= PCI_CFG_SPACE_SIZE - off;
}

static int access_ok(unsigned off, unsigned len)
{
	return (len == 1 || len == 2 || len == 4) && in_cfg(off, len);
}

static uint32_t le_get(const uint8_t *p, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void le_put(uint8_t *p, unsigned len, uint32_t v)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = v >> (8 * i);
}

static unsigned bar_reg(unsigned index)
{
	return PCI_BASE_ADDRESS_0 + 4 * index;
}

void pci_init(struct pci_function *f, const struct pci_id *id)
{
	memset(f, 0, sizeof(*f));
	le_put(&f->cfg[PCI_VENDOR_ID], 2, id->vendor);
	le_put(&f->cfg[PCI_DEVICE_ID], 2, id->device);
	f->cfg[PCI_REVISION_ID] = id->revision;
	le_put(&f->cfg[PCI_CLASS_PROG], 3, id->class_code);
	f->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	le_put(&f->cfg[PCI_SUBSYSTEM_VENDOR_ID], 2, id->subsys_vendor);
	le_put(&f->cfg[PCI_SUBSYSTEM_ID], 2, id->subsys_id);
	le_put(&f->wmask[PCI_COMMAND], 2, CMD_WRITABLE);
	le_put(&f->w1cmask[PCI_STATUS], 2, STATUS_W1C);
	f->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	f->wmask[PCI_INTERRUPT_LINE] = 0xff;
	f->cap_free = CAP_START;
}

static int bar_args_ok(unsigned index, uint64_t size, uint32_t flags)
{
	int is64 = flags & PCI_BASE_ADDRESS_MEM_TYPE_64;

	if (flags & ~BAR_TYPE_FLAGS)
		return 0;
	if (index >= PCI_STD_NUM_BARS || (is64 && index + 1 >= PCI_STD_NUM_BARS))
		return 0;
	if (size < 4096 || (size & (size - 1)))
		return 0;
	return is64 || size <= 1ull << 31;
}

static int bar_slot_used(const struct pci_function *f, unsigned slot)
{
	/* The slot after a 64-bit BAR holds its upper half. */
	if (slot > 0 && f->bar[slot - 1].size &&
	    (f->bar[slot - 1].flags & PCI_BASE_ADDRESS_MEM_TYPE_64))
		return 1;
	return f->bar[slot].size != 0;
}

int pci_add_bar(struct pci_function *f, unsigned index, uint64_t size,
		uint32_t flags)
{
	int is64 = flags & PCI_BASE_ADDRESS_MEM_TYPE_64;
	uint64_t mask = ~(size - 1);

	if (!bar_args_ok(index, size, flags))
		return -EINVAL;
	if (bar_slot_used(f, index) || (is64 && bar_slot_used(f, index + 1)))
		return -EBUSY;
	f->bar[index] = (struct pci_bar){ .size = size, .flags = flags };
	le_put(&f->cfg[bar_reg(index)], 4, flags);
	le_put(&f->wmask[bar_reg(index)], 4, (uint32_t)mask & PCI_BASE_ADDRESS_MEM_MASK);
	if (is64)
		le_put(&f->wmask[bar_reg(index + 1)], 4, mask >> 32);
	return 0;
}

static uint64_t bar_programmed(const struct pci_function *f, unsigned index)
{
	uint64_t addr = pci_cfg_get(f, bar_reg(index), 4) & PCI_BASE_ADDRESS_MEM_MASK;

	if (f->bar[index].flags & PCI_BASE_ADDRESS_MEM_TYPE_64)
		addr |= (uint64_t)pci_cfg_get(f, bar_reg(index + 1), 4) << 32;
	return addr;
}

uint64_t pci_bar_addr(const struct pci_function *f, unsigned index)
{
	if (index >= PCI_STD_NUM_BARS || !f->bar[index].size)
		return 0;
	if (!(pci_cfg_get(f, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY))
		return 0;
	return bar_programmed(f, index);
}

uint64_t pci_bar_size(const struct pci_function *f, unsigned index)
{
	return index < PCI_STD_NUM_BARS ? f->bar[index].size : 0;
}

/* Report every BAR whose decoded address differs from the last one. */
static void bars_update(struct pci_function *f)
{
	for (unsigned i = 0; i < PCI_STD_NUM_BARS; i++) {
		uint64_t old = f->bar[i].mapped, now = pci_bar_addr(f, i);

		if (now == old)
			continue;
		f->bar[i].mapped = now;
		if (f->on_bar_change)
			f->on_bar_change(f, i, old, now, f->ctx);
	}
}

void pci_sync_bars(struct pci_function *f)
{
	bars_update(f);
}

int pci_add_cap(struct pci_function *f, uint8_t id, unsigned len)
{
	unsigned off = f->cap_free;

	if (len < 2 || (id == PCI_CAP_ID_VNDR && len < 3))
		return -EINVAL;
	if (!in_cfg(off, len))
		return -ENOSPC;
	f->cfg[off + PCI_CAP_LIST_ID] = id;
	if (id == PCI_CAP_ID_VNDR)
		f->cfg[off + PCI_CAP_FLAGS] = len;
	if (f->cap_last)
		f->cfg[f->cap_last + PCI_CAP_LIST_NEXT] = off;
	else
		f->cfg[PCI_CAPABILITY_LIST] = off;
	f->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	f->cap_last = off;
	f->cap_free = (off + len + 3) & ~3u;
	return off;
}

int pci_find_cap(const struct pci_function *f, uint8_t id, unsigned after)
{
	unsigned off;

	if (after >= PCI_CFG_SPACE_SIZE - 1)
		return -ENOENT;
	off = f->cfg[after ? after + PCI_CAP_LIST_NEXT : PCI_CAPABILITY_LIST];
	/* Offsets only grow along the list, so the walk ends. */
	while (off >= CAP_START && off < PCI_CFG_SPACE_SIZE - 1) {
		unsigned next = f->cfg[off + PCI_CAP_LIST_NEXT];

		if (f->cfg[off + PCI_CAP_LIST_ID] == id)
			return off;
		if (next <= off)
			break;
		off = next;
	}
	return -ENOENT;
}

uint8_t *pci_cfg_ptr(struct pci_function *f, unsigned off, unsigned len)
{
	return in_cfg(off, len) ? &f->cfg[off] : NULL;
}

uint32_t pci_cfg_get(const struct pci_function *f, unsigned off, unsigned len)
{
	return access_ok(off, len) ? le_get(&f->cfg[off], len) : 0xffffffffu;
}

int pci_cfg_set(struct pci_function *f, unsigned off, unsigned len, uint32_t val)
{
	if (!access_ok(off, len))
		return -EINVAL;
	le_put(&f->cfg[off], len, val);
	return 0;
}

int pci_cfg_wmask(struct pci_function *f, unsigned off, unsigned len,
		  uint32_t mask)
{
	if (!access_ok(off, len))
		return -EINVAL;
	le_put(&f->wmask[off], len, mask);
	return 0;
}

int pci_hook_cfg(struct pci_function *f, unsigned off, unsigned len,
		 pci_cfg_fn on_read, pci_cfg_fn on_write, void *ctx)
{
	if (!len || !in_cfg(off, len))
		return -EINVAL;
	if (f->nhooks == PCI_MAX_HOOKS)
		return -ENOSPC;
	f->hook[f->nhooks++] = (struct pci_hook){ off, len, on_read, on_write, ctx };
	return 0;
}

static void hooks_run(struct pci_function *f, unsigned off, unsigned len,
		      int is_write)
{
	for (unsigned i = 0; i < f->nhooks; i++) {
		const struct pci_hook *h = &f->hook[i];
		pci_cfg_fn fn = is_write ? h->on_write : h->on_read;

		if (fn && off < h->off + h->len && h->off < off + len)
			fn(f, off, len, h->ctx);
	}
}

uint32_t pci_cfg_read(struct pci_function *f, unsigned off, unsigned len)
{
	if (!access_ok(off, len))
		return pci_ones(len);
	hooks_run(f, off, len, 0);
	return le_get(&f->cfg[off], len);
}

static void byte_write(struct pci_function *f, unsigned off, uint8_t val)
{
	uint8_t w = f->wmask[off], c = f->w1cmask[off];

	f->cfg[off] = ((f->cfg[off] & ~w) | (val & w)) & ~(val & c);
}

int pci_cfg_write(struct pci_function *f, unsigned off, unsigned len, uint32_t val)
{
	if (!access_ok(off, len))
		return -EINVAL;
	for (unsigned i = 0; i < len; i++)
		byte_write(f, off + i, val >> (8 * i));
	bars_update(f);
	hooks_run(f, off, len, 1);
	return 0;
}
