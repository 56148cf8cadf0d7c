/* The control socket (--api-socket PATH) and its client (itsy ctl).
 *
 * Protocol: a Unix stream socket, mode 0600. A client connects, sends one
 * JSON object terminated by a newline, e.g. {"command": "pause"}, reads one
 * JSON object reply line, and the server closes the connection. Replies
 * always carry "ok": true/false; a failure adds "error": "<sentence>".
 * Commands: pause, resume, status, quit, snapshot, migrate; a request is
 * parsed and checked whole (vmm/api_request.h) before anything runs.
 * Requests are served on the main loop, one at a time, so a command never
 * races another. */
#ifndef ITSY_API_H
#define ITSY_API_H

struct vm;

/* Listen on @path. Something already there is removed only if it is a
 * socket nobody answers on (left over from a crash); a live socket is
 * refused ("another itsy is listening on PATH", -EADDRINUSE), anything
 * else too ("PATH exists and is not a socket", -EEXIST), and a symbolic
 * link is never followed. 0, or -errno with a message logged. */
int api_listen(struct vm *vm, const char *path);

/* "itsy ctl --api-socket PATH COMMAND [ARG]": returns the exit status. */
int api_ctl(int argc, char **argv);

#endif
