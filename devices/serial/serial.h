/* The board's console UART: an ns16550 model on the MMIO bus, wired to an
 * interrupt line and to the VM's console. */
#ifndef ITSY_SERIAL_H
#define ITSY_SERIAL_H

#include <stdint.h>

struct vm;

/* @irq is the arch-encoded KVM_IRQ_LINE number of its level interrupt. */
int serial_attach(struct vm *vm, uint64_t base, uint64_t size, uint32_t irq);

#endif
