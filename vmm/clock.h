/* Monotonic time for measurements and deadlines. */
#ifndef ITSY_CLOCK_H
#define ITSY_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t clock_ns(void);

#endif
