#include "devices/pci/msix.h"

#include <errno.h>
#include <string.h>

#define REG(x)		((x) / 4)	/* entry byte offset to word index */
#define ENTRY_WORDS	(PCI_MSIX_ENTRY_SIZE / 4)

/* Guest-writable bits of each entry word; the rest read 0. */
static const uint32_t entry_wmask[ENTRY_WORDS] = {
	[REG(PCI_MSIX_ENTRY_LOWER_ADDR)]  = 0xfffffffcu,
	[REG(PCI_MSIX_ENTRY_UPPER_ADDR)]  = 0xffffffffu,
	[REG(PCI_MSIX_ENTRY_DATA)]        = 0xffffffffu,
	[REG(PCI_MSIX_ENTRY_VECTOR_CTRL)] = PCI_MSIX_ENTRY_CTRL_MASKBIT,
};

static int overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int layout_ok(const struct pci_function *f, unsigned nvec, unsigned bar,
		     uint32_t table_off, uint32_t pba_off)
{
	uint64_t size = pci_bar_size(f, bar);
	uint64_t tlen = MSIX_TABLE_BYTES(nvec), plen = MSIX_PBA_BYTES(nvec);

	if (!nvec || nvec > MSIX_MAX_VECTORS || ((table_off | pba_off) & 7))
		return 0;
	if (table_off + tlen > size || pba_off + plen > size)
		return 0;
	return !overlap(table_off, tlen, pba_off, plen);
}

static int vec_masked(const struct msix *m, unsigned vec)
{
	return m->table[vec][REG(PCI_MSIX_ENTRY_VECTOR_CTRL)] &
	       PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

static int deliverable(const struct msix *m, unsigned vec)
{
	return m->enabled && !m->fmasked && !vec_masked(m, vec);
}

static void pending_set(struct msix *m, unsigned vec, int on)
{
	uint64_t bit = 1ull << (vec % 64);

	if (on)
		m->pba[vec / 64] |= bit;
	else
		m->pba[vec / 64] &= ~bit;
}

int msix_pending(const struct msix *m, unsigned vec)
{
	return vec < m->nvec && (m->pba[vec / 64] >> (vec % 64)) & 1;
}

/* Vector @vec's route changed: tell the owner, then flush its pending bit
 * if it can be delivered now. */
static void vector_changed(struct msix *m, unsigned vec)
{
	if (m->on_vector_change)
		m->on_vector_change(m, vec, m->ctx);
	if (!deliverable(m, vec) || !msix_pending(m, vec))
		return;
	pending_set(m, vec, 0);
	if (m->on_pending_fire)
		m->on_pending_fire(m, vec, m->ctx);
}

/* Hook on Message Control: the guest wrote Enable or Function Mask. */
static void ctrl_written(struct pci_function *f, unsigned off, unsigned len,
			 void *ctx)
{
	struct msix *m = ctx;
	uint32_t ctl = pci_cfg_get(f, m->cap + PCI_MSIX_FLAGS, 2);
	int enabled = !!(ctl & PCI_MSIX_FLAGS_ENABLE);
	int fmasked = !!(ctl & PCI_MSIX_FLAGS_MASKALL);

	(void)off;
	(void)len;
	if (enabled == m->enabled && fmasked == m->fmasked)
		return;
	m->enabled = enabled;
	m->fmasked = fmasked;
	for (unsigned v = 0; v < m->nvec; v++)
		vector_changed(m, v);
}

void msix_sync(struct msix *m)
{
	uint32_t ctl = pci_cfg_get(m->f, m->cap + PCI_MSIX_FLAGS, 2);

	m->enabled = !!(ctl & PCI_MSIX_FLAGS_ENABLE);
	m->fmasked = !!(ctl & PCI_MSIX_FLAGS_MASKALL);
	for (unsigned v = 0; v < m->nvec; v++)
		if (m->on_vector_change)
			m->on_vector_change(m, v, m->ctx);
}

static void cap_fill(struct msix *m)
{
	struct pci_function *f = m->f;

	pci_cfg_set(f, m->cap + PCI_MSIX_FLAGS, 2, m->nvec - 1);
	pci_cfg_set(f, m->cap + PCI_MSIX_TABLE, 4, m->table_off | m->bar);
	pci_cfg_set(f, m->cap + PCI_MSIX_PBA, 4, m->pba_off | m->bar);
	pci_cfg_wmask(f, m->cap + PCI_MSIX_FLAGS, 2,
		      PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
}

int msix_init(struct msix *m, struct pci_function *f, unsigned nvec,
	      unsigned bar, uint32_t table_off, uint32_t pba_off)
{
	int cap;

	memset(m, 0, sizeof(*m));
	if (!layout_ok(f, nvec, bar, table_off, pba_off))
		return -EINVAL;
	if (f->nhooks == PCI_MAX_HOOKS)
		return -ENOSPC;	/* checked first: no capability without its hook */
	cap = pci_add_cap(f, PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF);
	if (cap < 0)
		return cap;
	*m = (struct msix){ .f = f, .cap = cap, .nvec = nvec, .bar = bar,
			    .table_off = table_off, .pba_off = pba_off };
	cap_fill(m);
	for (unsigned v = 0; v < nvec; v++)
		m->table[v][REG(PCI_MSIX_ENTRY_VECTOR_CTRL)] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	return pci_hook_cfg(f, cap + PCI_MSIX_FLAGS, 2, NULL, ctrl_written, m);
}

static int access_ok(uint64_t off, unsigned len, uint64_t size)
{
	return (len == 4 || len == 8) && off % len == 0 && off < size;
}

uint64_t msix_table_read(const struct msix *m, uint64_t off, unsigned len)
{
	const uint32_t *e;
	unsigned reg;

	if (!access_ok(off, len, MSIX_TABLE_BYTES(m->nvec)))
		return 0;
	e = m->table[off / PCI_MSIX_ENTRY_SIZE];
	reg = REG(off % PCI_MSIX_ENTRY_SIZE);
	if (len == 4)
		return e[reg];
	return e[reg] | (uint64_t)e[reg + 1] << 32;
}

static void entry_put(uint32_t *e, unsigned reg, uint32_t val)
{
	e[reg] = val & entry_wmask[reg];
}

void msix_table_write(struct msix *m, uint64_t off, unsigned len, uint64_t val)
{
	uint32_t old[ENTRY_WORDS], *e;
	unsigned vec, reg;

	if (!access_ok(off, len, MSIX_TABLE_BYTES(m->nvec)))
		return;
	vec = off / PCI_MSIX_ENTRY_SIZE;
	reg = REG(off % PCI_MSIX_ENTRY_SIZE);
	e = m->table[vec];
	memcpy(old, e, sizeof(old));
	entry_put(e, reg, val);
	if (len == 8)
		entry_put(e, reg + 1, val >> 32);
	if (memcmp(old, e, sizeof(old)))
		vector_changed(m, vec);
}

uint64_t msix_pba_read(const struct msix *m, uint64_t off, unsigned len)
{
	uint64_t word;

	if (!access_ok(off, len, MSIX_PBA_BYTES(m->nvec)))
		return 0;
	word = m->pba[off / 8];
	return len == 8 ? word : (uint32_t)(word >> (8 * (off % 8)));
}

int msix_notify(struct msix *m, unsigned vec)
{
	if (vec >= m->nvec)
		return -EINVAL;
	if (!m->enabled)
		return 0;
	if (deliverable(m, vec))
		return 1;
	pending_set(m, vec, 1);
	return 0;
}

int msix_entry(const struct msix *m, unsigned vec, uint64_t *addr,
	       uint32_t *data, int *masked)
{
	const uint32_t *e;

	if (vec >= m->nvec)
		return -EINVAL;
	e = m->table[vec];
	if (addr)
		*addr = e[REG(PCI_MSIX_ENTRY_LOWER_ADDR)] |
			(uint64_t)e[REG(PCI_MSIX_ENTRY_UPPER_ADDR)] << 32;
	if (data)
		*data = e[REG(PCI_MSIX_ENTRY_DATA)];
	if (masked)
		*masked = !deliverable(m, vec);
	return 0;
}
