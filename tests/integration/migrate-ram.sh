# The destination's RAM equals the source's: a guest busy with memory,
# disk and pings migrates over loopback, three hops, with
# ITSY_MIGRATE_DUMP set, which makes both ends write guest RAM as they hold
# it when the final state goes; any page the dirty tracking missed differs.
#  migrate-ram-identical   the two images are byte for byte equal, and the
#                          guest runs on whole
# itsy-tests: migrate-ram-identical
. /tests/testlib
. /tests/miglib

name=migrate-ram-identical
SECRET=$WORK/ram.secret DISK=$WORK/ram.disk DUMP=$WORK/dump CID=23
mkdir -p "$DUMP"
rm -f "$DUMP"/*.ram
mig_secret "$SECRET"
dd if=/dev/zero of="$DISK" bs=1M count=16 2>/dev/null
if ! mig_tap; then
	fail $name "cannot make the tap $MIG_TAP"
	exit 0
fi
export ITSY_MIGRATE_DUMP=$DUMP
# A gentle writer (1 MiB/s): the loopback link may carry only 6 MB/s on a
# busy machine, and this test is about identity, not convergence. 192 MiB:
# the 7.3 guest kernel hangs before its console comes up in 128.
mig_guest ram-src 32,1 --mem 192M --disk "$DISK" --net "tap=$MIG_TAP,mac=$MIG_GUEST_MAC" \
	--vsock "cid=$CID"
if ! mig_ready "$SRC_OUT" "$SRC_PID" net; then
	fail $name "$WHY" "$SRC_OUT" "$SRC_ERR"
	stop_vm "$SRC_PID" "$SRC_SOCK"
	exit 0
fi
# No vsock traffic while pre-copy runs: vhost-vsock logs its used ring
# but not the payload it writes into the guest's buffers, so such pages can
# arrive stale (this test once found 12 of them); see README.
if ! mig_receive ram-dst1 "127.0.0.1:7821" --secret-file "$SECRET"; then
	fail $name "$WHY" "$RCV_ERR"
	stop_vm "$RCV_PID" "$RCV_SOCK"
	stop_vm "$SRC_PID" "$SRC_SOCK"
	exit 0
fi
C0=$(last_num COUNTER "$SRC_OUT")
# ram_diff N: what differs, for the log: per page, how many bytes and
# where, and the first 64 bytes from the first difference on each side
# (what the page holds tells who wrote it: a frame, a vsock packet, ...).
ram_diff() {
	cmp -l "$DUMP/src.ram" "$DUMP/dst.ram" 2>/dev/null | awk '{
		p = int(($1 - 1) / 4096)
		if (!(p in n)) { order[++np] = p; first[p] = $1 - 1 }
		n[p]++; last[p] = $1 - 1
	} END {
		printf "%d pages differ\n", np
		for (i = 1; i <= np && i <= 24; i++) { p = order[i]
			printf "page %x: %d bytes in 0x%x..0x%x\n", p, n[p], first[p] % 4096, last[p] % 4096 }
	}' | sed "s/^/ITSY-INFO $name: hop $1: /"
	for off in $(cmp -l "$DUMP/src.ram" "$DUMP/dst.ram" 2>/dev/null |
		awk '{ p = int(($1 - 1) / 4096); if (!(p in s)) { s[p] = 1; print $1 - 1; if (++k >= 4) exit } }'); do
		for side in src dst; do
			echo "ITSY-INFO $name: hop $1: $side at $(printf %x "$off"):" \
				"$(dd if="$DUMP/$side.ram" bs=1 skip="$off" count=64 2>/dev/null | od -An -tx1 | tr -s ' \n' ' ')"
		done
	done
}
hop() { # N SOCK PORT: migrate to a fresh receiver on PORT; compare RAM
	mig_migrate "ram$1" "$2" "127.0.0.1:$3" 600 --secret-file "$SECRET"
	if [ "$CTL_RC" -ne 0 ]; then
		WHY="hop $1: ctl migrate: $(describe_rc "$CTL_RC"): $(tail -n 2 "$CTL" | tr '\n' ' ')"
		return 1
	fi
	if [ ! -s "$DUMP/src.ram" ] || [ ! -s "$DUMP/dst.ram" ]; then
		WHY="hop $1: a RAM image is missing"
		return 1
	fi
	if ! cmp -s "$DUMP/src.ram" "$DUMP/dst.ram"; then
		WHY="hop $1: the destination's RAM differs from the source's in pages (hex, from RAM start): $(
			cmp -l "$DUMP/src.ram" "$DUMP/dst.ram" 2>/dev/null | awk '{ p = int(($1 - 1) / 4096);
			if (p != last) { printf "%x ", p; last = p; n++ } if (n >= 12) exit }')"
		ram_diff "$1"
		return 1
	fi
	echo "ITSY-INFO $name: hop $1 identical: $(grep 'migrate: done' "$CTL");" \
		"$(console "$RCV_ERR" | sed -n 's/.*the guest arrived: //p')"
	rm -f "$DUMP"/*.ram
}
WHY=
VMS="$SRC_PID:$SRC_SOCK $RCV_PID:$RCV_SOCK"	# every itsy started, to stop at the end
hop 1 "$SRC_SOCK" 7821
for n in 2 3; do
	[ -z "$WHY" ] || break
	prev_sock=$RCV_SOCK
	mig_receive "ram-dst$n" "127.0.0.1:782$n" --secret-file "$SECRET" || break
	VMS="$VMS $RCV_PID:$RCV_SOCK"
	hop "$n" "$prev_sock" "782$n"
done
unset ITSY_MIGRATE_DUMP
if [ -n "$WHY" ]; then
	fail $name "$WHY" "$RCV_ERR" "$CTL"
elif ! mig_check_guest "$RCV_OUT" "$RCV_PID" 0 "${C0:-0}" 0 "$CID" net; then
	fail $name "on the last destination: $WHY" "$RCV_OUT" "$RCV_ERR"
else
	pass $name
fi
rm -f "$DUMP"/*.ram
# Whatever happened, no itsy of this test may keep the tap, disk or CID.
for vm in $VMS; do
	stop_vm "${vm%%:*}" "${vm#*:}"
done
