/* Both ends of the virtio-vsock integration test: one static aarch64
 * program, in the emulated host and in the guest alike.
 *
 *   vsock-echo listen PORT
 *	Accept one connection on PORT (any CID), send everything it reads
 *	back until end-of-file, then exit. Prints "vsock-echo: listening on
 *	port PORT" once connections can come.
 *   vsock-echo connect CID PORT MESSAGE
 *	Connect, send MESSAGE, close the sending side, read the echo until
 *	end-of-file and print it. Exit status 0 if it equals MESSAGE. Gives
 *	up after TIMEOUT seconds in all.
 *
 * Exit status 1 on a mismatch or an error, 2 on bad usage or the timeout.
 * Messages go to stdout, prefixed "vsock-echo: ". */
#include <errno.h>
#include <sys/socket.h>	/* before linux/vm_sockets.h, which needs it */
#include <linux/vm_sockets.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TIMEOUT		30
#define ECHO_MAX	4096

/* Print one line "vsock-echo: ..." at once; returns 1 (a failure status). */
__attribute__((format(printf, 1, 2)))
static int say(const char *fmt, ...)
{
	va_list ap;

	printf("vsock-echo: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return 1;
}

static int fail(const char *what)
{
	return say("%s: %s", what, strerror(errno));
}

static int parse_u32(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v > 0xffffffffUL)
		return -1;
	*out = v;
	return 0;
}

static struct sockaddr_vm vm_addr(unsigned cid, unsigned port)
{
	struct sockaddr_vm a;

	memset(&a, 0, sizeof(a));
	a.svm_family = AF_VSOCK;
	a.svm_cid = cid;
	a.svm_port = port;
	return a;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Send back what comes until end-of-file; returns the bytes echoed or -1. */
static long echo(int fd)
{
	char buf[ECHO_MAX];
	long total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write_all(fd, buf, n))
			return -1;
		total += n;
	}
	return total;
}

static int serve(int ls)
{
	struct sockaddr_vm peer;
	socklen_t plen = sizeof(peer);
	int fd = accept(ls, (struct sockaddr *)&peer, &plen);
	long n;

	if (fd < 0)
		return fail("accept");
	say("connection from CID %u port %u", peer.svm_cid, peer.svm_port);
	n = echo(fd);
	if (n < 0)
		return fail("echo");
	say("echoed %ld bytes", n);
	close(fd);
	return 0;
}

static int do_listen(const char *port_s)
{
	unsigned port;
	struct sockaddr_vm a;
	int ls;

	if (parse_u32(port_s, &port))
		return say("bad port '%s'", port_s), 2;
	a = vm_addr(VMADDR_CID_ANY, port);
	ls = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0)
		return fail("socket(AF_VSOCK)");
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)))
		return fail("bind");
	if (listen(ls, 1))
		return fail("listen");
	say("listening on port %u", port);
	return serve(ls);
}

/* Read until end-of-file into @buf (NUL-terminated); the length or -1. */
static long read_all(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		got += n;
	}
	buf[got] = 0;
	return got;
}

static int exchange(int fd, const char *msg)
{
	char buf[ECHO_MAX];

	if (write_all(fd, msg, strlen(msg)))
		return fail("write");
	if (shutdown(fd, SHUT_WR))
		return fail("shutdown");
	if (read_all(fd, buf, sizeof(buf)) < 0)
		return fail("read");
	say("echo '%s'", buf);
	if (strcmp(buf, msg))
		return say("the echo differs from '%s'", msg);
	return say("echo matches"), 0;
}

static int do_connect(const char *cid_s, const char *port_s, const char *msg)
{
	unsigned cid, port;
	struct sockaddr_vm a;
	int fd;

	if (parse_u32(cid_s, &cid) || parse_u32(port_s, &port))
		return say("bad CID '%s' or port '%s'", cid_s, port_s), 2;
	if (strlen(msg) >= ECHO_MAX)
		return say("message too long (max %d bytes)", ECHO_MAX - 1), 2;
	a = vm_addr(cid, port);
	fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail("socket(AF_VSOCK)");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return fail("connect");
	say("connected to CID %u port %u", cid, port);
	return exchange(fd, msg);
}

static void on_alarm(int sig)
{
	static const char msg[] = "vsock-echo: timed out\n";

	(void)sig;
	(void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(2);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "listen"))
		return do_listen(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "connect")) {
		signal(SIGALRM, on_alarm);
		alarm(TIMEOUT);
		return do_connect(argv[2], argv[3], argv[4]);
	}
	fprintf(stderr, "usage: vsock-echo listen PORT\n"
		"       vsock-echo connect CID PORT MESSAGE\n");
	return 2;
}
