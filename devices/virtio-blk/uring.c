#include "devices/virtio-blk/uring.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct uring {
	struct io_uring ring;
	unsigned depth, queued;
};

/* io_uring_register() itself: Debian's shared liburing 2.3 does not
 * export its wrappers for the two calls below. */
static int ring_register(struct io_uring *ring, unsigned op, void *arg, unsigned n)
{
	return syscall(__NR_io_uring_register, ring->ring_fd, op, arg, n) < 0 ? -errno : 0;
}

/* Only vectored reads and writes may ever be submitted on this ring. */
static int restrict_ops(struct io_uring *ring)
{
	struct io_uring_restriction r[2];

	memset(r, 0, sizeof(r));
	r[0].opcode = IORING_RESTRICTION_SQE_OP;
	r[0].sqe_op = IORING_OP_READV;
	r[1].opcode = IORING_RESTRICTION_SQE_OP;
	r[1].sqe_op = IORING_OP_WRITEV;
	return ring_register(ring, IORING_REGISTER_RESTRICTIONS, r, 2);
}

int uring_open(struct uring **out, unsigned depth)
{
	struct uring *u = calloc(1, sizeof(*u));
	int rc;

	if (!u)
		return -ENOMEM;
	/* Why disabled first: restrictions can only be registered on a ring
	 * that has not started; enabling it then makes them final. */
	rc = io_uring_queue_init(depth, &u->ring, IORING_SETUP_R_DISABLED);
	if (rc) {
		free(u);
		return rc;
	}
	rc = restrict_ops(&u->ring);
	rc = rc ? rc : ring_register(&u->ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	if (rc) {
		io_uring_queue_exit(&u->ring);
		free(u);
		return rc;
	}
	u->depth = depth;
	*out = u;
	return 0;
}

void uring_close(struct uring *u)
{
	if (!u)
		return;
	io_uring_queue_exit(&u->ring);
	free(u);
}

int uring_queue(struct uring *u, int fd, const struct iovec *iov, unsigned cnt,
		uint64_t off, int write, void *tag)
{
	struct io_uring_sqe *sqe = u->queued < u->depth ? io_uring_get_sqe(&u->ring) : NULL;

	if (!sqe)
		return -EBUSY;
	if (write)
		io_uring_prep_writev(sqe, fd, iov, cnt, off);
	else
		io_uring_prep_readv(sqe, fd, iov, cnt, off);
	io_uring_sqe_set_data(sqe, tag);
	u->queued++;
	return 0;
}

unsigned uring_queued(const struct uring *u)
{
	return u->queued;
}

/* Reap what has completed; the number reaped. */
static unsigned reap(struct uring *u, void (*done)(void *, int64_t, void *), void *ctx)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		done(io_uring_cqe_get_data(cqe), cqe->res, ctx);
		n++;
	}
	io_uring_cq_advance(&u->ring, n);
	return n;
}

int uring_run(struct uring *u, void (*done)(void *tag, int64_t res, void *ctx), void *ctx)
{
	unsigned left = u->queued;
	int rc = 0;

	u->queued = 0;
	if (left && (rc = io_uring_submit(&u->ring)) >= 0)
		rc = 0;
	while (!rc && left) {
		struct io_uring_cqe *cqe;

		rc = io_uring_wait_cqe(&u->ring, &cqe);
		if (rc == -EINTR)
			rc = 0;
		else if (!rc)
			left -= reap(u, done, ctx);
	}
	return rc;
}
