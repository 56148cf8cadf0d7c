/* The user's side of the guest console: the terminal (raw mode while the
 * VM runs) or whatever stdin/stdout are (pipes and files work the same).
 *
 * Input flows stdin -> pending buffer -> the guest UART's sink, which may
 * take fewer bytes than offered; the rest waits until console_kick() says
 * the guest has room. On a terminal, Ctrl-A x quits and Ctrl-A Ctrl-A sends
 * a literal Ctrl-A.
 *
 * Output goes into a ring of CONSOLE_OUT_RING bytes that a thread of the
 * console's own writes out, so a slow or stopped terminal (or a pipe nobody
 * reads) never blocks a vCPU or a device thread, nor a pause waiting for
 * them. A writer that finds the ring full gets a short count (the UART then
 * drops the byte; virtio-console waits for console_room_fd()). Output is
 * watched for a kernel panic banner and an optional marker string
 * (ITSY_STATS_MARK) as it is queued. Any thread may queue output. */
#ifndef ITSY_CONSOLE_H
#define ITSY_CONSOLE_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_OUT_RING	(1u << 20)

struct console;

/* Takes up to @len bytes of input; returns how many it took. */
typedef size_t (*console_sink)(void *ctx, const uint8_t *buf, size_t len);

/* NULL when out of memory or threads. */
struct console *console_open(int in_fd, int out_fd);
void console_start(struct console *c);	/* raw mode, if a terminal */
/* Writes out what is queued (waiting at most a second or two for a
 * stopped terminal), then restores the terminal. */
void console_close(struct console *c);

/* Wait up to @ms for the output queued so far to be written out: 0, or
 * -ETIMEDOUT (a stopped terminal). @c may be NULL. */
int console_drain(struct console *c, unsigned ms);
void console_set_sink(struct console *c, console_sink sink, void *ctx);

/* Guest output: queue up to @len bytes; returns how many were taken (less
 * when the ring is full). */
size_t console_write(struct console *c, const uint8_t *buf, size_t len);
/* One byte of guest output, dropped (and counted) if the ring is full. */
void console_out(struct console *c, uint8_t byte);
/* 1 if at least @want bytes of output fit now; else 0, and
 * console_room_fd() becomes readable once the ring has room again. */
int console_has_room(struct console *c, size_t want);
/* An eventfd (read it to clear it) for console_has_room(). */
int console_room_fd(const struct console *c);
/* Bytes of output dropped so far because the ring was full. */
uint64_t console_dropped(struct console *c);
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
