# Bad snapshots: a truncated or bit-flipped state file, a missing or
# wrongly sized memory file, or a directory that is no snapshot: each is
# refused by `itsy restore` with a clear message (exit status 1), never a
# crash, and nothing runs.
# itsy-tests: snapshot-bad-truncated snapshot-bad-bitflip snapshot-bad-memory-missing snapshot-bad-memory-size snapshot-bad-not-a-snapshot
. /tests/testlib

GOOD=$WORK/good
rm -rf "$GOOD" "$WORK/sb.sock"
OUT=$WORK/sbad.out ERR=$WORK/sbad.err
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=ticks-long" --mem 128M --api-socket "$WORK/sb.sock" \
	</dev/null >"$OUT" 2>"$ERR" &
pid=$!
wait_for 'ITSY-TICK 2' "$OUT" "$BOOT_TIMEOUT" "$pid"
"$ITSY" ctl --api-socket "$WORK/sb.sock" snapshot "$GOOD" >/dev/null 2>&1
"$ITSY" ctl --api-socket "$WORK/sb.sock" quit >/dev/null 2>&1
wait "$pid"

# bad NAME DIR NEEDLE: restoring DIR fails with 1 and NEEDLE in stderr.
bad() {
	run_itsy_restore "$1" "$2"
	if [ "$RC" -ne 1 ]; then
		fail "$1" "restore: $(describe_rc "$RC"), want exit status 1" "$OUT" "$ERR"
	elif ! grep -q "$3" "$ERR"; then
		fail "$1" "the error does not mention '$3'" "$ERR"
	else
		echo "ITSY-INFO $1: $(lastlines "$ERR" 1)"
		pass "$1"
	fi
}
run_itsy_restore() {
	OUT=$WORK/$1.out ERR=$WORK/$1.err
	timeout -s KILL 120 "$ITSY" restore --from "$2" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
}
copy() { rm -rf "$1"; mkdir -p "$1"; cp "$GOOD/state" "$1/state"; cp "$GOOD/memory" "$1/memory"; }

if [ ! -f "$GOOD/state" ]; then
	fail snapshot-bad-truncated "no snapshot to corrupt" "$OUT" "$ERR"
	exit 0
fi
size=$(wc -c <"$GOOD/state")

copy "$WORK/trunc"
head -c $((size / 2)) "$GOOD/state" >"$WORK/trunc/state"
bad snapshot-bad-truncated "$WORK/trunc" "refused"

copy "$WORK/flip"
printf '\377' | dd of="$WORK/flip/state" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
bad snapshot-bad-bitflip "$WORK/flip" "CRC"

copy "$WORK/nomem"
rm "$WORK/nomem/memory"
bad snapshot-bad-memory-missing "$WORK/nomem" "memory"

copy "$WORK/shortmem"
truncate -s 1M "$WORK/shortmem/memory"
bad snapshot-bad-memory-size "$WORK/shortmem" "bytes of RAM"

mkdir -p "$WORK/empty"
bad snapshot-bad-not-a-snapshot "$WORK/empty" "snapshot directory"
