# Post-copy live migration over loopback (`ctl migrate ... --postcopy` and
# `--postcopy-after N`); the guest runs tests/guest/migrate-work.sh, whose
# memwriter checks every page it wrote (MEMCHK), so a page that arrived
# stale or not at all shows.
#  migrate-postcopy-needed     two memwriters dirtying all along and
#                              --max-downtime 1, under the final pass's fixed
#                              cost (migrate.h), so no pass can ever fit it:
#                              plain pre-copy gives up ("converge") and the
#                              guest runs on here
#  migrate-postcopy-converges  the same guest with --postcopy: ctl exits 0,
#                              its summary counts the pages held at the
#                              switch and those asked for on a fault, the
#                              destination says every page came, and the
#                              guest is whole there (memory, disk, vsock)
#  migrate-postcopy-after      a calm guest with --postcopy-after 1 switches
#                              after one pass, and comes back the same way
# itsy-tests: migrate-postcopy-needed migrate-postcopy-converges migrate-postcopy-after
. /tests/testlib
. /tests/miglib

SECRET=$WORK/pc.secret DISK=$WORK/pc-disk.img CID=23 LO=127.0.0.1
unset ITSY_MIGRATION_SECRET_FILE

mark() {
	MARK=$(nlines "$SRC_OUT") C0=$(last_num COUNTER "$SRC_OUT") I0=$(last_num 'IRQ virtio' "$SRC_OUT")
	STEAL0=$(last_num STEAL "$SRC_OUT")
}

# hop NAME PORT ARGS...: move the guest at SRC_* to a new receiver with
# ctl migrate ARGS; on success the receiver's guest becomes SRC_*. Sets WHY.
hop() {
	hop_n=$1 hop_port=$2
	shift 2
	mig_receive "$hop_n-dst" "$LO:$hop_port" --secret-file "$SECRET" || return 1
	mark
	mig_migrate "$hop_n" "$SRC_SOCK" "$LO:$hop_port" 600 --secret-file "$SECRET" "$@"
	[ "$CTL_RC" -ne 0 ] || wait_exit "$SRC_PID" 60
	if [ "$CTL_RC" -ne 0 ]; then
		WHY="ctl migrate: $(describe_rc "$CTL_RC"): $(lastlines "$CTL" 2)"
	elif ! grep -q 'migrate: post-copy: [0-9]* pages held' "$CTL"; then
		WHY="it did not switch to post-copy: $(lastlines "$CTL" 3)"
	elif ! wait_for 'post-copy: every page is here' "$RCV_ERR" 120 "$RCV_PID"; then
		WHY="the destination never said every page came: $(lastlines "$RCV_ERR" 3)"
	elif ! mig_check_guest "$RCV_OUT" "$RCV_PID" 0 "$C0" "$I0" "$CID"; then
		WHY="on the destination: $WHY"
	else
		echo "ITSY-INFO $hop_n: $(grep -E 'migrate: (done|post-copy)' "$CTL" | tr '\n' ' ')"
		echo "ITSY-INFO $hop_n: the destination: $(grep 'post-copy:' "$RCV_ERR" | tail -n 1)"
		SRC_OUT=$RCV_OUT SRC_ERR=$RCV_ERR SRC_PID=$RCV_PID SRC_SOCK=$RCV_SOCK
		return 0
	fi
	stop_vm "$RCV_PID" "$RCV_SOCK"
	return 1
}

mig_secret "$SECRET"
dd if=/dev/zero of="$DISK" bs=1M count=16 2>/dev/null
set -- --mem 256M --disk "$DISK" --vsock "cid=$CID"

# --- a guest pre-copy cannot move ----------------------------------------
mig_guest pc1 64,1000,2 "$@"
if ! mig_ready "$SRC_OUT" "$SRC_PID"; then
	fail migrate-postcopy-needed "$WHY" "$SRC_OUT" "$SRC_ERR"
	fail migrate-postcopy-converges "$WHY" "$SRC_OUT" "$SRC_ERR"
	stop_vm "$SRC_PID" "$SRC_SOCK"
else
	name=migrate-postcopy-needed
	if ! mig_receive pc-pre-dst "$LO:7840" --secret-file "$SECRET"; then
		fail $name "$WHY" "$RCV_ERR"
	else
		mark
		mig_migrate pc-pre "$SRC_SOCK" "$LO:7840" 600 --secret-file "$SECRET" --max-downtime 1
		wait_exit "$RCV_PID" 60 || stop_vm "$RCV_PID" "$RCV_SOCK"
		if [ "$CTL_RC" -ne 1 ] || ! grep -q converge "$CTL"; then
			fail $name "plain pre-copy: ctl $(describe_rc "$CTL_RC"), want exit status 1 and 'converge'" "$CTL"
		elif ! mig_check_guest "$SRC_OUT" "$SRC_PID" "$MARK" "$C0" "$I0" "$CID"; then
			fail $name "after pre-copy gave up, on the source: $WHY" "$SRC_OUT" "$SRC_ERR"
		else
			pass $name
		fi
	fi
	name=migrate-postcopy-converges
	if hop pc-conv 7841 --max-downtime 1 --postcopy; then
		pass $name
	else
		fail $name "$WHY" "$CTL" "$RCV_OUT" "$RCV_ERR" "$SRC_ERR"
	fi
	stop_vm "$SRC_PID" "$SRC_SOCK"
fi

# --- a calm guest, switched after one pass, there and back ---------------
name=migrate-postcopy-after
mig_guest pc2 64,4 "$@"
if ! mig_ready "$SRC_OUT" "$SRC_PID"; then
	fail $name "$WHY" "$SRC_OUT" "$SRC_ERR"
elif ! hop pc-a1 7842 --postcopy-after 1; then
	fail $name "there: $WHY" "$CTL" "$RCV_OUT" "$RCV_ERR" "$SRC_ERR"
elif ! hop pc-a2 7843 --postcopy-after 1; then
	fail $name "back: $WHY" "$CTL" "$RCV_OUT" "$RCV_ERR" "$SRC_ERR"
else
	pass $name
fi
stop_vm "$SRC_PID" "$SRC_SOCK"
rm -f "$DISK"
