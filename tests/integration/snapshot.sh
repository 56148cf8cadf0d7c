# Snapshot and restore: a 2-vCPU guest that prints numbered ticks is
# snapshotted through the API socket (A), resumed, snapshotted again (B),
# and its itsy is ended. New itsys restore A once and B twice: each time
# the ticks go on from where that snapshot was.
# itsy-hosts: every
# itsy-tests: snapshot-restore snapshot-resume-snapshot snapshot-restore-twice snapshot-devices
. /tests/testlib

SNAP=$WORK/snap
ctl() { "$ITSY" ctl --api-socket "$1" "$2" $3 2>>"$WORK/snapctl.err"; }
last_tick() { console "$1" | sed -n 's/^ITSY-TICK \([0-9]*\).*/\1/p' | tail -n 1; }

rm -rf "$SNAP" "$SNAP.b" "$WORK"/s?.sock
OUT=$WORK/snap1.out ERR=$WORK/snap1.err
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=ticks-long" --cpus 2 --mem 256M \
	--api-socket "$WORK/s1.sock" </dev/null >"$OUT" 2>"$ERR" &
pid=$!
if ! wait_for 'ITSY-TICK 3' "$OUT" "$BOOT_TIMEOUT" "$pid"; then
	kill -9 "$pid" 2>/dev/null
	fail snapshot-restore "the guest never ticked" "$OUT" "$ERR"
	exit 0
fi
snap=$(ctl "$WORK/s1.sock" snapshot "$SNAP")
at_a=$(last_tick "$OUT")
ctl "$WORK/s1.sock" resume >/dev/null
wait_for "ITSY-TICK $((at_a + 3))" "$OUT" 60 "$pid"
snap_b=$(ctl "$WORK/s1.sock" snapshot "$SNAP.b")
at_b=$(last_tick "$OUT")
ctl "$WORK/s1.sock" quit >/dev/null
wait "$pid"
echo "ITSY-INFO snapshot: A $snap at tick $at_a, B $snap_b at tick $at_b;" \
	"$(du -k "$SNAP/memory" | cut -f1) KiB of memory file on disk for 256 MiB"

# restore NAME DIR AT: a new itsy from DIR must tick on from tick AT.
restore() {
	name=$1 OUT=$WORK/$1.out ERR=$WORK/$1.err at=$3
	timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" restore --from "$2" \
		--api-socket "$WORK/s2.sock" </dev/null >"$OUT" 2>"$ERR" &
	pid=$!
	if wait_for "ITSY-TICK $((at + 3))" "$OUT" 120 "$pid"; then
		ctl "$WORK/s2.sock" quit >/dev/null
		wait "$pid"
		first=$(console "$OUT" | sed -n 's/^ITSY-TICK \([0-9]*\).*/\1/p' | head -n 1)
		if [ "$first" = $((at + 1)) ] || [ "$first" = "$at" ]; then
			pass "$name"
		else
			fail "$name" "ticks resumed at $first, the snapshot was at $at" "$OUT" "$ERR"
		fi
	else
		kill -9 "$pid" 2>/dev/null
		wait "$pid"
		fail "$name" "the restored guest did not tick on past $at" "$OUT" "$ERR"
	fi
}

if ! echo "$snap" | grep -q '"ok":true' || ! echo "$snap_b" | grep -q '"ok":true'; then
	fail snapshot-restore "snapshot failed: $snap / $snap_b" "$WORK/snapctl.err" "$ERR"
	exit 0
fi
restore snapshot-restore "$SNAP" "$at_a"
restore snapshot-resume-snapshot "$SNAP.b" "$at_b"
restore snapshot-restore-twice "$SNAP.b" "$at_b"

# With virtio devices: a guest doing disk and entropy I/O and serving vsock
# is snapshotted and restored; its work goes on (each completion is an MSI
# through the restored ITS), the interrupt counts keep growing, the disk
# data the guest checks keeps matching, and a new vsock connection from the
# host works (vhost-vsock is given the saved ring positions).
DISK=$WORK/snapdisk.img
rm -rf "$SNAP" "$WORK"/s?.sock
dd if=/dev/zero of="$DISK" bs=1M count=32 2>/dev/null
name=snapshot-devices OUT=$WORK/snapdev1.out ERR=$WORK/snapdev1.err
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=snapshot-work" --cpus 2 --mem 256M --disk "$DISK" --rng \
	--vsock cid=5 \
	--api-socket "$WORK/s1.sock" </dev/null >"$OUT" 2>"$ERR" &
pid=$!
if ! wait_for 'ITSY-WORK 3 ok' "$OUT" "$BOOT_TIMEOUT" "$pid"; then
	kill -9 "$pid" 2>/dev/null
	fail "$name" "the guest's I/O never got going" "$OUT" "$ERR"
	exit 0
fi
echo_before=$(timeout 60 vsock-echo connect 5 1234 before-snapshot 2>&1)
snap=$(ctl "$WORK/s1.sock" snapshot "$SNAP")
ctl "$WORK/s1.sock" quit >/dev/null
wait "$pid"
work() { console "$1" | sed -n 's/^ITSY-WORK \([0-9]*\) ok irqs=\([0-9]*\)/\1 \2/p' | tail -n 1; }
set -- $(work "$OUT")
at=$1 irqs_before=$2
OUT=$WORK/snapdev2.out ERR=$WORK/snapdev2.err
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" restore --from "$SNAP" --api-socket "$WORK/s2.sock" \
	</dev/null >"$OUT" 2>"$ERR" &
pid=$!
if wait_for "ITSY-WORK $((at + 3)) " "$OUT" 120 "$pid"; then
	echo_after=$(timeout 60 vsock-echo connect 5 1234 after-restore 2>&1)
	ctl "$WORK/s2.sock" quit >/dev/null
	wait "$pid"
	set -- $(work "$OUT")
	echo "ITSY-INFO $name: $snap; round $at irqs $irqs_before -> round $1 irqs $2;" \
		"vsock: [$echo_before] [$echo_after]"
	if seen 'ITSY-WORK [0-9]* BAD' "$OUT"; then
		fail "$name" "guest I/O went wrong after the restore" "$OUT" "$ERR"
	elif [ "${2:-0}" -le "$irqs_before" ]; then
		fail "$name" "virtio interrupt counts did not grow ($irqs_before -> $2)" "$OUT" "$ERR"
	elif ! echo "$echo_before" | grep -q "before-snapshot" || ! echo "$echo_after" | grep -q "after-restore"; then
		fail "$name" "vsock round trip failed: before [$echo_before] after [$echo_after]" "$OUT" "$ERR"
	else
		pass "$name"
	fi
else
	kill -9 "$pid" 2>/dev/null
	wait "$pid"
	fail "$name" "the restored guest's I/O did not go on past round $at" "$OUT" "$ERR"
fi
