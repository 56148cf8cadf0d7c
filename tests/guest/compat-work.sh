# Guest scenario (itsy.run=compat-work) for scripts/compat-matrix: the work
# of migrate-work.sh (same options, same lines: COUNTER, MEMCHK, DISKCHK,
# NETCHK, IRQ virtio...) plus the guest's view of its CPU:
#   CPUFEATS <words>     once: the "Features" line of /proc/cpuinfo
#   CPUFEAT <md5>        every 5 s: the md5 of that line (as read then)
#   SVE n ok vl=BITS     with SVE, about every second (tests/payload/svecheck.c)
#   CPUIMPL <n>          once: how many CPU implementations the kernel was
#                        told it may run on (KVM's DISCOVER_IMPL hypercalls,
#                        arch/arm64/impl.h), or nothing if it was not told
#   CPUCHK TOKEN ok <md5> | CPUCHK TOKEN BAD <why> | CPUCHK TOKEN none <why>
#       on request: the host that runs the guest serves TOKEN at
#       http://HOST:8001/cpuchk (HOST: itsy.mnet's host address, the
#       guest's tap); for each new TOKEN, CPU 1 is taken offline and
#       brought back, so the kernel reads its ID registers again and
#       compares them with the boot CPU's (the Features line is the boot
#       view and cannot change). BAD: CPU 1 did not come back, or the
#       kernel reported a variation ("SANITY CHECK: ..."), a conflict or a
#       missing capability; the kernel's lines follow.
mnet=10.0.9.15,10.0.9.1
for arg in $(cat /proc/cmdline); do
	case $arg in
	itsy.mnet=*) mnet=${arg#itsy.mnet=} ;;
	esac
done
host=${mnet#*,}

feats() { grep -m1 '^Features' /proc/cpuinfo | sed 's/^Features[[:space:]]*:[[:space:]]*//'; }
fsum() { feats | md5sum | cut -c1-32; }

echo "CPUFEATS $(feats)"
echo "CPUIMPL $(dmesg | sed -n 's/.*Number of target implementation CPUs is \([0-9]*\).*/\1/p' | head -n 1)"
echo "CPUFEAT $(fsum)"
sh /tests/migrate-work.sh &
# With SVE, its registers hold patterns checked every round (svecheck:
# SVE n ok vl=BITS, SVEBAD ...).
grep -qw sve /proc/cpuinfo && svecheck &

# The host's token, empty if none (or no answer).
token() {
	printf 'GET /cpuchk HTTP/1.0\r\n\r\n' | nc -w 2 "$host" 8001 2>/dev/null | tr -d '\r' |
		awk 'NR == 1 && $2 != 200 { exit } body && NF { print $1; exit } /^$/ { body = 1 }'
}

# cpu_check TOKEN: CPU 1 off and on again; one CPUCHK line.
cpu_check() {
	_c=/sys/devices/system/cpu/cpu1/online
	if [ ! -w "$_c" ]; then
		echo "CPUCHK $1 none no CPU 1 to take offline"
		return
	fi
	_n=$(dmesg | wc -l)
	if ! echo 0 >"$_c" 2>/dev/null; then
		echo "CPUCHK $1 none CPU 1 cannot go offline"
		return
	fi
	sleep 1
	echo 1 >"$_c" 2>/dev/null
	_on=$(cat "$_c")
	_k=$(dmesg | tail -n +$((_n + 1)) |
		grep -E 'SANITY CHECK|[Cc]onflict|[Mm]issing|will not boot|failed to come online|failed in unknown state|Unsupported' |
		head -n 4 | sed 's/^\[[ 0-9.]*\] //' | tr '\n' ' ' | tr -s ' ')
	if [ "$_on" != 1 ]; then
		echo "CPUCHK $1 BAD CPU 1 did not come back online: $_k"
	elif [ -n "$_k" ]; then
		echo "CPUCHK $1 BAD $_k"
	else
		echo "CPUCHK $1 ok $(fsum)"
	fi
}

last='' i=0
while [ $i -lt 3600 ]; do
	[ $((i % 5)) -eq 0 ] && echo "CPUFEAT $(fsum)"
	if [ $((i % 2)) -eq 0 ]; then
		t=$(token)
		if [ -n "$t" ] && [ "$t" != "$last" ]; then
			last=$t
			cpu_check "$t"
		fi
	fi
	sleep 1
	i=$((i + 1))
done
