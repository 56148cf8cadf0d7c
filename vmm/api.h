/* The control socket (--api-socket PATH) and its client (itsy ctl).
 *
 * Protocol: a Unix stream socket, mode 0600. A client connects, sends one
 * JSON object terminated by a newline, e.g. {"command": "pause"}, reads one
 * JSON object reply line, and the server closes the connection. Replies
 * always carry "ok": true/false; a failure adds "error": "<sentence>".
 * Commands: pause, resume, status, quit. Requests are served on the main
 * loop, one at a time, so a command never races another. */
#ifndef ITSY_API_H
#define ITSY_API_H

struct vm;

/* Listen on @path (refusing one another itsy is serving). -errno, with a
 * message logged. */
int api_listen(struct vm *vm, const char *path);

/* "itsy ctl --api-socket PATH COMMAND [ARG]": returns the exit status. */
int api_ctl(int argc, char **argv);

#endif
