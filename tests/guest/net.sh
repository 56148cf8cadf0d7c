# Guest scenario (itsy.run=net), driven by tests/integration/virtio-net.sh,
# whose host has two taps: itsy0 at 10.0.2.1/24 with two nc servers, and
# itsy1, given the MAC 52:54:00:12:34:57, which stays idle.
#  0. ITSY-NET-DEVICE <ifname> <mac> driver=<driver> for each interface;
#     the one without that MAC is "ours";
#  1. ours gets 10.0.2.15/24; the host is pinged until it answers (it
#     configures its tap while we boot), then 3 times: ITSY-NET-PING rc=N
#     (its output on ITSY-NET-PING-OUT lines);
#  2. 16 MiB of random data to the host's port 5000: ITSY-NET-TX-SUM <sha256>,
#     then ITSY-NET-TX rc=N bytes=B secs=S MBps=R;
#  3. what the host's port 5001 sends: ITSY-NET-RX rc=N bytes=B secs=S
#     MBps=R, then ITSY-NET-RX-SUM <sha256>;
#  4. the driver is unbound and bound again, which resets the device
#     (ITSY-NET-REBIND rc=N), and the host is pinged anew: ITSY-NET-PING2 rc=N;
#  5. ITSY-NET-DONE, then /init powers off.
# Every step has a time limit; without an answer to ping, no transfers.
HOST=10.0.2.1 ME=10.0.2.15 TO_HOST=5000 FROM_HOST=5001 XFER=180 TRIES=40
SPARE_MAC=52:54:00:12:34:57

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# report WHAT RC BYTES T0 T1
report() {
	awk -v w="$1" -v rc="$2" -v b="$3" -v t0="$4" -v t1="$5" 'BEGIN {
		s = t1 - t0; if (s <= 0) s = 0.01
		printf "ITSY-NET-%s rc=%d bytes=%d secs=%.2f MBps=%.2f\n", w, rc, b, s, b / s / 1e6
	}'
}

# List the interfaces; set $ours to the one that is not the spare NIC.
find_ours() {
	ours=''
	for _i in /sys/class/net/eth*; do
		[ -e "$_i" ] || continue
		_mac=$(cat "$_i/address")
		echo "ITSY-NET-DEVICE ${_i##*/} $_mac" \
			"driver=$(basename "$(readlink -f "$_i/device/driver")")"
		[ "$_mac" = "$SPARE_MAC" ] || ours=${_i##*/}
	done
}

# Address ours, then ping until the host answers (up to TRIES times).
bring_up() {
	ip addr add "$ME/24" dev "$ours"
	ip link set "$ours" up
	_i=0
	until ping -c 1 -W 2 "$HOST" >/dev/null 2>&1 || [ "$_i" -ge "$TRIES" ]; do
		_i=$((_i + 1))
		sleep 1
	done
	echo "ITSY-NET-REACHED after $_i tries"
}

# ping3 NAME: ping the host 3 times; ITSY-NET-NAME rc=N.
ping3() {
	ping -c 3 -W 5 "$HOST" >/tmp/ping.out 2>&1
	_rc=$?
	sed 's/^/ITSY-NET-PING-OUT /' /tmp/ping.out
	echo "ITSY-NET-$1 rc=$_rc"
	return $_rc
}

to_host() {
	dd if=/dev/urandom of=/tmp/tx bs=64k count=256 2>/dev/null
	echo "ITSY-NET-TX-SUM $(sha256sum /tmp/tx | cut -d' ' -f1)"
	t0=$(uptime_s)
	timeout "$XFER" nc "$HOST" "$TO_HOST" </tmp/tx
	rc=$?
	report TX "$rc" "$(wc -c </tmp/tx)" "$t0" "$(uptime_s)"
}

# nc ends at the host's end of file as long as its own input stays open
# (at its end of input it would half-close): a FIFO we also write to.
from_host() {
	mkfifo /tmp/hold
	exec 3<>/tmp/hold
	t0=$(uptime_s)
	timeout "$XFER" nc "$HOST" "$FROM_HOST" <&3 >/tmp/rx
	rc=$?
	exec 3>&-
	report RX "$rc" "$(wc -c </tmp/rx)" "$t0" "$(uptime_s)"
	echo "ITSY-NET-RX-SUM $(sha256sum /tmp/rx | cut -d' ' -f1)"
}

# Unbind and bind ours: the device is reset and set up anew.
rebind() {
	_dev=$(basename "$(readlink -f "/sys/class/net/$ours/device")")
	_drv=/sys/bus/virtio/drivers/virtio_net
	_rc=1
	echo "$_dev" >"$_drv/unbind" && echo "$_dev" >"$_drv/bind" && _rc=0
	echo "ITSY-NET-REBIND rc=$_rc"
	_i=0
	while [ ! -e "/sys/class/net/$ours" ] && [ "$_i" -lt 10 ]; do
		sleep 1
		_i=$((_i + 1))
	done
}

ip link set lo up
find_ours
if [ -z "$ours" ]; then
	echo "ITSY-NET-ERROR no interface of ours (have: $(echo /sys/class/net/*))"
	exit 0
fi
bring_up
if ping3 PING; then
	to_host
	from_host
	rebind
	find_ours
	bring_up
	ping3 PING2
fi
grep -i virtio /proc/interrupts | sed 's/^/ITSY-IRQ /'
sed -n "s/^ *$ours: */ITSY-NET-STATS /p" /proc/net/dev
echo ITSY-NET-DONE
