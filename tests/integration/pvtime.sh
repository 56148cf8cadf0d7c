# PV stolen time: the guest uses it, and not with --no-pvtime; its steal
# stays about 0 while its vCPU thread has a host CPU to itself and grows
# while a busy process competes for that CPU; across a snapshot and
# restore it keeps counting and never goes backwards; `itsy inspect`
# shows each vCPU's structure.
# itsy-tests: pvtime-off pvtime-guest pvtime-steal pvtime-snapshot
. /tests/testlib

CPU=1	# the host CPU the guest and the hog share (the script runs elsewhere)
SNAP=$WORK/pvsnap SOCK=$WORK/pv.sock WINDOW=12
rm -rf "$SNAP" "$SOCK"

# The last "N STEAL" the guest printed in FILE (not on its last line,
# which may be half written).
last_steal() { console "$1" | sed '$d' | grep '^ITSY-STEAL ' | tail -n 1 | cut -d' ' -f2,3; }

# start NAME ITSY-ARGS...: itsy pinned to $CPU, in the background (PID).
start() {
	_n=$1
	shift
	OUT=$WORK/$_n.out ERR=$WORK/$_n.err
	rm -f "$SOCK"
	timeout -s KILL 900 taskset -c "$CPU" "$ITSY" "$@" --api-socket "$SOCK" \
		</dev/null >"$OUT" 2>"$ERR" &
	PID=$!
}

stop() {
	"$ITSY" ctl --api-socket "$SOCK" quit >/dev/null 2>&1
	wait "$PID" 2>/dev/null
}

# window: the steal the guest counted over $WINDOW host seconds, in 1/100 s
# (STEAL_DELTA), and the first and last values seen (STEAL0, STEAL1).
window() {
	_n0=$(last_steal "$OUT" | cut -d' ' -f1)
	wait_for "ITSY-STEAL $((_n0 + 1)) " "$OUT" 120 "$PID"
	STEAL0=$(last_steal "$OUT" | cut -d' ' -f2)
	sleep "$WINDOW"
	STEAL1=$(last_steal "$OUT" | cut -d' ' -f2)
	STEAL_DELTA=$((STEAL1 - STEAL0))
}

hog_on() { taskset -c "$CPU" sh -c 'while :; do :; done' & HOG=$!; }
hog_off() { kill "$HOG" 2>/dev/null; wait "$HOG" 2>/dev/null; }

echo "ITSY-INFO pvtime: $("$ITSY" host-profile 2>&1 | grep -m1 'PV stolen-time')"

# --- off: no PV time when asked not to ---
start pvtime-off run --kernel "$KERNEL" --initrd "$INITRD" --mem 192M \
	--cmdline "$GUEST_CMDLINE itsy.run=steal" --no-pvtime
if wait_for 'ITSY-PVTIME (yes|no)' "$OUT" "$BOOT_TIMEOUT" "$PID" && seen 'ITSY-PVTIME no' "$OUT"; then
	pass pvtime-off
else
	fail pvtime-off "with --no-pvtime the guest did not say it has no stolen time" "$OUT" "$ERR"
fi
stop

# --- the guest uses it, and its steal follows contention ---
start pvtime run --kernel "$KERNEL" --initrd "$INITRD" --mem 192M \
	--cmdline "$GUEST_CMDLINE itsy.run=steal"
if ! wait_for 'ITSY-STEAL 3 ' "$OUT" "$BOOT_TIMEOUT" "$PID"; then
	fail pvtime-guest "the guest never printed its steal" "$OUT" "$ERR"
	fail pvtime-steal "no guest" 
	fail pvtime-snapshot "no guest"
	stop
	exit 0
fi
if seen 'ITSY-PVTIME yes' "$OUT"; then
	pass pvtime-guest
else
	fail pvtime-guest "the guest does not use PV stolen time (dmesg has no 'stolen time PV')" "$OUT" "$ERR"
fi
window
alone=$STEAL_DELTA
hog_on
window
shared=$STEAL_DELTA
echo "ITSY-INFO pvtime-steal: over ${WINDOW}s, alone $alone, sharing its CPU $shared (1/100 s)"
# Alone: under a tenth of the window; shared: over a fifth of it (an even
# share of the CPU gives about half).
if [ "$alone" -ge $((WINDOW * 10)) ] || [ "$alone" -lt 0 ]; then
	fail pvtime-steal "steal grew by $alone/100 s in ${WINDOW}s while the vCPU had its CPU to itself" "$OUT"
elif [ "$shared" -le $((WINDOW * 20)) ]; then
	fail pvtime-steal "steal grew by only $shared/100 s in ${WINDOW}s while a busy process shared the vCPU's CPU" "$OUT"
else
	pass pvtime-steal
fi

# --- across a snapshot and restore (the hog still running) ---
# What the guest printed before the snapshot: the restored guest can only
# be past it (the source runs on a little after the snapshot).
saved=$(last_steal "$OUT" | cut -d' ' -f2)
"$ITSY" ctl --api-socket "$SOCK" snapshot "$SNAP" >"$WORK/pv-snap.txt" 2>&1
stop
echo "ITSY-INFO pvtime-snapshot: before: $(console "$OUT" | grep '^ITSY-STEAL ' | tail -n 12 | cut -d' ' -f2,3 | tr '\n' ' ')"
ins=$("$ITSY" inspect "$SNAP" 2>&1)
stolen_ns=$("$ITSY" inspect "$SNAP" --json 2>/dev/null | tr -d ' \n' | sed -n 's/.*"stolen_ns":\([0-9]*\).*/\1/p')
start pvtime-restored restore --from "$SNAP"
# Three lines from the restored guest.
i=0
while [ "$(console "$OUT" | grep -c '^ITSY-STEAL ')" -lt 3 ] && [ $i -lt 120 ] && kill -0 "$PID" 2>/dev/null; do
	sleep 1
	i=$((i + 1))
done
first=$(console "$OUT" | grep '^ITSY-STEAL ' | head -n 1 | cut -d' ' -f3)
window
hog_off
stop
echo "ITSY-INFO pvtime-snapshot: after the restore: $(console "$OUT" | grep '^ITSY-STEAL ' | head -n 12 | cut -d' ' -f2,3 | tr '\n' ' ')"
echo "ITSY-INFO pvtime-snapshot: saved at $saved, inspect says ${stolen_ns:-?} ns, first after restore $first, then $STEAL0 -> $STEAL1"
if ! echo "$ins" | grep -q 'stolen time [0-9]* ns (structure at 0x09100000'; then
	fail pvtime-snapshot "itsy inspect does not show vCPU 0's stolen-time structure: $(echo "$ins" | grep -i -m1 -e stolen -e vcpu)" "$WORK/pv-snap.txt"
elif [ -z "$first" ] || [ "$first" -lt "$saved" ] || [ "$STEAL0" -lt "$first" ]; then
	fail pvtime-snapshot "steal went backwards: ${saved:-none} before the snapshot, ${first:-none} after the restore, then ${STEAL0:-none}" "$OUT" "$ERR"
elif [ "$STEAL_DELTA" -le $((WINDOW * 20)) ]; then
	fail pvtime-snapshot "after the restore steal grew by only $STEAL_DELTA/100 s in ${WINDOW}s while a busy process shared the vCPU's CPU" "$OUT" "$ERR"
else
	pass pvtime-snapshot
fi
rm -rf "$SNAP"
