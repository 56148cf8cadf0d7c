/* ns16550a UART register model. Portable and unit-tested: it knows nothing
 * of KVM or terminals. The owner serialises all calls (one lock per UART)
 * and supplies three callbacks, each called with that lock held:
 *   irq(ctx, level)  the interrupt line changed level;
 *   tx(ctx, byte)    the guest transmitted a byte (it leaves at once);
 *   rx_room(ctx)     the guest may take input now (it read a byte or enabled
 *                    the receive interrupt), so the owner can push more.
 * Input is accepted while the guest has the receive interrupt enabled, or
 * while it polls: it read LSR NS16550_POLLS times without transmitting in
 * between (a boot loader or a test waiting for a key; a console printing
 * reads LSR once per byte it sends). Until then bytes typed early wait with
 * the owner, so they are not lost to the FIFO reset of a driver's start. */
#ifndef ITSY_NS16550_H
#define ITSY_NS16550_H

#include <stddef.h>
#include <stdint.h>

#define NS16550_FIFO	64
#define NS16550_POLLS	32

struct ns16550_ops {
	void (*irq)(void *ctx, int level);
	void (*tx)(void *ctx, uint8_t byte);
	void (*rx_room)(void *ctx);
};

struct ns16550 {
	const struct ns16550_ops *ops;
	void *ctx;
	uint8_t ier, lcr, mcr, fcr, scr, dll, dlm;
	int thri_pending;	/* THR-empty interrupt raised and not yet taken */
	unsigned lsr_polls;	/* LSR reads since the last THR write */
	int irq_level;
	uint8_t rx[NS16550_FIFO];
	unsigned rx_head, rx_count;
};

void ns16550_init(struct ns16550 *u, const struct ns16550_ops *ops, void *ctx);

/* Register access at byte offset @off (0..7) of the register block. */
uint8_t ns16550_read(struct ns16550 *u, unsigned off);
void ns16550_write(struct ns16550 *u, unsigned off, uint8_t val);

/* Offer @len input bytes; returns how many were accepted (maybe 0). */
size_t ns16550_rx_push(struct ns16550 *u, const uint8_t *buf, size_t len);

struct regset;
#define NS16550_STATE_VERSION	1

/* Keys of the saved state. The numbers are in saved files: never change
 * one (test_state_keys.c). IER..DLM are consecutive (saved in order). */
enum ns16550_state_key {
	NS16550_KEY_IER = 1, NS16550_KEY_LCR = 2, NS16550_KEY_MCR = 3, NS16550_KEY_FCR = 4,
	NS16550_KEY_SCR = 5, NS16550_KEY_DLL = 6, NS16550_KEY_DLM = 7,
	NS16550_KEY_THRI = 8,	/* THR-empty interrupt pending, 1 byte */
	NS16550_KEY_RX = 9,	/* the receive FIFO, oldest byte first */
};

/* Registers and the receive FIFO as keyed fields; load then drives the
 * interrupt line to the level the state implies. */
int ns16550_save(const struct ns16550 *u, struct regset *s);
int ns16550_load(struct ns16550 *u, const struct regset *s);

#endif
