#include "vmm/console.h"
#include "vmm/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#define CTRL_A		0x01
#define PANIC_BANNER	"Kernel panic - not syncing"

/* Streaming match of one fixed string in the output. */
struct matcher {
	const char *pat;
	size_t pos;
	uint64_t seen_ns;
};

struct console {
	int in_fd, out_fd, kick_fd;
	int is_tty, eof, esc;
	struct termios saved;
	console_sink sink;
	void *sink_ctx;
	uint8_t pend[256];
	size_t pend_off, pend_len;
	struct matcher panic, mark;
};

static void match_byte(struct matcher *m, uint8_t b)
{
	if (!m->pat || m->seen_ns)
		return;
	if ((uint8_t)m->pat[m->pos] != b)
		m->pos = 0;
	if ((uint8_t)m->pat[m->pos] == b && !m->pat[++m->pos])
		m->seen_ns = clock_ns();
}

static void set_raw(struct console *c)
{
	struct termios t;

	if (!isatty(c->in_fd) || tcgetattr(c->in_fd, &c->saved))
		return;
	c->is_tty = 1;
	t = c->saved;
	cfmakeraw(&t);
	tcsetattr(c->in_fd, TCSANOW, &t);
}

struct console *console_open(int in_fd, int out_fd)
{
	struct console *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c->panic.pat = PANIC_BANNER;
	c->mark.pat = getenv("ITSY_STATS_MARK");
	return c;
}

void console_start(struct console *c)
{
	set_raw(c);
}

void console_close(struct console *c)
{
	if (c && c->is_tty)
		tcsetattr(c->in_fd, TCSANOW, &c->saved);
}

void console_set_sink(struct console *c, console_sink sink, void *ctx)
{
	c->sink = sink;
	c->sink_ctx = ctx;
}

void console_out(struct console *c, uint8_t byte)
{
	while (write(c->out_fd, &byte, 1) < 0 && errno == EINTR)
		;
	match_byte(&c->panic, byte);
	match_byte(&c->mark, byte);
}

void console_kick(struct console *c)
{
	uint64_t one = 1;

	(void)!write(c->kick_fd, &one, sizeof(one));
}

int console_pollfds(struct console *c, struct pollfd *fds)
{
	int n = 0;

	fds[n++] = (struct pollfd){ .fd = c->kick_fd, .events = POLLIN };
	if (!c->eof && c->pend_off == c->pend_len)
		fds[n++] = (struct pollfd){ .fd = c->in_fd, .events = POLLIN };
	return n;
}

static void flush_pending(struct console *c)
{
	if (c->pend_off < c->pend_len && c->sink)
		c->pend_off += c->sink(c->sink_ctx, c->pend + c->pend_off,
				       c->pend_len - c->pend_off);
	if (c->pend_off == c->pend_len)
		c->pend_off = c->pend_len = 0;
}

/* Strip the Ctrl-A escapes from @n fresh bytes at pend_len; 1 on quit. */
static int filter_escapes(struct console *c, size_t n)
{
	uint8_t *p = c->pend + c->pend_len, *out = p;

	for (size_t i = 0; i < n; i++) {
		if (c->esc) {
			c->esc = 0;
			if (p[i] == 'x' || p[i] == 'X')
				return 1;
			if (p[i] == CTRL_A)
				*out++ = CTRL_A;
		} else if (p[i] == CTRL_A) {
			c->esc = 1;
		} else {
			*out++ = p[i];
		}
	}
	c->pend_len += out - (c->pend + c->pend_len);
	return 0;
}

static int read_input(struct console *c)
{
	ssize_t n = read(c->in_fd, c->pend + c->pend_len, sizeof(c->pend) - c->pend_len);

	if (n < 0)
		return 0;	/* EAGAIN/EINTR: poll again */
	if (n == 0) {
		c->eof = 1;	/* a finished pipe or file: the guest keeps running */
		return 0;
	}
	if (c->is_tty)
		return filter_escapes(c, n);
	c->pend_len += n;
	return 0;
}

int console_service(struct console *c, const struct pollfd *fds, int n)
{
	uint64_t v;
	int quit = 0;

	for (int i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		if (fds[i].fd == c->kick_fd)
			(void)!read(c->kick_fd, &v, sizeof(v));
		else
			quit |= read_input(c);
	}
	flush_pending(c);
	return quit;
}

uint64_t console_panic_ns(const struct console *c)
{
	return c->panic.seen_ns;
}

uint64_t console_mark_ns(const struct console *c)
{
	return c->mark.seen_ns;
}
