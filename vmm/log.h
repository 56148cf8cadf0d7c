/* Diagnostics. Everything below main() returns -errno; only start-up code
 * calls die(), before the terminal is put in raw mode (vm_run). Messages
 * go to stderr prefixed with "itsy: ". */
#ifndef ITSY_LOG_H
#define ITSY_LOG_H

#include <stdnoreturn.h>

void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
