#include "vmm/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static __thread char last[512];

static void vlog(const char *fmt, va_list ap)
{
	va_list again;

	va_copy(again, ap);
	vsnprintf(last, sizeof(last), fmt, again);
	va_end(again);
	/* The terminal may be in raw mode: end lines with CR LF. */
	fputs("itsy: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\r\n", stderr);
}

const char *log_last(void)
{
	return last;
}

void log_last_clear(void)
{
	last[0] = 0;
}

void log_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

noreturn void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	exit(1);
}

int log_err(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return rc;
}
