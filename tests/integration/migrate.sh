# Live migration on one host, over loopback: a 2-vCPU guest running
# tests/guest/migrate-work.sh (memwriter, disk round trips, pings to the
# host's tap, a vsock echo server) moves from `itsy run` to `itsy receive`
# with `itsy ctl migrate tcp:127.0.0.1:PORT`.
#  migrate-loopback           it arrives whole: ctl and the source exit 0, on
#                             the destination COUNTER goes on, memory, disk,
#                             network and vsock work, the virtio interrupt
#                             count grows, no clock went back
#  migrate-wrong-secret       a receiver with another secret: ctl fails with
#                             "authentication", the guest runs on here, the
#                             receiver never runs it
#  migrate-insecure-mismatch  a receiver with neither a secret nor --insecure
#                             will not start; a source with --insecure is
#                             refused by a receiver that has a secret
#  migrate-go-refused         after GO the receiver says it will not start
#                             the guest (ITSY_TEST_DIE_AT=go-refuse): ctl
#                             fails, the guest runs on here whole
#  migrate-go-lost            the receiver dies right after GO: ctl exits 3
#                             ("unresolved"), the guest stays paused here
#                             (no COUNTER for 6 s), status says so, resume
#                             is refused; migrate-abort resumes it, whole
#  migrate-kill-handshake, migrate-kill-precopy, migrate-kill-final
#                             the receiver kills itself in that phase
#                             (ITSY_TEST_DIE_AT): ctl fails, the guest runs on
#                             here whole; after the three, a migration to a
#                             fresh receiver works (part of -final)
#  migrate-no-converge        two memwriters and --max-downtime 1, under the
#                             final pass's fixed cost (migrate.h): ctl gives
#                             up ("converge") whatever the guest dirties, and
#                             the guest runs on here whole
# Every check of a guest being whole is mig_check_guest (miglib).
# itsy-tests: migrate-loopback migrate-wrong-secret migrate-insecure-mismatch migrate-go-refused migrate-go-lost migrate-kill-handshake migrate-kill-precopy migrate-kill-final migrate-no-converge
. /tests/testlib
. /tests/miglib

ALL="migrate-loopback migrate-wrong-secret migrate-insecure-mismatch migrate-go-refused
migrate-go-lost migrate-kill-handshake migrate-kill-precopy migrate-kill-final migrate-no-converge"
SECRET=$WORK/mig.secret OTHER=$WORK/mig.other DISK=$WORK/mig-disk.img CID=21 LO=127.0.0.1
unset ITSY_MIGRATION_SECRET_FILE

# The failed migration left the guest running here (SRC_*): check it as
# after a migration, from line MARK on; $1 is the test, the rest the
# conditions on ctl already checked. Passes or fails the test.
source_whole() {
	if mig_check_guest "$SRC_OUT" "$SRC_PID" "$MARK" "$C0" "$I0" "$CID" net; then
		pass "$1"
	else
		fail "$1" "after the failed migration, on the source: $WHY" "$SRC_OUT" "$SRC_ERR" "$CTL"
	fi
}

# After ctl failed: which itsy runs the guest now (a few seconds later).
where_is_guest() {
	sleep 5
	_where="the source itsy"
	kill -0 "$SRC_PID" 2>/dev/null && _where="$_where runs" || _where="$_where ended"
	_n=$(last_num COUNTER "$RCV_OUT")
	echo "$_where, the receiver ${_n:+runs the guest (COUNTER $_n)}${_n:-has no guest}"
}

# Before a migration from the source: where its console is, and its figures.
mark_source() {
	MARK=$(nlines "$SRC_OUT") C0=$(last_num COUNTER "$SRC_OUT") I0=$(last_num 'IRQ virtio' "$SRC_OUT")
	STEAL0=$(last_num STEAL "$SRC_OUT")
}

# A failed migration: ctl exit status 1, its message has REGEX, the source
# itsy still runs; else fail NAME and return 1.
ctl_failed() {
	if [ "$CTL_RC" -ne 1 ]; then
		fail "$1" "ctl migrate: $(describe_rc "$CTL_RC"), want exit status 1" "$CTL" "$SRC_OUT" "$RCV_ERR"
	elif ! grep -qiE -- "$2" "$CTL"; then
		fail "$1" "ctl migrate failed without /$2/ in its message" "$CTL" "$RCV_ERR"
	elif ! kill -0 "$SRC_PID" 2>/dev/null; then
		fail "$1" "the source itsy ended" "$SRC_OUT" "$SRC_ERR" "$CTL"
	else
		mark_source
		return 0
	fi
	return 1
}

# After GO the receiver died: ctl exits 3 saying the guest stays paused;
# it does stay paused (no new COUNTER for 6 s), "status" says unresolved,
# "resume" is refused; "migrate-abort" resumes it and it is whole. Passes
# or fails NAME.
held_then_abort() {
	_st=$WORK/$1.status
	if [ "$CTL_RC" -ne 3 ] || ! grep -q 'unresolved' "$CTL"; then
		fail "$1" "ctl migrate: $(describe_rc "$CTL_RC") without 'unresolved', want exit status 3" \
			"$CTL" "$SRC_ERR" "$RCV_ERR"
		return
	fi
	wait_exit "$RCV_PID" 30
	_c=$(last_num COUNTER "$SRC_OUT")
	sleep 6
	"$ITSY" ctl --api-socket "$SRC_SOCK" status >"$_st" 2>&1
	"$ITSY" ctl --api-socket "$SRC_SOCK" resume >>"$_st" 2>&1
	_resume=$?
	if [ "$(last_num COUNTER "$SRC_OUT")" != "$_c" ]; then
		fail "$1" "the guest ran on here after an unanswered GO (COUNTER $_c -> $(last_num COUNTER "$SRC_OUT"))" "$SRC_OUT" "$CTL"
	elif ! grep -q '"unresolved"' "$_st"; then
		fail "$1" "ctl status does not say the hand-over is unresolved" "$_st"
	elif [ "$_resume" -eq 0 ]; then
		fail "$1" "ctl resume was accepted while the hand-over is unresolved" "$_st"
	elif ! "$ITSY" ctl --api-socket "$SRC_SOCK" migrate-abort >>"$_st" 2>&1; then
		fail "$1" "ctl migrate-abort failed" "$_st" "$SRC_ERR"
	else
		mark_source
		source_whole "$1"
	fi
}

# The receiver of a failed migration never ran the guest: it is waiting
# still, or ended; then it is stopped.
receiver_idle() {
	if seen '^COUNTER' "$RCV_OUT"; then
		fail "$1" "the receiver ran the guest after a failed migration" "$RCV_OUT" "$RCV_ERR"
		stop_vm "$RCV_PID" "$RCV_SOCK"
		return 1
	fi
	stop_vm "$RCV_PID" "$RCV_SOCK"
	return 0
}

mig_secret "$SECRET"
mig_secret "$OTHER"
dd if=/dev/zero of="$DISK" bs=1M count=16 2>/dev/null
if ! mig_tap; then
	for t in $ALL; do fail "$t" "cannot make the tap $MIG_TAP"; done
	exit 0
fi
set -- --mem 256M --disk "$DISK" --net "tap=$MIG_TAP,mac=$MIG_GUEST_MAC" --vsock "cid=$CID"

# --- migrate-loopback -------------------------------------------------------
name=migrate-loopback
mig_guest mig1 64,4 "$@"
if ! mig_ready "$SRC_OUT" "$SRC_PID" net; then
	fail $name "$WHY" "$SRC_OUT" "$SRC_ERR"
	stop_vm "$SRC_PID" "$SRC_SOCK"
elif ! mig_receive mig1-dst "$LO:7801" --secret-file "$SECRET"; then
	fail $name "$WHY" "$RCV_ERR"
	stop_vm "$RCV_PID" "$RCV_SOCK"
	stop_vm "$SRC_PID" "$SRC_SOCK"
else
	mig_migrate mig1 "$SRC_SOCK" "$LO:7801" 600 --secret-file "$SECRET"
	src_rc=running
	[ "$CTL_RC" -ne 0 ] || { wait_exit "$SRC_PID" 60; src_rc=$EXIT_RC; }
	mark_source
	if [ "$CTL_RC" -ne 0 ]; then
		fail $name "ctl migrate: $(describe_rc "$CTL_RC"); $(where_is_guest)" \
			"$CTL" "$SRC_OUT" "$SRC_ERR" "$RCV_OUT" "$RCV_ERR"
		stop_vm "$SRC_PID" "$SRC_SOCK"
	elif [ "$src_rc" != 0 ]; then
		fail $name "the source itsy did not exit 0 after the migration ($src_rc)" "$SRC_ERR" "$CTL"
		stop_vm "$SRC_PID" "$SRC_SOCK"
	elif ! grep -q "the guest migrated to" "$SRC_ERR"; then
		fail $name "the source itsy did not say where the guest went" "$SRC_ERR"
	elif ! mig_check_guest "$RCV_OUT" "$RCV_PID" 0 "$C0" "$I0" "$CID" net; then
		fail $name "on the destination: $WHY" "$RCV_OUT" "$RCV_ERR" "$CTL"
	elif seen '^(MEMCHK BAD|TIMEBACK)' "$SRC_OUT"; then
		fail $name "the guest reported an error on the source" "$SRC_OUT"
	else
		echo "ITSY-INFO $name: downtime $(ctl_field downtime) ms, total $(ctl_field total) ms," \
			"$(ctl_field bytes) bytes, $(ctl_field passes) passes"
		pass $name
	fi
	stop_vm "$RCV_PID" "$RCV_SOCK"
fi

# --- one source guest for the failures, then a migration that works --------
mig_guest mig2 64,4 "$@"
if ! mig_ready "$SRC_OUT" "$SRC_PID" net; then
	for t in migrate-wrong-secret migrate-insecure-mismatch migrate-go-refused migrate-go-lost \
		migrate-kill-handshake migrate-kill-precopy migrate-kill-final; do
		fail "$t" "$WHY" "$SRC_OUT" "$SRC_ERR"
	done
	stop_vm "$SRC_PID" "$SRC_SOCK"
else
	name=migrate-wrong-secret
	if ! mig_receive mig-ws-dst "$LO:7802" --secret-file "$OTHER"; then
		fail $name "$WHY" "$RCV_ERR"
		stop_vm "$RCV_PID" "$RCV_SOCK"
	else
		mig_migrate mig-ws "$SRC_SOCK" "$LO:7802" 300 --secret-file "$SECRET"
		ctl_failed $name authentication && receiver_idle $name && source_whole $name
	fi

	name=migrate-insecure-mismatch
	timeout -s KILL 30 "$ITSY" receive --listen "tcp:$LO:7803" \
		</dev/null >"$WORK/mig-nosecret.out" 2>"$WORK/mig-nosecret.err"
	rc=$?
	echo "ITSY-INFO $name: receive without a secret: $(describe_rc "$rc"): $(lastlines "$WORK/mig-nosecret.err" 2)"
	if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ]; then
		fail $name "itsy receive with neither a secret nor --insecure: $(describe_rc "$rc"), want a refusal" \
			"$WORK/mig-nosecret.err"
	elif ! grep -qiE 'secret|insecure' "$WORK/mig-nosecret.err"; then
		fail $name "the refusal does not mention the secret or --insecure" "$WORK/mig-nosecret.err"
	elif ! mig_receive mig-in-dst "$LO:7804" --secret-file "$SECRET"; then
		fail $name "$WHY" "$RCV_ERR"
		stop_vm "$RCV_PID" "$RCV_SOCK"
	else
		mig_migrate mig-in "$SRC_SOCK" "$LO:7804" 300 --insecure
		ctl_failed $name . && receiver_idle $name && source_whole $name
	fi

	name=migrate-go-refused
	MIG_DIE_AT=go-refuse
	mig_receive mig-gr-dst "$LO:7811" --secret-file "$SECRET"
	listening=$?
	MIG_DIE_AT=
	if [ $listening -ne 0 ]; then
		fail $name "$WHY" "$RCV_ERR"
		stop_vm "$RCV_PID" "$RCV_SOCK"
	else
		mig_migrate mig-gr "$SRC_SOCK" "$LO:7811" 300 --secret-file "$SECRET"
		ctl_failed $name 'did not start the guest' && receiver_idle $name && source_whole $name
	fi

	name=migrate-go-lost
	MIG_DIE_AT=go
	mig_receive mig-gl-dst "$LO:7812" --secret-file "$SECRET"
	listening=$?
	MIG_DIE_AT=
	if [ $listening -ne 0 ]; then
		fail $name "$WHY" "$RCV_ERR"
		stop_vm "$RCV_PID" "$RCV_SOCK"
	else
		mig_migrate mig-gl "$SRC_SOCK" "$LO:7812" 300 --secret-file "$SECRET"
		held_then_abort $name
	fi

	port=7805
	for at in handshake precopy final; do
		name=migrate-kill-$at
		MIG_DIE_AT=$at
		mig_receive "mig-k$at-dst" "$LO:$port" --secret-file "$SECRET"
		listening=$?
		# shellcheck disable=SC2034 # read by mig_receive
		MIG_DIE_AT=
		if [ $listening -ne 0 ]; then
			fail $name "$WHY" "$RCV_ERR"
			stop_vm "$RCV_PID" "$RCV_SOCK"
		else
			mig_migrate "mig-k$at" "$SRC_SOCK" "$LO:$port" 300 --secret-file "$SECRET"
			wait_exit "$RCV_PID" 30
			echo "ITSY-INFO $name: the receiver: $(describe_rc "$EXIT_RC")"
			if ctl_failed $name . && receiver_idle $name; then
				if [ $at != final ]; then
					source_whole $name
				elif ! mig_check_guest "$SRC_OUT" "$SRC_PID" "$MARK" "$C0" "$I0" "$CID" net; then
					fail $name "after the failed migration, on the source: $WHY" \
						"$SRC_OUT" "$SRC_ERR" "$CTL"
				elif ! mig_receive mig-k2-dst "$LO:7809" --secret-file "$SECRET"; then
					fail $name "the source is fine, but: $WHY" "$RCV_ERR"
					stop_vm "$RCV_PID" "$RCV_SOCK"
				else
					# The source survived three failures: a migration works.
					mark_source
					mig_migrate mig-k2 "$SRC_SOCK" "$LO:7809" 600 --secret-file "$SECRET"
					[ "$CTL_RC" -ne 0 ] || wait_exit "$SRC_PID" 60
					if [ "$CTL_RC" -ne 0 ]; then
						fail $name "a migration after the failures: ctl $(describe_rc "$CTL_RC"); $(where_is_guest)" \
							"$CTL" "$SRC_OUT" "$SRC_ERR" "$RCV_OUT" "$RCV_ERR"
					elif ! mig_check_guest "$RCV_OUT" "$RCV_PID" 0 "$C0" "$I0" "$CID" net; then
						fail $name "a migration after the failures: on the destination: $WHY" \
							"$RCV_OUT" "$RCV_ERR" "$CTL"
					else
						pass $name
					fi
					stop_vm "$RCV_PID" "$RCV_SOCK"
				fi
			fi
		fi
		port=$((port + 1))
	done
	stop_vm "$SRC_PID" "$SRC_SOCK"
fi

# --- migrate-no-converge ----------------------------------------------------
name=migrate-no-converge RCV_PID=
mig_guest mig3 64,1000,2 "$@"
if ! mig_ready "$SRC_OUT" "$SRC_PID" net; then
	fail $name "$WHY" "$SRC_OUT" "$SRC_ERR"
elif ! mig_receive mig3-dst "$LO:7810" --secret-file "$SECRET"; then
	fail $name "$WHY" "$RCV_ERR"
else
	mark_source
	mig_migrate mig3 "$SRC_SOCK" "$LO:7810" 600 --secret-file "$SECRET" --max-downtime 1
	if [ "$CTL_RC" -eq 0 ]; then
		wait_exit "$SRC_PID" 60
		fail $name "it went through with a downtime of $(ctl_field downtime) ms," \
			"over the 1 ms allowed" "$CTL"
	elif ctl_failed $name 'converge'; then
		receiver_idle $name && source_whole $name
	fi
fi
stop_vm "$RCV_PID" "$RCV_SOCK"
stop_vm "$SRC_PID" "$SRC_SOCK"
ip link del "$MIG_TAP" 2>/dev/null
exit 0
