# Guest scenario (itsy.run=vsock), driven by tests/integration/virtio-vsock.sh:
#  1. an echo server on vsock port 1234 for the host's client; it prints
#     "vsock-echo: listening on port 1234" when ready and ends after one
#     connection (given up after 120 s): ITSY-VSOCK-LISTEN rc=N | timeout;
#  2. a client to the host's echo server (CID 2, port 1235):
#     ITSY-VSOCK-CONNECT rc=N;
#  3. the driver is unbound and bound again, which resets the device and
#     starts it anew (ITSY-VSOCK-REBIND rc=N), and a client tries the
#     host's second server (port 1236): ITSY-VSOCK-RECONNECT rc=N.
# /init powers off afterwards.
LISTEN_PORT=1234 HOST_CID=2 HOST_PORT=1235 HOST_PORT2=1236 WAIT=120

# The device: virtio id 19 (0x0013), bound to the vsock transport.
dev='' drv=''
for d in /sys/bus/virtio/devices/*; do
	[ "$(cat "$d/device" 2>/dev/null)" = 0x0013 ] || continue
	dev=${d##*/} drv=$(readlink -f "$d/driver")
	echo "ITSY-VSOCK-DEVICE $dev driver=${drv##*/}"
done

vsock-echo listen "$LISTEN_PORT" &
pid=$!
i=0
while kill -0 "$pid" 2>/dev/null && [ "$i" -lt "$WAIT" ]; do
	sleep 1
	i=$((i + 1))
done
if kill -0 "$pid" 2>/dev/null; then
	kill "$pid"
	echo "ITSY-VSOCK-LISTEN timeout"
else
	wait "$pid"
	echo "ITSY-VSOCK-LISTEN rc=$?"
fi

vsock-echo connect "$HOST_CID" "$HOST_PORT" hello-from-guest
echo "ITSY-VSOCK-CONNECT rc=$?"

[ -n "$drv" ] && echo "$dev" >"$drv/unbind" && echo "$dev" >"$drv/bind"
echo "ITSY-VSOCK-REBIND rc=$?"
vsock-echo connect "$HOST_CID" "$HOST_PORT2" hello-after-reset
echo "ITSY-VSOCK-RECONNECT rc=$?"
grep -i virtio /proc/interrupts | sed 's/^/ITSY-IRQ /'
