# Guest scenario (itsy.run=migrate-work) for the live migration tests
# (tests/integration/migrate.sh, tests/integration/xmig-step, the bench):
# work whose every part shows whether the guest came through a migration
# whole. Kernel command line options:
#   itsy.mw=MB,RATE[,N]     memwriter's size (MiB) and dirty rate (MiB/s),
#                           default 192,0; N memwriters (default 1), each
#                           with its own MB and RATE
#   itsy.mnet=GUEST,HOST    the NIC's address (/24) and the host's tap
#                           address to ping, default 10.0.9.15,10.0.9.1
# What runs, and what it prints:
#  - memwriter MB RATE: MEMWRITER ready, COUNTER n and MEMCHK ok|BAD each
#    second, TIMEBACK if a clock goes back (tests/payload/memwriter.c);
#  - with a vsock device, an echo server on port 1234, restarted after each
#    connection (vsock-echo);
#  - every round (about every 2 s), with round number n:
#      DISKCHK ok n=N [verified=K] | DISKCHK BAD n=N ...   a 64 KiB block of
#          random data is written to /dev/vda (O_DIRECT) and read back; every
#          5 rounds all blocks written so far are read back and checked
#          against the sums kept in RAM (DISKCHK none: no disk)
#      NETCHK ok n=N | NETCHK BAD n=N   one ping to the host (NETCHK none:
#          no NIC)
#      IRQ virtio N     the ITS MSI interrupts of the virtio devices so far,
#          all CPUs summed
#      STEAL N          the steal column of /proc/stat (1/100 s): with PV
#          stolen time (pvtime=yes in the MIGWORK line) it must never go
#          back, whatever host the guest is on
# MIGWORK ready is printed once everything is started. Runs until the VM
# is ended (about an hour at most).
mw=192,0 mnet=10.0.9.15,10.0.9.1 blocks=32
for arg in $(cat /proc/cmdline); do
	case $arg in
	itsy.mw=*) mw=${arg#itsy.mw=} ;;
	itsy.mnet=*) mnet=${arg#itsy.mnet=} ;;
	esac
done
IFS=, read -r mb rate nmw <<EOF
$mw
EOF
me=${mnet%,*} host=${mnet#*,}

i=0
while [ $i -lt "${nmw:-1}" ]; do
	memwriter "$mb" "$rate" &
	i=$((i + 1))
done

if [ -e /dev/vsock ]; then
	(while true; do vsock-echo listen 1234 >/dev/null 2>&1 || sleep 1; done) &
fi

ip link set lo up
dev=''
for i in /sys/class/net/eth*; do
	[ -e "$i" ] && dev=${i##*/} && break
done
if [ -n "$dev" ]; then
	ip addr add "$me/24" dev "$dev"
	ip link set "$dev" up
fi

disk=/dev/vda
[ -b "$disk" ] || disk=''
mkdir -p /tmp/dsum

# disk_round N: write block N % blocks and read it back; check them all
# every 5 rounds. One DISKCHK line.
disk_round() {
	_b=$(($1 % blocks))
	dd if=/dev/urandom of=/tmp/dblk bs=64k count=1 2>/dev/null
	_want=$(sha256sum </tmp/dblk)
	if ! dd if=/tmp/dblk of="$disk" bs=64k seek="$_b" count=1 oflag=direct conv=notrunc 2>/dev/null; then
		echo "DISKCHK BAD n=$1 block=$_b write failed"
		return
	fi
	echo "$_want" >"/tmp/dsum/$_b"
	_got=$(dd if="$disk" bs=64k skip="$_b" count=1 iflag=direct 2>/dev/null | sha256sum)
	if [ "$_got" != "$_want" ]; then
		echo "DISKCHK BAD n=$1 block=$_b read back differs"
		return
	fi
	[ $(($1 % 5)) -eq 0 ] || { echo "DISKCHK ok n=$1"; return; }
	_k=0
	for _f in /tmp/dsum/*; do
		_b=${_f##*/}
		_got=$(dd if="$disk" bs=64k skip="$_b" count=1 iflag=direct 2>/dev/null | sha256sum)
		if [ "$_got" != "$(cat "$_f")" ]; then
			echo "DISKCHK BAD n=$1 block=$_b verify differs"
			return
		fi
		_k=$((_k + 1))
	done
	echo "DISKCHK ok n=$1 verified=$_k"
}

# The virtio devices' MSIs (lines naming ITS and virtio), every CPU column.
irqs() {
	grep -E 'ITS.*virtio' /proc/interrupts | awk '{
		for (k = 2; k <= NF && $k ~ /^[0-9]+$/; k++) s += $k
	} END { print s + 0 }'
}

# /proc/stat's steal, in 1/100 s.
steal() {
	set -- $(head -n 1 /proc/stat)
	echo "$9"
}
pv=no
dmesg | grep -q 'stolen time PV' && pv=yes

echo "MIGWORK ready pvtime=$pv mb=$mb rate=$rate memwriters=${nmw:-1} disk=${disk:-none} nic=${dev:-none} me=$me host=$host"
n=0
while [ $n -lt 1800 ]; do
	n=$((n + 1))
	if [ -n "$disk" ]; then disk_round $n; else echo "DISKCHK none"; fi
	if [ -z "$dev" ]; then
		echo "NETCHK none"
	elif ping -c 1 -W 2 "$host" >/dev/null 2>&1; then
		echo "NETCHK ok n=$n"
	else
		echo "NETCHK BAD n=$n"
	fi
	echo "IRQ virtio $(irqs)"
	echo "STEAL $(steal)"
	sleep 1
done
