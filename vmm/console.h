/* The user's side of the guest console: the terminal (raw mode while the
 * VM runs) or whatever stdin/stdout are (pipes and files work the same).
 *
 * Input flows stdin -> pending buffer -> the guest UART's sink, which may
 * take fewer bytes than offered; the rest waits until console_kick() says
 * the guest has room. On a terminal, Ctrl-A x quits and Ctrl-A Ctrl-A sends
 * a literal Ctrl-A. Output is written as the guest sends it, and watched
 * for a kernel panic banner and an optional marker string (ITSY_STATS_MARK). */
#ifndef ITSY_CONSOLE_H
#define ITSY_CONSOLE_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

struct console;

/* Takes up to @len bytes of input; returns how many it took. */
typedef size_t (*console_sink)(void *ctx, const uint8_t *buf, size_t len);

struct console *console_open(int in_fd, int out_fd);
void console_start(struct console *c);	/* raw mode, if a terminal */
void console_close(struct console *c);	/* restores the terminal */
void console_set_sink(struct console *c, console_sink sink, void *ctx);

/* Guest output, one byte; called from vCPU threads. */
void console_out(struct console *c, uint8_t byte);
/* The guest can take more input (any thread). */
void console_kick(struct console *c);

/* Main loop plumbing: fill up to 2 pollfds, then handle their events.
 * console_service() returns 1 when the user asked to quit. */
int console_pollfds(struct console *c, struct pollfd *fds);
int console_service(struct console *c, const struct pollfd *fds, int n);

/* Nanosecond timestamps (vm_now_ns clock) of the first kernel panic banner
 * and of the marker, or 0 if not seen yet. */
uint64_t console_panic_ns(const struct console *c);
uint64_t console_mark_ns(const struct console *c);

#endif
