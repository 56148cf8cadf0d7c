# virtio-vsock on the host's vhost-vsock (--vsock cid=3), both ways: the
# host's client has its message echoed by a server in the guest, then a
# client in the guest by a server in the host (CID 2). The guest then
# resets the device (driver unbind + bind) and talks to the host again,
# and powers off cleanly. While the guest runs, a second VM that asks for
# its CID is refused with a clear message.
# itsy-hosts: every
# itsy-tests: virtio-vsock-echo virtio-vsock-to-host virtio-vsock-reset virtio-vsock-cid-busy
. /tests/testlib

CID=3 GUEST_PORT=1234 HOST_PORT=1235 HOST_PORT2=1236 MSG=hello-itsy
OUT=$WORK/virtio-vsock.out ERR=$WORK/virtio-vsock.err
SERVER=$WORK/vsock-host-server.log SERVER2=$WORK/vsock-host-server2.log
CLIENT=$WORK/vsock-host-client.log BUSY_ERR=$WORK/vsock-busy.err
ALL="virtio-vsock-echo virtio-vsock-to-host virtio-vsock-reset virtio-vsock-cid-busy"

fail_all() {
	for _t in $ALL; do
		fail "$_t" "$@"
	done
}

# info NAME FILE REGEX: FILE's lines matching REGEX into the log.
info() {
	console "$2" | grep -E -- "$3" | sed "s|^|ITSY-INFO $1: |"
}

if [ ! -e /dev/vhost-vsock ]; then
	fail_all "no /dev/vhost-vsock in the host (vhost_vsock not loaded)"
	exit 0
fi
if [ ! -x /bin/vsock-echo ]; then
	fail_all "no /bin/vsock-echo in the host image"
	exit 0
fi

# A second VM with the same CID: refused before it boots.
check_cid_busy() {
	timeout -s KILL 60 "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
		--cmdline "$GUEST_CMDLINE" --mem 256M --vsock cid=$CID \
		</dev/null >/dev/null 2>"$BUSY_ERR"
	_rc=$?
	echo "ITSY-INFO virtio-vsock-cid-busy: $(describe_rc "$_rc")"
	info virtio-vsock-cid-busy "$BUSY_ERR" .
	if [ "$_rc" -eq 0 ] || [ "$_rc" -ge 128 ]; then
		fail virtio-vsock-cid-busy "a second VM with CID $CID: $(describe_rc "$_rc"), not refused" "$BUSY_ERR"
	elif ! seen "CID $CID is in use by another VM" "$BUSY_ERR"; then
		fail virtio-vsock-cid-busy "a second VM with CID $CID: no 'in use' message" "$BUSY_ERR"
	else
		pass virtio-vsock-cid-busy
	fi
}

# Host to guest: our client, the guest's echo server.
check_echo() {
	timeout -s KILL 60 vsock-echo connect $CID $GUEST_PORT $MSG >"$CLIENT" 2>&1
	_rc=$?
	echo "ITSY-INFO virtio-vsock-echo: client $(describe_rc "$_rc")"
	info virtio-vsock-echo "$CLIENT" .
	if [ "$_rc" -ne 0 ] || ! seen "echo '$MSG'" "$CLIENT"; then
		fail virtio-vsock-echo "host client to CID $CID: $(describe_rc "$_rc")" "$CLIENT" "$OUT" "$ERR"
	elif ! wait_for 'ITSY-VSOCK-LISTEN' "$OUT" 60 "$pid" || ! seen 'ITSY-VSOCK-LISTEN rc=0' "$OUT"; then
		fail virtio-vsock-echo "the guest's echo server did not end well" "$OUT" "$ERR"
	else
		pass virtio-vsock-echo
	fi
}

# check_guest_client NAME MARKER MESSAGE SERVER_LOG: the guest's client
# reported MARKER rc=0 and MESSAGE's echo; the host's server saw CID 3.
check_guest_client() {
	if ! seen "$2 rc=0" "$OUT" || ! seen "echo '$3'" "$OUT"; then
		fail "$1" "the guest's client to CID 2 failed" "$OUT" "$4" "$ERR"
	elif ! seen "connection from CID $CID " "$4"; then
		fail "$1" "the host's server saw no connection from CID $CID" "$4" "$OUT"
	else
		return 0
	fi
	return 1
}

# Guest to host, before and after a device reset; then a clean poweroff.
check_guest_side() {
	if [ "$RC" -ne 0 ]; then
		fail virtio-vsock-to-host "itsy: $(describe_rc "$RC") after ${ELAPSED}s" "$OUT" "$ERR"
		fail virtio-vsock-reset "itsy: $(describe_rc "$RC") after ${ELAPSED}s" "$OUT" "$ERR"
		return
	fi
	check_guest_client virtio-vsock-to-host ITSY-VSOCK-CONNECT hello-from-guest "$SERVER" &&
		pass virtio-vsock-to-host
	if ! seen 'ITSY-VSOCK-REBIND rc=0' "$OUT"; then
		fail virtio-vsock-reset "the guest could not rebind its vsock driver" "$OUT" "$ERR"
	else
		check_guest_client virtio-vsock-reset ITSY-VSOCK-RECONNECT hello-after-reset "$SERVER2" &&
			pass virtio-vsock-reset
	fi
}

# The host's echo servers, for the guest's clients.
timeout -s KILL "$BOOT_TIMEOUT" vsock-echo listen $HOST_PORT >"$SERVER" 2>&1 &
spid=$!
timeout -s KILL "$BOOT_TIMEOUT" vsock-echo listen $HOST_PORT2 >"$SERVER2" 2>&1 &
spid2=$!

start=$(now)
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=vsock" --cpus 2 --mem 512M \
	--vsock cid=$CID </dev/null >"$OUT" 2>"$ERR" &
pid=$!

if wait_for "vsock-echo: listening on port $GUEST_PORT" "$OUT" "$BOOT_TIMEOUT" "$pid"; then
	echo "ITSY-INFO virtio-vsock: the guest listens after $(($(now) - start))s"
	check_cid_busy
	check_echo
	wait "$pid"
	RC=$?
	ELAPSED=$(($(now) - start))
	echo "ITSY-INFO virtio-vsock: itsy $(describe_rc "$RC") after ${ELAPSED}s"
	info virtio-vsock "$OUT" 'ITSY-VSOCK|vsock-echo|ITSY-IRQ'
	info virtio-vsock "$ERR" .
	check_guest_side
else
	kill -9 "$pid" 2>/dev/null
	wait "$pid"
	RC=$?
	fail_all "the guest's echo server never listened (itsy: $(describe_rc "$RC") after $(($(now) - start))s)" "$OUT" "$ERR"
fi
kill -9 "$spid" "$spid2" 2>/dev/null
wait "$spid" "$spid2" 2>/dev/null
exit 0
