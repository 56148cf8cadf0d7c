# virtio-net on taps: itsy creates itsy0 and itsy1 (--net given twice, the
# second with mac=), the host gives itsy0 10.0.2.1/24 once it exists; the
# guest (tests/guest/net.sh) sees both NICs with their MACs, pings the host,
# moves 16 MiB each way with nc (both sides compare SHA-256 sums), then
# resets its device (driver unbind + bind) and pings again. While the guest
# runs, a second itsy on itsy0 is refused with a clear message.
# itsy-tests: virtio-net-ping virtio-net-to-host virtio-net-to-guest virtio-net-reset virtio-net-mac virtio-net-busy
. /tests/testlib

TAP=itsy0 TAP2=itsy1 MAC2=52:54:00:12:34:57 HOST_IP=10.0.2.1 TO_HOST=5000 FROM_HOST=5001
OUT=$WORK/virtio-net.out ERR=$WORK/virtio-net.err
RX=$WORK/net-rx TX=$WORK/net-tx HOLD=$WORK/net-hold BUSY_ERR=$WORK/net-busy.err
ALL="virtio-net-ping virtio-net-to-host virtio-net-to-guest virtio-net-reset virtio-net-mac
virtio-net-busy"
# The guest's own limits: 120 s to reach us, 180 s per transfer.
LIMIT=$((BOOT_TIMEOUT + 500))

fail_all() {
	for _t in $ALL; do
		fail "$_t" "$@"
	done
}

# info NAME FILE REGEX: FILE's lines matching REGEX into the log.
info() {
	console "$2" | grep -E -- "$3" | sed "s|^|ITSY-INFO $1: |"
}

# The value of "KEY VALUE" or "KEY ... NAME=VALUE" in the guest's output.
guest_val() { console "$OUT" | sed -n "s/^$1 //p" | tail -n 1; }
guest_field() { guest_val "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

have_tun() {
	if [ ! -e /dev/net/tun ]; then
		mkdir -p /dev/net
		mknod /dev/net/tun c 10 200 2>/dev/null
	fi
	[ -c /dev/net/tun ]
}

# Give the tap its address as soon as itsy has made it (at start-up).
configure_tap() {
	_i=0
	while [ ! -e "/sys/class/net/$TAP" ] && [ "$_i" -lt 120 ]; do
		kill -0 "$pid" 2>/dev/null || { WHY="itsy ended before $TAP appeared"; return 1; }
		sleep 1
		_i=$((_i + 1))
	done
	[ "$_i" -lt 120 ] || { WHY="$TAP never appeared"; return 1; }
	if ! ip addr add "$HOST_IP/24" dev "$TAP" || ! ip link set "$TAP" up; then
		WHY="cannot configure $TAP"
		return 1
	fi
	echo "ITSY-INFO virtio-net: $TAP up after ${_i}s: $(ip addr show "$TAP" | grep inet | head -n 1)"
}

# A second VM on the same tap: refused before it boots.
check_busy() {
	timeout -s KILL 60 "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
		--cmdline "$GUEST_CMDLINE" --mem 256M --net tap=$TAP \
		</dev/null >/dev/null 2>"$BUSY_ERR"
	_rc=$?
	echo "ITSY-INFO virtio-net-busy: $(describe_rc "$_rc")"
	info virtio-net-busy "$BUSY_ERR" .
	if [ "$_rc" -eq 0 ] || [ "$_rc" -ge 128 ]; then
		fail virtio-net-busy "a second VM on $TAP: $(describe_rc "$_rc"), not refused" "$BUSY_ERR"
	elif ! seen "tap=$TAP: tap is busy" "$BUSY_ERR"; then
		fail virtio-net-busy "a second VM on $TAP: no 'tap is busy' message" "$BUSY_ERR"
	else
		pass virtio-net-busy
	fi
}

check_ping() {
	if seen 'ITSY-NET-PING rc=0' "$OUT"; then
		pass virtio-net-ping
	else
		fail virtio-net-ping "the guest could not ping $HOST_IP ($(describe_rc "$RC"))" "$OUT" "$ERR"
	fi
}

check_reset() {
	if ! seen 'ITSY-NET-REBIND rc=0' "$OUT"; then
		fail virtio-net-reset "the guest could not rebind its driver" "$OUT" "$ERR"
	elif ! seen 'ITSY-NET-PING2 rc=0' "$OUT"; then
		fail virtio-net-reset "no ping after the device reset" "$OUT" "$ERR"
	else
		pass virtio-net-reset
	fi
}

# Two NICs: $MAC2 as given, the other one made up (52:54:00:...).
check_mac() {
	_macs=$(console "$OUT" | sed -n 's/^ITSY-NET-DEVICE [^ ]* \([^ ]*\) driver=virtio_net$/\1/p' |
		sort -u | tr '\n' ' ')
	echo "ITSY-INFO virtio-net-mac: $_macs"
	case " $_macs" in
	" $MAC2 52:54:00:"??:??:??" " | " 52:54:00:"??:??:??" $MAC2 ") pass virtio-net-mac ;;
	*) fail virtio-net-mac "want $MAC2 and one 52:54:00:xx:xx:xx, got: $_macs" "$OUT" "$ERR" ;;
	esac
}

# check_sum NAME WHAT WANT GOT: the guest's transfer report WHAT and sums.
check_sum() {
	_rc=$(guest_field "ITSY-NET-$2" rc)
	if [ -z "$3" ] || [ -z "$4" ]; then
		fail "$1" "no transfer (guest nc rc=${_rc:-none})" "$OUT" "$ERR"
	elif [ "$3" != "$4" ]; then
		fail "$1" "sha256 differ: sent $3, received $4 (guest nc rc=${_rc:-none})" "$OUT" "$ERR"
	else
		pass "$1"
	fi
}

if ! have_tun; then
	fail_all "no /dev/net/tun in the host"
	exit 0
fi
dd if=/dev/urandom of="$TX" bs=64k count=256 2>/dev/null
tx_sum=$(sha256sum "$TX" | cut -d' ' -f1)
rm -f "$RX" "$HOLD"
mkfifo "$HOLD"
# Our receiving nc must not see the end of its input (it would half-close
# and the guest's nc would stop sending): a FIFO we hold open.
exec 3<>"$HOLD"
timeout -s KILL "$LIMIT" nc -l -p $TO_HOST <&3 >"$RX" 2>"$WORK/net-nc1.err" &
nc1=$!
timeout -s KILL "$LIMIT" nc -l -p $FROM_HOST <"$TX" >/dev/null 2>"$WORK/net-nc2.err" &
nc2=$!

start=$(now)
timeout -s KILL "$LIMIT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=net" --cpus 2 --mem 512M \
	--net tap=$TAP --net tap=$TAP2,mac=$MAC2 </dev/null >"$OUT" 2>"$ERR" &
pid=$!

if configure_tap; then
	check_busy
	wait_for 'ITSY-NET-DONE' "$OUT" "$LIMIT" "$pid"
else
	echo "ITSY-INFO virtio-net: $WHY"
	fail virtio-net-busy "$WHY" "$OUT" "$ERR"
fi
wait "$pid"
RC=$?
ELAPSED=$(($(now) - start))
exec 3>&-
kill -9 "$nc1" "$nc2" 2>/dev/null
wait "$nc1" "$nc2" 2>/dev/null
echo "ITSY-INFO virtio-net: itsy $(describe_rc "$RC") after ${ELAPSED}s"
info virtio-net "$OUT" 'ITSY-NET|ITSY-IRQ'
info virtio-net "$ERR" .

rx_sum=$(sha256sum "$RX" | cut -d' ' -f1)
echo "ITSY-INFO virtio-net: host received $(wc -c <"$RX") bytes"
check_ping
check_mac
check_sum virtio-net-to-host TX "$(guest_val ITSY-NET-TX-SUM)" "$rx_sum"
check_sum virtio-net-to-guest RX "$tx_sum" "$(guest_val ITSY-NET-RX-SUM)"
check_reset
exit 0
