/* A batch of vectored disk reads and writes through io_uring, for the
 * virtio-blk backend: requests are queued, then submitted together and
 * waited for together, so that a disk sees as many in flight as the guest
 * gave in one kick. Portable: no KVM, no virtio.
 *
 * Contract:
 *  - uring_open() fails (-errno) where the kernel has no io_uring or
 *    forbids it (kernel.io_uring_disabled); callers then do the I/O
 *    themselves. It runs at start-up: the confined device thread may only
 *    enter the ring.
 *  - The ring allows READV and WRITEV and nothing else (registered
 *    restrictions), whatever a bug in the caller put into it.
 *  - uring_queue() never submits. uring_run() submits everything queued
 *    and returns only once every one of them has completed, after calling
 *    @done for each: nothing is in flight between two uring_run() calls,
 *    so a device that is stopped has no I/O outstanding.
 *  - The iovec arrays and buffers given to uring_queue() must stay valid
 *    until uring_run() returns. */
#ifndef ITSY_BLK_URING_H
#define ITSY_BLK_URING_H

#include <stdint.h>
#include <sys/uio.h>

struct uring;

/* A ring for @depth requests at a time. -errno. */
int uring_open(struct uring **out, unsigned depth);
/* NULL is a no-op. Nothing may be queued. */
void uring_close(struct uring *u);

/* Queue a preadv (or pwritev when @write) of @cnt entries at @off of @fd,
 * @tag given back to done(). -EBUSY when @depth are queued already. */
int uring_queue(struct uring *u, int fd, const struct iovec *iov, unsigned cnt,
		uint64_t off, int write, void *tag);

/* Requests queued and not yet run. */
unsigned uring_queued(const struct uring *u);

/* Submit what is queued and wait for all of it; done(@tag, bytes or
 * -errno, @ctx) for each, in completion order. 0, or -errno if the ring
 * itself failed: then the requests not given to done() have an unknown
 * fate, and the ring must be closed, not used again. */
int uring_run(struct uring *u, void (*done)(void *tag, int64_t res, void *ctx), void *ctx);

#endif
