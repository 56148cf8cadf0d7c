# Live migration with the disks (`ctl migrate ... --with-disks`), over
# loopback: the guest (tests/guest/migrate-work.sh) writes checksummed
# 64 KiB blocks to its disk all along, and each host side has a disk of
# its own; no image is shared.
#  migrate-disks-own-disk      a receiver given the source's own disk (in
#                              use) refuses it before anything is written,
#                              naming it; the guest runs on here whole
#  migrate-disks-kill-handshake, -kill-precopy, -kill-final
#                              the receiver is SIGKILLed in that phase
#                              (ITSY_TEST_DIE_AT): ctl fails, the guest runs
#                              on here on its own disk, every block verifies
#  migrate-disks-removed       the source gives up (--max-downtime 1): the
#                              receiver ends without a guest and removes the
#                              disk file it created
#  migrate-disks-there-and-back
#                              A -> a new file B -> back onto A: each time
#                              ctl says how much of the disk went, the disk
#                              as it arrived (ITSY_MIGRATE_DUMP_DISKS) equals
#                              the source's (cmp), and on the destination
#                              every block written before verifies
# itsy-tests: migrate-disks-own-disk migrate-disks-kill-handshake migrate-disks-kill-precopy migrate-disks-kill-final migrate-disks-removed migrate-disks-there-and-back
. /tests/testlib
. /tests/miglib

ALL="migrate-disks-own-disk migrate-disks-kill-handshake migrate-disks-kill-precopy
migrate-disks-kill-final migrate-disks-removed migrate-disks-there-and-back"
SECRET=$WORK/md.secret A=$WORK/md-a.img B=$WORK/md-b.img DUMP=$WORK/md-dump LO=127.0.0.1
unset ITSY_MIGRATION_SECRET_FILE ITSY_MIGRATE_DUMP_DISKS

# Where the source's console is now, and its figures.
mark() { MARK=$(nlines "$SRC_OUT") C0=$(last_num COUNTER "$SRC_OUT") I0=$(last_num 'IRQ virtio' "$SRC_OUT"); }

# ctl failed (status 1, message matching REGEX), the receiver ended without
# running the guest, and the guest runs on here whole, every block of its
# disk verified. Passes or fails NAME.
failed_whole() {
	wait_exit "$RCV_PID" 60 || stop_vm "$RCV_PID" "$RCV_SOCK"
	if [ "$CTL_RC" -ne 1 ] || ! grep -qiE -- "$2" "$CTL"; then
		fail "$1" "ctl migrate: $(describe_rc "$CTL_RC"), want exit status 1 and /$2/" \
			"$CTL" "$RCV_ERR"
	elif seen '^COUNTER' "$RCV_OUT"; then
		fail "$1" "the receiver ran the guest" "$RCV_OUT" "$RCV_ERR"
	elif ! mig_check_guest "$SRC_OUT" "$SRC_PID" "$MARK" "$C0" "$I0" ""; then
		fail "$1" "on the source after the failure: $WHY" "$SRC_OUT" "$SRC_ERR" "$CTL"
	else
		pass "$1"
	fi
}

# hop NAME PORT DISK: move the guest at SRC_* to a receiver on DISK, with
# the disks; on success the receiver's guest becomes SRC_*. Sets WHY.
hop() {
	rm -rf "$DUMP" && mkdir -p "$DUMP"
	export ITSY_MIGRATE_DUMP_DISKS=$DUMP
	mig_receive "$1-dst" "$LO:$2" --secret-file "$SECRET" --disk "$3"
	_l=$?
	unset ITSY_MIGRATE_DUMP_DISKS
	[ $_l -eq 0 ] || return 1
	_from=$4
	mark
	mig_migrate "$1" "$SRC_SOCK" "$LO:$2" 600 --secret-file "$SECRET" --with-disks
	[ "$CTL_RC" -eq 0 ] && wait_exit "$SRC_PID" 60
	if [ "$CTL_RC" -ne 0 ]; then
		WHY="ctl migrate: $(describe_rc "$CTL_RC"): $(lastlines "$CTL" 2)"
	elif ! grep -q 'migrate: done:.*disks: [0-9.]* MiB sent' "$CTL"; then
		WHY="ctl's summary does not say how much of the disks went: $(grep 'done:' "$CTL")"
	elif ! cmp "$_from" "$DUMP/dst-disk0.img" >"$WORK/$1.cmp" 2>&1; then
		WHY="the disk as it arrived differs from the source's: $(head -c 200 "$WORK/$1.cmp")"
	elif ! mig_check_guest "$RCV_OUT" "$RCV_PID" 0 "$C0" "$I0" ""; then
		WHY="on the destination: $WHY"
	else
		echo "ITSY-INFO $1: $(grep 'migrate: done:' "$CTL")"
		SRC_OUT=$RCV_OUT SRC_ERR=$RCV_ERR SRC_PID=$RCV_PID SRC_SOCK=$RCV_SOCK
		return 0
	fi
	return 1
}

mig_secret "$SECRET"
dd if=/dev/zero of="$A" bs=1M count=16 2>/dev/null
rm -f "$B"
mig_guest md 32,4 --mem 256M --disk "$A"
if ! mig_ready "$SRC_OUT" "$SRC_PID"; then
	for t in $ALL; do fail "$t" "$WHY" "$SRC_OUT" "$SRC_ERR"; done
	stop_vm "$SRC_PID" "$SRC_SOCK"
	exit 0
fi

name=migrate-disks-own-disk
mark
if ! mig_receive md-own-dst "$LO:7830" --secret-file "$SECRET" --disk "$A"; then
	fail $name "$WHY" "$RCV_ERR"
else
	mig_migrate md-own "$SRC_SOCK" "$LO:7830" 300 --secret-file "$SECRET" --with-disks
	failed_whole $name "in use.*$A|$A.*in use"
fi

port=7831
for at in handshake precopy final; do
	name=migrate-disks-kill-$at
	mark
	MIG_DIE_AT=$at
	mig_receive "md-k$at-dst" "$LO:$port" --secret-file "$SECRET" --disk "$WORK/md-k$at.img"
	_l=$?
	# shellcheck disable=SC2034 # read by mig_receive
	MIG_DIE_AT=
	if [ $_l -ne 0 ]; then
		fail $name "$WHY" "$RCV_ERR"
	else
		mig_migrate "md-k$at" "$SRC_SOCK" "$LO:$port" 300 --secret-file "$SECRET" --with-disks
		failed_whole $name .
	fi
	port=$((port + 1))
done

name=migrate-disks-removed
mark
GONE=$WORK/md-gone.img
rm -f "$GONE"
if ! mig_receive md-rm-dst "$LO:7835" --secret-file "$SECRET" --disk "$GONE"; then
	fail $name "$WHY" "$RCV_ERR"
else
	mig_migrate md-rm "$SRC_SOCK" "$LO:7835" 600 --secret-file "$SECRET" --with-disks \
		--max-downtime 1
	wait_exit "$RCV_PID" 60
	if [ "$EXIT_RC" != 1 ]; then
		fail $name "the receiver: $(describe_rc "$EXIT_RC"), want exit status 1" "$RCV_ERR" "$CTL"
	elif [ -e "$GONE" ]; then
		fail $name "the receiver left the disk file it created, $GONE" "$RCV_ERR" "$CTL"
	else
		failed_whole $name converge
	fi
fi

name=migrate-disks-there-and-back
if ! hop md-there 7836 "$B" "$A"; then
	fail $name "A -> B: $WHY" "$CTL" "$RCV_OUT" "$RCV_ERR" "$SRC_ERR"
elif ! hop md-back 7837 "$A" "$B"; then
	fail $name "B -> A: $WHY" "$CTL" "$RCV_OUT" "$RCV_ERR" "$SRC_ERR"
else
	pass $name
fi
stop_vm "$RCV_PID" "$RCV_SOCK"
stop_vm "$SRC_PID" "$SRC_SOCK"
rm -f "$A" "$B" "$WORK"/md-k*.img
rm -rf "$DUMP"
