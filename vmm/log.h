/* Diagnostics. Everything below main() returns -errno; only start-up code
 * calls die(), before the terminal is put in raw mode (vm_run). Messages
 * go to stderr prefixed with "itsy: ". */
#ifndef ITSY_LOG_H
#define ITSY_LOG_H

#include <stddef.h>
#include <stdnoreturn.h>

void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last message log_msg() wrote in this thread since log_last_clear()
 * ("" if none): what start-up code logged before it failed, for a caller
 * that must tell a peer why (a migration's destination). */
const char *log_last(void);
void log_last_clear(void);
/* The sentence into @err (@len bytes, cut to fit), and @rc back: how code
 * below main tells its caller what went wrong, for the caller to report. */
int log_err(char *err, size_t len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
