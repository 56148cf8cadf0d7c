# Bad snapshots: a truncated or bit-flipped state file, a missing or
# wrongly sized memory file, or a directory that is no snapshot: each is
# refused by `itsy restore` with a clear message (exit status 1), never a
# crash, and nothing runs. And saving never goes wrong: links planted in
# DIR are not written through, a snapshot that fails (its file system
# full) leaves the old one in DIR whole and no temporary directory, and a
# DIR holding other files is refused and left alone.
# itsy-tests: snapshot-bad-truncated snapshot-bad-bitflip snapshot-bad-memory-missing snapshot-bad-memory-size snapshot-bad-not-a-snapshot snapshot-bad-symlink snapshot-bad-failed-keeps-old snapshot-bad-foreign-dir
. /tests/testlib

GOOD=$WORK/good SYM=$WORK/sym FULL=$WORK/full FOREIGN=$WORK/foreign
HOSTFILE=$WORK/sb-host-file CTL_ERR=$WORK/sbad-ctl.err
umount "$FULL" 2>/dev/null
rm -rf "$GOOD" "$SYM" "$FOREIGN" "$FULL" "$WORK/sb.sock" "$CTL_ERR" "$HOSTFILE" "$HOSTFILE.orig"
OUT=$WORK/sbad.out ERR=$WORK/sbad.err
ctl() { timeout -s KILL 600 "$ITSY" ctl --api-socket "$WORK/sb.sock" "$@" 2>>"$CTL_ERR"; }
inspect_ok() { timeout -s KILL 120 "$ITSY" inspect "$1" >"$WORK/sbad-inspect.txt" 2>&1; }
# leftovers DIR BASE: the temporary directories beside DIR/BASE.
leftovers() { for _d in "$1"/."$2".*; do [ -e "$_d" ] && echo "${_d##*/}"; done; }
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=ticks-long" --mem 192M --api-socket "$WORK/sb.sock" \
	</dev/null >"$OUT" 2>"$ERR" &
pid=$!
wait_for 'ITSY-TICK 2' "$OUT" "$BOOT_TIMEOUT" "$pid"
ctl snapshot "$GOOD" >/dev/null

# Links to a host file planted under every name a snapshot writes (and
# the temporary names older versions used): the snapshot replaces them,
# it never writes through one.
mkdir -p "$SYM"
echo "a host file that must never receive guest RAM" >"$HOSTFILE"
cp "$HOSTFILE" "$HOSTFILE.orig"
for name in .memory.tmp memory state .state.tmp; do
	ln -s "$HOSTFILE" "$SYM/$name"
done
sym=$(ctl snapshot "$SYM"; echo "rc=$?")

# The first snapshot fits in a small file system, a second one does not:
# it fails half-way through the memory file. The guest stays paused after
# a snapshot, so the second one needs as much room as the first.
mkdir -p "$FULL"
full1='' full2='' shrunk='' state_orig=$WORK/sbad-full-state.orig
if mount -t tmpfs -o size=512m tmpfs "$FULL"; then
	full1=$(ctl snapshot "$FULL/snap"; echo "rc=$?")
	used=$(du -sk "$FULL" | cut -f1)
	mount -o remount,size=$((used + used / 2 + 64))k "$FULL" && shrunk=$used
	cp "$FULL/snap/state" "$state_orig" 2>/dev/null
	mem_before=$(md5sum <"$FULL/snap/memory" 2>/dev/null)
	full2=$(ctl snapshot "$FULL/snap"; echo "rc=$?")
fi

# A directory that holds something else is no snapshot to replace.
mkdir -p "$FOREIGN"
echo "notes" >"$FOREIGN/notes.txt"
foreign=$(ctl snapshot "$FOREIGN"; echo "rc=$?")

ctl quit >/dev/null
wait "$pid"

if ! echo "$sym" | grep -q 'rc=0'; then
	fail snapshot-bad-symlink "the snapshot over planted links failed: $sym" "$CTL_ERR" "$ERR"
elif ! cmp -s "$HOSTFILE" "$HOSTFILE.orig"; then
	fail snapshot-bad-symlink "the links' target was written ($(wc -c <"$HOSTFILE") bytes now)" "$ERR"
elif [ -L "$SYM/memory" ] || [ -L "$SYM/state" ] || [ -L "$SYM/.memory.tmp" ] ||
	[ -L "$SYM/.state.tmp" ] || [ ! -f "$SYM/memory" ] || [ ! -f "$SYM/state" ]; then
	fail snapshot-bad-symlink "DIR does not hold the new files: $(ls -la "$SYM" | tr '\n' ' ')"
elif ! inspect_ok "$SYM"; then
	fail snapshot-bad-symlink "itsy inspect refused the new snapshot" "$WORK/sbad-inspect.txt"
else
	pass snapshot-bad-symlink
fi

if [ -z "$full1" ]; then
	fail snapshot-bad-failed-keeps-old "no tmpfs could be mounted at $FULL"
elif ! echo "$full1" | grep -q 'rc=0'; then
	fail snapshot-bad-failed-keeps-old "the first snapshot failed: $full1" "$CTL_ERR" "$ERR"
elif [ -z "$shrunk" ]; then
	fail snapshot-bad-failed-keeps-old "the tmpfs at $FULL could not be shrunk to fill it"
elif ! echo "$full2" | grep -q 'rc=1'; then
	fail snapshot-bad-failed-keeps-old "a snapshot into a full file system did not fail: $full2" "$CTL_ERR"
elif ! cmp -s "$FULL/snap/state" "$state_orig" ||
	[ "$(md5sum <"$FULL/snap/memory" 2>/dev/null)" != "$mem_before" ]; then
	fail snapshot-bad-failed-keeps-old "the old snapshot changed: $(ls -la "$FULL/snap" | tr '\n' ' ')" "$CTL_ERR"
elif [ -n "$(leftovers "$FULL" snap)" ]; then
	fail snapshot-bad-failed-keeps-old "left beside DIR: $(leftovers "$FULL" snap | tr '\n' ' ')"
elif ! inspect_ok "$FULL/snap"; then
	fail snapshot-bad-failed-keeps-old "itsy inspect refused the old snapshot" "$WORK/sbad-inspect.txt"
else
	echo "ITSY-INFO snapshot-bad-failed-keeps-old: ${shrunk} KiB snapshot; $(tail -n 1 "$CTL_ERR")"
	pass snapshot-bad-failed-keeps-old
fi
umount "$FULL" 2>/dev/null

if ! echo "$foreign" | grep -q 'rc=1' || ! grep -q 'no snapshot to replace' "$CTL_ERR"; then
	fail snapshot-bad-foreign-dir "a directory holding other files was not refused: $foreign" "$CTL_ERR"
elif [ "$(ls -A "$FOREIGN")" != notes.txt ] || ! grep -qx notes "$FOREIGN/notes.txt"; then
	fail snapshot-bad-foreign-dir "the directory was changed: $(ls -A "$FOREIGN" | tr '\n' ' ')"
elif [ -n "$(leftovers "$WORK" foreign)" ]; then
	fail snapshot-bad-foreign-dir "a temporary directory was left in $WORK"
else
	pass snapshot-bad-foreign-dir
fi

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
