# A --pmu guest keeps its PMU counters and their configuration: a cycle
# count the guest reads every second (tests/payload/pmucount.c) goes on
# growing, never back and by no absurd jump, after
#  pmu-snapshot   a snapshot and a restore
#  pmu-migrate    then a live migration over loopback
# itsy-tests: pmu-snapshot pmu-migrate
. /tests/testlib
. /tests/miglib

SNAP=$WORK/pmusnap SECRET=$WORK/pmu.secret S1=$WORK/pmu1.sock S2=$WORK/pmu2.sock
rm -rf "$SNAP" "$S1" "$S2"
mig_secret "$SECRET"

# The COUNT of the last whole "PMU n COUNT DELTA" line of FILE (its last
# line may be half written).
last_count() { console "$1" | sed '$d' | awk '$1 == "PMU" && $2 ~ /^[0-9]+$/ { c = $3 } END { print c }'; }

# pmu_ok FILE MARK PREV PID: within 90 s, 3 whole PMU lines after line MARK;
# no COUNT below PREV or the one before, no DELTA above 10^12 (cycles a
# second: a counter that restarted reads as a wrap of about 2^64), and
# at least 2 that grew. Sets WHY.
pmu_ok() {
	_w=0
	while [ "$_w" -lt 90 ]; do
		WHY=$(console "$1" | sed '$d' | awk -v mark="$2" -v prev="$3" '
			NR > mark && $1 == "PMU" && $2 ~ /^[0-9]+$/ {
				n++
				if (bad == "" && $3 + 0 < prev + 0) bad = "the count went back from " prev " to " $3
				if (bad == "" && $4 + 0 > 1e12) bad = "the count jumped by " $4 " in a second"
				if ($4 + 0 > 0) grew++
				prev = $3
			}
			$1 == "PMU" && $2 == "none" { bad = "the guest has no PMU counter: " $0 }
			END {
				if (bad != "") print bad
				else if (n < 3 || grew < 2) print "wait " n " lines, " grew + 0 " grew"
			}')
		case $WHY in wait*) ;; *) [ -z "$WHY" ]; return ;; esac
		kill -0 "$4" 2>/dev/null || break
		sleep 1
		_w=$((_w + 1))
	done
	WHY="after 90 s, $WHY (the counter stopped?)"
	return 1
}

OUT=$WORK/pmu-src.out ERR=$WORK/pmu-src.err
timeout -s KILL 900 "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" --mem 192M --pmu \
	--cmdline "$GUEST_CMDLINE itsy.run=pmustate" --api-socket "$S1" </dev/null >"$OUT" 2>"$ERR" &
pid=$!
if ! wait_for '^PMU (4 |none)' "$OUT" "$BOOT_TIMEOUT" "$pid" || seen '^PMU none' "$OUT"; then
	fail pmu-snapshot "the guest never counted cycles" "$OUT" "$ERR"
	fail pmu-migrate "no guest"
	stop_vm "$pid" "$S1"
	exit 0
fi
"$ITSY" ctl --api-socket "$S1" snapshot "$SNAP" >"$WORK/pmu-snap.txt" 2>&1
before=$(last_count "$OUT")
stop_vm "$pid" "$S1"

OUT=$WORK/pmu-restored.out ERR=$WORK/pmu-restored.err
timeout -s KILL 900 "$ITSY" restore --from "$SNAP" --api-socket "$S2" </dev/null >"$OUT" 2>"$ERR" &
pid=$!
if pmu_ok "$OUT" 0 "$before" "$pid"; then
	pass pmu-snapshot
else
	fail pmu-snapshot "after the restore (count $before at the snapshot): $WHY" "$OUT" "$ERR" "$WORK/pmu-snap.txt"
fi
rm -rf "$SNAP"

before=$(last_count "$OUT")
if ! mig_local pmu "$S2" 7831 "$SECRET"; then
	fail pmu-migrate "$WHY" ${CTL:+"$CTL"} "$RCV_ERR"
elif pmu_ok "$RCV_OUT" 0 "$before" "$RCV_PID"; then
	pass pmu-migrate
else
	fail pmu-migrate "on the destination (count about $before before): $WHY" "$RCV_OUT" "$RCV_ERR"
fi
stop_vm "$pid" "$S2"
stop_vm "$RCV_PID" "$RCV_SOCK"
