#include "vmm/console.h"
#include "vmm/clock.h"
#include "vmm/sandbox.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CTRL_A		0x01
#define PANIC_BANNER	"Kernel panic - not syncing"
#define CLOSE_WAIT_S	2	/* how long close waits for a stopped terminal */
#define WRITE_CHUNK	16384	/* a blocking write frees ring room this often */

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
	/* Output: ring[head .. head + len) (mod the size) waits for the
	 * writer thread; all under out_lock. */
	pthread_mutex_t out_lock;
	pthread_cond_t out_cond;	/* bytes queued, or bytes written */
	uint8_t *ring;
	size_t head, len;
	int stop;			/* close: the writer ends once drained */
	int room_wanted;		/* console_has_room() said no */
	int room_fd;
	uint64_t dropped;
	pthread_t writer;
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

/* Write one contiguous run of the ring, outside the lock: producers only
 * add bytes after head + len, so the run stays as it is. */
static size_t write_run(struct console *c, size_t head, size_t n)
{
	ssize_t w;

	do
		w = write(c->out_fd, c->ring + head, n);
	while (w < 0 && errno == EINTR);
	return w < 0 ? n : (size_t)w;	/* a closed output drops what it cannot take */
}

static void *writer_thread(void *arg)
{
	struct console *c = arg;
	uint64_t one = 1;
	size_t n;

	/* Why: made before the main thread blocks the signals it reads from
	 * its signalfd (vm_run), so one sent to itsy could land here. */
	sandbox_block_signals();
	sandbox_enter(SANDBOX_DEVICE);
	pthread_mutex_lock(&c->out_lock);
	for (;;) {
		while (!c->len && !c->stop)
			pthread_cond_wait(&c->out_cond, &c->out_lock);
		if (!c->len)
			break;
		n = c->len < CONSOLE_OUT_RING - c->head ? c->len : CONSOLE_OUT_RING - c->head;
		n = n < WRITE_CHUNK ? n : WRITE_CHUNK;
		pthread_mutex_unlock(&c->out_lock);
		n = write_run(c, c->head, n);
		pthread_mutex_lock(&c->out_lock);
		c->head = (c->head + n) % CONSOLE_OUT_RING;
		c->len -= n;
		if (c->room_wanted) {
			c->room_wanted = 0;
			(void)!write(c->room_fd, &one, sizeof(one));
		}
		pthread_cond_broadcast(&c->out_cond);
	}
	pthread_mutex_unlock(&c->out_lock);
	return NULL;
}

static void console_free(struct console *c)
{
	if (c->kick_fd >= 0)
		close(c->kick_fd);
	if (c->room_fd >= 0)
		close(c->room_fd);
	free(c->ring);
	free(c);
}

struct console *console_open(int in_fd, int out_fd)
{
	struct console *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c->room_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c->ring = malloc(CONSOLE_OUT_RING);
	c->panic.pat = PANIC_BANNER;
	c->mark.pat = getenv("ITSY_STATS_MARK");
	pthread_mutex_init(&c->out_lock, NULL);
	pthread_cond_init(&c->out_cond, NULL);
	if (c->kick_fd < 0 || c->room_fd < 0 || !c->ring ||
	    pthread_create(&c->writer, NULL, writer_thread, c)) {
		console_free(c);
		return NULL;
	}
	return c;
}

void console_start(struct console *c)
{
	set_raw(c);
}

/* Let the writer finish what is queued; 0 once it has ended. */
static int drain_and_stop(struct console *c)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CLOSE_WAIT_S;
	pthread_mutex_lock(&c->out_lock);
	c->stop = 1;
	pthread_cond_broadcast(&c->out_cond);
	while (c->len && !rc)
		rc = pthread_cond_timedwait(&c->out_cond, &c->out_lock, &until);
	pthread_mutex_unlock(&c->out_lock);
	return rc;
}

int console_drain(struct console *c, unsigned ms)
{
	struct timespec until;
	int rc = 0;

	if (!c)
		return 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	until.tv_sec += ms / 1000 + until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	pthread_mutex_lock(&c->out_lock);
	while (c->len && !rc)
		rc = pthread_cond_timedwait(&c->out_cond, &c->out_lock, &until);
	pthread_mutex_unlock(&c->out_lock);
	return rc ? -ETIMEDOUT : 0;
}

void console_close(struct console *c)
{
	if (!c)
		return;
	/* A writer stuck on a stopped terminal stays behind; the process is
	 * ending anyway. */
	if (!drain_and_stop(c))
		pthread_join(c->writer, NULL);
	if (c->is_tty)
		tcsetattr(c->in_fd, TCSANOW, &c->saved);
}

void console_set_sink(struct console *c, console_sink sink, void *ctx)
{
	c->sink = sink;
	c->sink_ctx = ctx;
}

static void match_all(struct console *c, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		match_byte(&c->panic, buf[i]);
		match_byte(&c->mark, buf[i]);
	}
}

size_t console_write(struct console *c, const uint8_t *buf, size_t len)
{
	size_t n, tail, first;

	pthread_mutex_lock(&c->out_lock);
	n = len < CONSOLE_OUT_RING - c->len ? len : CONSOLE_OUT_RING - c->len;
	tail = (c->head + c->len) % CONSOLE_OUT_RING;
	first = n < CONSOLE_OUT_RING - tail ? n : CONSOLE_OUT_RING - tail;
	memcpy(c->ring + tail, buf, first);
	memcpy(c->ring, buf + first, n - first);
	c->len += n;
	match_all(c, buf, n);
	if (n)
		pthread_cond_broadcast(&c->out_cond);
	pthread_mutex_unlock(&c->out_lock);
	return n;
}

void console_out(struct console *c, uint8_t byte)
{
	if (console_write(c, &byte, 1))
		return;
	pthread_mutex_lock(&c->out_lock);
	c->dropped++;
	match_all(c, &byte, 1);	/* a panic is still a panic */
	pthread_mutex_unlock(&c->out_lock);
}

int console_has_room(struct console *c, size_t want)
{
	int ok;

	pthread_mutex_lock(&c->out_lock);
	ok = CONSOLE_OUT_RING - c->len >= want;
	c->room_wanted |= !ok;
	pthread_mutex_unlock(&c->out_lock);
	return ok;
}

int console_room_fd(const struct console *c)
{
	return c->room_fd;
}

uint64_t console_dropped(struct console *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->out_lock);
	n = c->dropped;
	pthread_mutex_unlock(&c->out_lock);
	return n;
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
