# Guest time across a snapshot that spent a while on disk: by default the
# guest's clocks catch up (its wall clock matches the host's again, and its
# uptime does not go backwards); with --freeze-time they resume where they
# stopped (the wall clock lags by the time on disk).
# itsy-hosts: every
# itsy-tests: snapshot-time-catch-up snapshot-time-freeze
. /tests/testlib

SNAP=$WORK/tsnap ON_DISK=8
rm -rf "$SNAP" "$WORK"/t?.sock
OUT=$WORK/tclock.out ERR=$WORK/tclock.err
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=clock" --mem 192M --api-socket "$WORK/t1.sock" \
	</dev/null >"$OUT" 2>"$ERR" &
pid=$!
wait_for 'ITSY-CLOCK 3 ' "$OUT" "$BOOT_TIMEOUT" "$pid"
"$ITSY" ctl --api-socket "$WORK/t1.sock" snapshot "$SNAP" >/dev/null 2>&1
"$ITSY" ctl --api-socket "$WORK/t1.sock" quit >/dev/null 2>&1
wait "$pid"
last() { console "$1" | grep '^ITSY-CLOCK' | tail -n 1; }
set -- $(last "$OUT")
at=$2 uptime_saved=${4%.*}
sleep "$ON_DISK"

# restore NAME [--freeze-time]: prints "guest_wall host_wall guest_uptime".
restore() {
	name=$1
	shift
	OUT=$WORK/$name.out ERR=$WORK/$name.err
	timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" restore --from "$SNAP" --api-socket "$WORK/t2.sock" "$@" \
		</dev/null >"$OUT" 2>"$ERR" &
	pid=$!
	wait_for "ITSY-CLOCK $((at + 2)) " "$OUT" 120 "$pid"
	host=$(date +%s)
	"$ITSY" ctl --api-socket "$WORK/t2.sock" quit >/dev/null 2>&1
	wait "$pid"
	set -- $(last "$OUT")
	echo "${3:-0} $host ${4%.*}"
}

set -- $(restore snapshot-time-catch-up)
echo "ITSY-INFO snapshot-time-catch-up: guest wall $1, host wall $2, uptime $uptime_saved -> $3"
if [ $(( $2 - $1 )) -gt 3 ] || [ $(( $1 - $2 )) -gt 3 ]; then
	fail snapshot-time-catch-up "guest wall clock $1 is off the host's $2 after the restore" "$WORK/snapshot-time-catch-up.out"
elif [ "$3" -lt $((uptime_saved + ON_DISK)) ]; then
	fail snapshot-time-catch-up "guest uptime $3 did not catch up (saved at $uptime_saved, $ON_DISK s on disk)"
else
	pass snapshot-time-catch-up
fi

set -- $(restore snapshot-time-freeze --freeze-time)
echo "ITSY-INFO snapshot-time-freeze: guest wall $1, host wall $2, uptime $uptime_saved -> $3"
# Frozen: the guest lost at least the time the snapshot spent on disk.
if [ $(( $2 - $1 )) -lt $((ON_DISK - 2)) ]; then
	fail snapshot-time-freeze "guest wall clock $1 is not behind the host's $2 as frozen time should be" "$WORK/snapshot-time-freeze.out"
elif [ "$3" -lt "$uptime_saved" ]; then
	fail snapshot-time-freeze "guest uptime went backwards ($uptime_saved -> $3)"
else
	pass snapshot-time-freeze
fi
