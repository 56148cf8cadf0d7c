#include "devices/serial/ns16550.h"

#include <errno.h>
#include <string.h>

#include "vmm/regset.h"

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define IER_RDI		0x01	/* receive data available */
#define IER_THRI	0x02	/* transmit holding register empty */
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_FIFO	0xc0
#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define LCR_DLAB	0x80
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define MCR_LOOP	0x10
#define MSR_IDLE	0xb0	/* DCD, DSR, CTS: a cable with the far end ready */

void ns16550_init(struct ns16550 *u, const struct ns16550_ops *ops, void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->ops = ops;
	u->ctx = ctx;
}

/* Highest-priority pending interrupt, as IIR reports it. */
static uint8_t pending(const struct ns16550 *u)
{
	if ((u->ier & IER_RDI) && u->rx_count)
		return IIR_RDI;
	if ((u->ier & IER_THRI) && u->thri_pending)
		return IIR_THRI;
	return IIR_NO_INT;
}

static void update_irq(struct ns16550 *u)
{
	int level = pending(u) != IIR_NO_INT;

	if (level != u->irq_level) {
		u->irq_level = level;
		u->ops->irq(u->ctx, level);
	}
}

static uint8_t rx_pop(struct ns16550 *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % NS16550_FIFO;
	u->rx_count--;
	u->ops->rx_room(u->ctx);
	return c;
}

static uint8_t read_iir(struct ns16550 *u)
{
	uint8_t iir = pending(u);

	/* Reading IIR while it reports THR-empty acknowledges that interrupt. */
	if (iir == IIR_THRI)
		u->thri_pending = 0;
	return iir | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
}

static uint8_t read_msr(const struct ns16550 *u)
{
	uint8_t m = u->mcr;

	if (!(u->mcr & MCR_LOOP))
		return MSR_IDLE;
	/* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
	return (m & 1) << 5 | (m & 2) << 3 | (m & 4) << 4 | (m & 8) << 4;
}

static int polling(const struct ns16550 *u)
{
	return u->lsr_polls >= NS16550_POLLS;
}

/* A guest that keeps reading LSR without sending waits for input: once it
 * has, the owner may push some. */
static uint8_t read_lsr(struct ns16550 *u)
{
	if (u->lsr_polls < NS16550_POLLS && ++u->lsr_polls == NS16550_POLLS)
		u->ops->rx_room(u->ctx);
	return LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0);
}

static uint8_t read_reg(struct ns16550 *u, unsigned off)
{
	int dlab = u->lcr & LCR_DLAB;

	switch (off) {
	case RBR_THR: return dlab ? u->dll : rx_pop(u);
	case IER:     return dlab ? u->dlm : u->ier;
	case IIR_FCR: return read_iir(u);
	case LCR:     return u->lcr;
	case MCR:     return u->mcr;
	case LSR:     return read_lsr(u);
	case MSR:     return read_msr(u);
	case SCR:     return u->scr;
	}
	return 0xff;
}

uint8_t ns16550_read(struct ns16550 *u, unsigned off)
{
	uint8_t v = read_reg(u, off);

	update_irq(u);
	return v;
}

/* Append to the RX FIFO; returns 0 when it is full. */
static int rx_put(struct ns16550 *u, uint8_t c)
{
	if (u->rx_count == NS16550_FIFO)
		return 0;
	u->rx[(u->rx_head + u->rx_count) % NS16550_FIFO] = c;
	u->rx_count++;
	return 1;
}

static void write_thr(struct ns16550 *u, uint8_t val)
{
	if (u->mcr & MCR_LOOP)
		rx_put(u, val);		/* loopback: the byte comes back in */
	else
		u->ops->tx(u->ctx, val);
	/* The byte is gone at once, so the holding register is empty again. */
	u->thri_pending = 1;
	u->lsr_polls = 0;
}

static void write_ier(struct ns16550 *u, uint8_t val)
{
	uint8_t old = u->ier;

	u->ier = val & 0x0f;
	if ((u->ier & IER_THRI) && !(old & IER_THRI))
		u->thri_pending = 1;	/* enabling THRI on an empty THR raises it */
	if ((u->ier & IER_RDI) && !(old & IER_RDI))
		u->ops->rx_room(u->ctx);
}

static void write_fcr(struct ns16550 *u, uint8_t val)
{
	u->fcr = val & FCR_ENABLE;
	if (val & FCR_CLEAR_RX) {
		u->rx_count = 0;
		u->ops->rx_room(u->ctx);
	}
}

static void write_reg(struct ns16550 *u, unsigned off, uint8_t val)
{
	int dlab = u->lcr & LCR_DLAB;

	switch (off) {
	case RBR_THR: if (dlab) u->dll = val; else write_thr(u, val); break;
	case IER:     if (dlab) u->dlm = val; else write_ier(u, val); break;
	case IIR_FCR: write_fcr(u, val); break;
	case LCR:     u->lcr = val; break;
	case MCR:     u->mcr = val & 0x1f; break;
	case SCR:     u->scr = val; break;
	}
}

void ns16550_write(struct ns16550 *u, unsigned off, uint8_t val)
{
	write_reg(u, off, val);
	update_irq(u);
}

size_t ns16550_rx_push(struct ns16550 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	/* In loopback the serial input is disconnected, as on the real chip. */
	if (!((u->ier & IER_RDI) || polling(u)) || (u->mcr & MCR_LOOP))
		return 0;
	while (n < len && rx_put(u, buf[n]))
		n++;
	update_irq(u);
	return n;
}

int ns16550_save(const struct ns16550 *u, struct regset *s)
{
	const uint8_t regs[] = { u->ier, u->lcr, u->mcr, u->fcr, u->scr, u->dll, u->dlm };
	uint8_t rx[NS16550_FIFO];
	int rc = 0;

	for (unsigned i = 0; !rc && i < sizeof(regs); i++)
		rc = regset_put_uint(s, NS16550_KEY_IER + i, regs[i], 1);
	for (unsigned i = 0; i < u->rx_count; i++)
		rx[i] = u->rx[(u->rx_head + i) % NS16550_FIFO];
	if (!rc)
		rc = regset_put_uint(s, NS16550_KEY_THRI, u->thri_pending, 1);
	return rc ? rc : regset_put(s, NS16550_KEY_RX, rx, u->rx_count);
}

int ns16550_load(struct ns16550 *u, const struct regset *s)
{
	uint8_t *regs[] = { &u->ier, &u->lcr, &u->mcr, &u->fcr, &u->scr, &u->dll, &u->dlm };
	uint64_t v;
	uint32_t n = 0;
	const uint8_t *rx = regset_get(s, NS16550_KEY_RX, &n);

	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		if (regset_get_uint(s, NS16550_KEY_IER + i, &v))
			return -EINVAL;
		*regs[i] = (uint8_t)v;
	}
	if (regset_get_uint(s, NS16550_KEY_THRI, &v) || !rx || n > NS16550_FIFO)
		return -EINVAL;
	u->thri_pending = !!v;
	memcpy(u->rx, rx, n);
	u->rx_head = 0;
	u->rx_count = n;
	u->irq_level = 0;
	update_irq(u);
	return 0;
}
