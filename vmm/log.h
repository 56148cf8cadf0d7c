/* Diagnostics. Everything below main() returns -errno; only start-up code
 * calls die(). Messages go to stderr prefixed with "itsy: ". */
#ifndef ITSY_LOG_H
#define ITSY_LOG_H

#include <stdnoreturn.h>

void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run before exit() or die() leave, e.g. to restore the terminal. */
void log_set_exit_hook(void (*hook)(void));

#endif
