/* virtio-net device backend (virtio 1.x, one queue pair) on a host tap
 * device. Frames move between the guest's buffers and the tap with readv
 * and writev, without a copy: the tap is opened with IFF_VNET_HDR and a
 * 12-byte header, so the guest's struct virtio_net_hdr_v1 passes through
 * as is. Portable: no KVM, no PCI; the backend only sees its struct
 * virtio_dev (devices/virtio/virtio.h), whose priv is the struct net from
 * net_open().
 *
 * Contract:
 *  - Create the device with virtio_dev_init(d, &net_backend, n, mem); its
 *    realize() adds the tap as a watch of the device. The transport adds
 *    VIRTIO_F_VERSION_1. Queue NET_RXQ receives, NET_TXQ transmits.
 *  - Offered: MAC, STATUS (the link is always up), MRG_RXBUF, EVENT_IDX and
 *    INDIRECT_DESC. No offloads (they measured no better here, and 64 KiB
 *    frames need more buffers than a guest may have posted): the tap is
 *    told to hand over checksummed, unsegmented frames (TUNSETOFFLOAD 0).
 *    A received frame whose header asks for an offload the guest did not
 *    negotiate is dropped; without GUEST_CSUM the header's flags (e.g.
 *    DATA_VALID) are cleared.
 *  - Receive: the device holds up to NET_RX_HELD receive chains popped
 *    ahead (as many as cover NET_FRAME_MAX with MRG_RXBUF, one without) and
 *    reads each frame straight into them. With MRG_RXBUF a frame may fill
 *    several chains: they are published on the used ring at once, the
 *    number of them in the first one's num_buffers. A frame larger than the
 *    buffers held is dropped and the buffers are kept for the next one.
 *    While the guest has posted no buffer, the device stops watching the
 *    tap until the guest kicks the receive queue: frames wait in, or are
 *    dropped by, the tap's own queue.
 *  - Transmit: each chain's device-readable part (header, then frame) is one
 *    write to the tap; the chain is given back with length 0 whether the
 *    tap took the frame or not (e.g. the tap is down: the frame is lost, as
 *    on a wire). Chains shorter than a header or longer than a header and
 *    NET_FRAME_MAX are dropped the same way; writable segments are ignored.
 *  - Bad guest data (a broken queue; on the receive queue a readable
 *    segment or a chain shorter than a header) asks for a reset
 *    (virtio_dev_broken()) and stops reception until the next kick. A
 *    queue the driver did not enable (never set up: size 0) is left alone.
 *  - Never blocks or spins: the tap is non-blocking, each event serves at
 *    most NET_BUDGET frames per queue (transmit re-kicks itself to go on).
 *    If reading the tap fails (its interface was deleted, ...), the device
 *    logs it once, stops watching it and drops all traffic from then on.
 *  - Held receive chains are in flight: once the device is stopped, the
 *    receive queue's last_avail may be ahead of its used_idx. reset() and
 *    start() forget them (the queues are new).
 *  - The tap's header is in the host's byte order: little-endian hosts
 *    only (arm64), like virtio 1.x. */
#ifndef ITSY_VIRTIO_NET_H
#define ITSY_VIRTIO_NET_H

#include <stddef.h>
#include <stdint.h>

#include "devices/kind.h"
#include "devices/virtio/virtio.h"

#define NET_RXQ		0
#define NET_TXQ		1
#define NET_QUEUE_MAX	256
/* A 64 KiB IP packet in an Ethernet frame with a VLAN tag. */
#define NET_FRAME_MAX	(65536 + 14 + 4)
#define NET_RX_HELD	64	/* receive chains held at most */
#define NET_RX_SEGS	32	/* non-empty segments used of one receive chain */
#define NET_BUDGET	256	/* frames per queue and event */

struct net;

/* Open (or create) tap @tap. @mac: the guest's MAC, or NULL to make one
 * up. On failure, -errno and a one-line message naming the tap in @err. */
int net_open(const char *tap, const uint8_t *mac, struct net **out,
	     char *err, size_t errlen);

/* For tests and fd passing: a device on @fd, an open tap (or a datagram
 * socket playing one) already set up for the 12-byte header. @name names it
 * in messages and, when @mac is NULL, seeds the made-up MAC
 * (52:54:00:xx:xx:xx, a hash of @name). Makes @fd non-blocking and turns
 * the tap's offloads off (TUNSETOFFLOAD 0, which may fail on what is not a
 * tap). On success the device owns @fd; on failure (-errno) the caller
 * still does. */
int net_open_fd(int fd, const char *name, const uint8_t *mac, struct net **out);

/* Close the tap and free @n. NULL is a no-op. The device must be stopped. */
void net_close(struct net *n);

#define NET_MAX_NICS	4	/* per VM */

extern const struct virtio_backend net_backend;
/* --net tap=NAME[,mac=MAC] (devices/kind.h). */
extern const struct device_kind net_kind;

#endif
