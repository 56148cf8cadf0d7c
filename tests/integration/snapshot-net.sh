# Network traffic across a snapshot: a guest pinging the host through a
# virtio-net tap is snapshotted and its itsy ended (its tap goes with it);
# a restored itsy makes the tap again, and once the host has configured it
# the guest's pings are answered again (the NIC and its MSIs work).
# itsy-tests: snapshot-net
. /tests/testlib

name=snapshot-net TAP=itsy5 SNAP=$WORK/nsnap
rm -rf "$SNAP" "$WORK"/n?.sock
[ -e /dev/net/tun ] || { mkdir -p /dev/net; mknod /dev/net/tun c 10 200; }

tap_up() { # wait for itsy ($1 = pid) to make the tap, then configure it
	_i=0
	while [ ! -e "/sys/class/net/$TAP" ] && [ $_i -lt 120 ] && kill -0 "$1" 2>/dev/null; do
		sleep 1
		_i=$((_i + 1))
	done
	ip addr add 10.0.2.1/24 dev "$TAP" 2>/dev/null
	ip link set "$TAP" up 2>/dev/null
}
oks() { console "$1" | sed -n 's/^ITSY-PING [0-9]* [a-z]* total_ok=//p' | tail -n 1; }

OUT=$WORK/net1.out ERR=$WORK/net1.err
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=net-ping" --cpus 2 --mem 256M --net tap=$TAP \
	--api-socket "$WORK/n1.sock" </dev/null >"$OUT" 2>"$ERR" &
pid=$!
tap_up "$pid"
if ! wait_for 'total_ok=3$' "$OUT" "$BOOT_TIMEOUT" "$pid"; then
	kill -9 "$pid" 2>/dev/null
	fail "$name" "the guest's pings were never answered before the snapshot" "$OUT" "$ERR"
	exit 0
fi
"$ITSY" ctl --api-socket "$WORK/n1.sock" snapshot "$SNAP" >/dev/null 2>>"$ERR"
"$ITSY" ctl --api-socket "$WORK/n1.sock" quit >/dev/null 2>&1
wait "$pid"
before=$(oks "$OUT")

OUT=$WORK/net2.out ERR=$WORK/net2.err
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" restore --from "$SNAP" --api-socket "$WORK/n2.sock" \
	</dev/null >"$OUT" 2>"$ERR" &
pid=$!
tap_up "$pid"
wait_for "total_ok=$((before + 3))\$" "$OUT" 120 "$pid"
after=$(oks "$OUT")
"$ITSY" ctl --api-socket "$WORK/n2.sock" quit >/dev/null 2>&1
wait "$pid"
echo "ITSY-INFO $name: $before pings answered before the snapshot, ${after:-0} after the restore"
if [ "${after:-0}" -ge $((before + 3)) ]; then
	pass "$name"
else
	fail "$name" "pings were not answered again after the restore (${after:-0} after, $before before)" "$OUT" "$ERR"
fi
