/* Post-copy, destination side (`ctl migrate ... --postcopy`): the guest
 * runs here before all of its memory arrived. The pages the source still
 * holds (the POSTCOPY frame's bitmap) are dropped from RAM, which is
 * registered with userfaultfd (missing mode) first, so a touch of such a page,
 * from a vCPU (KVM's stage-2 fault waits in the kernel), a device thread,
 * vhost or KVM itself restoring the ITS tables, waits until the page is
 * placed. Two threads:
 *  - the fault thread reads the faults: a page the source still holds is
 *    asked for (one PAGE_REQ frame: the u64 LE RAM offsets of the pages);
 *    any other missing page is one pre-copy sent as zero and never
 *    touched here, and is zero-filled at once (UFFDIO_ZEROPAGE);
 *  - the receiver thread owns the link's receiving side from the state on:
 *    PAGES frames (asked for or pushed) are placed (UFFDIO_COPY, or
 *    UFFDIO_ZEROPAGE for zero runs), GO is handed to the main thread
 *    (postcopy_in_wait_go), and POSTCOPY_END (the source has sent every
 *    page) ends it all: RAM is unregistered (which wakes any waiter),
 *    the source is told OK, and the link is closed.
 * A placed page is marked as no longer held only after it is placed, so
 * the fault thread never zero-fills a page the source still has; a page
 * placed twice (asked and pushed) is only woken (-EEXIST).
 *
 * What post-copy risks: from GO on the guest's memory is split between
 * the two hosts. If the link or the source is lost before POSTCOPY_END,
 * the guest cannot go on here (its next touch of a missing page would
 * wait forever): the receiver thread ends this process (lost()).
 *
 * Sending: once started, every frame this side sends goes through
 * postcopy_in_send() (one lock: three threads send). */
#ifndef ITSY_POSTCOPY_H
#define ITSY_POSTCOPY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/uffd.h"

struct wire;

struct postcopy_in {
	uint8_t *ram;
	uint64_t ram_size, npages;
	uint32_t page_size;
	unsigned shift;
	unsigned long *held;		/* pages the source still holds; atomic */
	uint64_t *asked_ns;		/* when each was asked for; 0: not yet */
	struct uffd uf;			/* RAM, registered */
	int stop_fd;
	struct wire *w;
	pthread_t fault_t, recv_t;
	int threads;			/* started */
	pthread_mutex_t send_lock, lock;
	pthread_cond_t cond;
	int go, failed, ended;		/* under lock */
	int recv_done;			/* the receiver thread ended; under lock */
	/* The link failed once the guest may run here: end the process. */
	void (*lost)(void *ctx, const char *why);
	void *ctx;
	/* Figures: pages asked for, pages placed, the slowest asked page
	 * (fault to placed), the whole post-copy phase. */
	uint64_t demand, placed, slowest_ns, start_ns, total_ns;
	char err[300];
};

/* The POSTCOPY payload @bits (@len bytes: a bit per page of @page_size
 * from RAM's start, LE bytes, bit i of byte j = page 8j + i) arrived:
 * register RAM [@ram, @ram + @ram_size) with userfaultfd, without huge
 * pages until every page is here, then drop those pages. No thread yet. 0, or -errno with a message in @err. */
int postcopy_in_prepare(struct postcopy_in *pc, uint8_t *ram, uint64_t ram_size,
			uint32_t page_size, const uint8_t *bits, size_t len, char *err,
			size_t errlen);

/* The state arrived: start both threads on @w (it is theirs from now on
 * for receiving). 0 or -errno. */
int postcopy_in_start(struct postcopy_in *pc, struct wire *w);

/* Send a frame on the shared link. */
int postcopy_in_send(struct postcopy_in *pc, uint8_t type, const void *p, size_t len);

/* Wait for GO (0), or the link's failure (-errno, message in pc->err). */
int postcopy_in_wait_go(struct postcopy_in *pc);

/* The migration failed before the guest ran here: unregister RAM (a
 * waiter sees zeros), end the threads (the link is shut down), close the
 * uffd, free. Safe on a zeroed struct and after the end. */
void postcopy_in_abort(struct postcopy_in *pc);

#endif
