/* The board's wall clock: a PL031 model on the MMIO bus, whose alarm
 * drives the wired interrupt @irq (a KVM_IRQ_LINE number). */
#ifndef ITSY_RTC_H
#define ITSY_RTC_H

#include <stdint.h>

struct vm;

int rtc_attach(struct vm *vm, uint64_t base, uint64_t size, uint32_t irq);

#endif
