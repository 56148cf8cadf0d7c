# SVE, where the host has it: a guest program (tests/payload/svecheck.c)
# holds patterns in every Z and P register and FFR at its longest vector
# length and checks them every round.
#  sve-guest     by default the guest has SVE and its registers hold
#  sve-pinned    --sve-vl 256 (128 on a host without 256): the guest's
#                longest length is that
#  sve-snapshot  (pinned) after a snapshot and a restore the registers
#                hold, at the same length
#  sve-migrate   then after a live migration over loopback
# A host without SVE (KVM_CAP_ARM_SVE) passes them all, saying so.
# itsy-tests: sve-guest sve-pinned sve-snapshot sve-migrate
. /tests/testlib
. /tests/miglib

ALL="sve-guest sve-pinned sve-snapshot sve-migrate"
SNAP=$WORK/svesnap SECRET=$WORK/sve.secret S1=$WORK/sve1.sock S2=$WORK/sve2.sock
rm -rf "$SNAP" "$S1" "$S2"
mig_secret "$SECRET"
if ! grep -qw sve /proc/cpuinfo; then
	for t in $ALL; do
		echo "ITSY-INFO $t: this host's CPU has no SVE"
		pass "$t"
	done
	exit 0
fi

# start NAME SOCK ITSY-ARGS...: itsy in the background (PID, OUT, ERR).
start() {
	_n=$1 _s=$2
	shift 2
	OUT=$WORK/$_n.out ERR=$WORK/$_n.err
	timeout -s KILL 900 "$ITSY" "$@" --api-socket "$_s" </dev/null >"$OUT" 2>"$ERR" &
	PID=$!
}

# sve_ok FILE MARK VL PID: within 120 s, 3 rounds after line MARK said ok
# at VL bits (any, if empty), and none went bad. Sets WHY.
sve_ok() {
	_w=0
	while [ "$_w" -lt 120 ]; do
		_bad=$(console "$1" | tail -n +$(($2 + 1)) | grep -m1 -E '^(SVEBAD|SVE none)')
		if [ -n "$_bad" ]; then
			WHY="the guest found: $_bad"
			return 1
		fi
		_ok=$(console "$1" | tail -n +$(($2 + 1)) | grep -cE "^SVE [0-9]+ ok vl=${3:-[0-9]+}\$")
		[ "$_ok" -ge 3 ] && return 0
		kill -0 "$4" 2>/dev/null || break
		sleep 1
		_w=$((_w + 1))
	done
	WHY="$_ok rounds held at vl=${3:-any} after line $2 (last: $(console "$1" | grep '^SVE' | tail -n 1))"
	return 1
}

LENGTHS=$("$ITSY" host-profile 2>&1 | sed -n 's/^SVE vector lengths *//p' | head -n 1)
echo "ITSY-INFO sve-host: SVE vector lengths $LENGTHS"
PIN=128
case " $LENGTHS " in *" 256 "*) PIN=256 ;; esac
ARGS="--kernel $KERNEL --initrd $INITRD --mem 192M"
start sve-guest "$S1" run $ARGS --cmdline "$GUEST_CMDLINE itsy.run=svecheck"
if sve_ok "$OUT" 0 "" "$PID"; then
	echo "ITSY-INFO sve-guest: $(console "$OUT" | grep -m1 '^SVE vl=')"
	pass sve-guest
else
	fail sve-guest "$WHY" "$OUT" "$ERR"
fi
stop_vm "$PID" "$S1"

start sve-pinned "$S1" run $ARGS --cmdline "$GUEST_CMDLINE itsy.run=svecheck" --sve-vl "$PIN"
if sve_ok "$OUT" 0 "$PIN" "$PID"; then
	pass sve-pinned
else
	fail sve-pinned "$WHY" "$OUT" "$ERR"
fi

"$ITSY" ctl --api-socket "$S1" snapshot "$SNAP" >"$WORK/sve-snap.txt" 2>&1
stop_vm "$PID" "$S1"
start sve-restored "$S2" restore --from "$SNAP"
if sve_ok "$OUT" 0 "$PIN" "$PID"; then
	pass sve-snapshot
else
	fail sve-snapshot "after the restore: $WHY" "$OUT" "$ERR" "$WORK/sve-snap.txt"
fi
rm -rf "$SNAP"

if ! mig_local sve "$S2" 7832 "$SECRET"; then
	fail sve-migrate "$WHY" ${CTL:+"$CTL"} "$RCV_ERR"
elif sve_ok "$RCV_OUT" 0 "$PIN" "$RCV_PID"; then
	pass sve-migrate
else
	fail sve-migrate "on the destination: $WHY" "$RCV_OUT" "$RCV_ERR"
fi
stop_vm "$PID" "$S2"
stop_vm "$RCV_PID" "$RCV_SOCK"
