# The control socket: `itsy ctl` pauses a running guest (its output stops),
# reports the state, resumes it (the output goes on), and quits it; the
# socket is private (0600); bad requests get a clear refusal; a second itsy
# on a live socket is refused, and so is a path that is not a socket (left
# as it was, a symbolic link not followed).
# itsy-tests: api-pause-resume api-quit api-socket-mode api-bad-command api-socket-live api-socket-not-a-socket
. /tests/testlib

SOCK=$WORK/api.sock OUT=$WORK/api.out ERR=$WORK/api.err
ctl() { "$ITSY" ctl --api-socket "$SOCK" "$@" 2>>"$WORK/ctl.err"; }
ticks() { console "$OUT" | grep -c '^ITSY-TICK'; }

rm -f "$SOCK" "$WORK/ctl.err" "$WORK"/api-notsock*
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=ticks-long" --cpus 2 --mem 512M \
	--api-socket "$SOCK" </dev/null >"$OUT" 2>"$ERR" &
pid=$!
if ! wait_for 'ITSY-TICK 2' "$OUT" "$BOOT_TIMEOUT" "$pid"; then
	kill -9 "$pid" 2>/dev/null
	fail api-pause-resume "the guest never ticked" "$OUT" "$ERR"
	exit 0
fi

mode=$(stat -c %a "$SOCK" 2>/dev/null)
[ "$mode" = 600 ] && pass api-socket-mode || fail api-socket-mode "socket mode is '$mode', want 600"

paused=$(ctl pause) && state=$(ctl status)
before=$(ticks)
sleep 4
after=$(ticks)
resumed=$(ctl resume)
wait_for "ITSY-TICK $((after + 2))" "$OUT" 60 "$pid"
later=$(ticks)
echo "ITSY-INFO api-pause-resume: $paused | $state | ticks $before -> $after while paused, $later after resume"
if ! echo "$state" | grep -q '"state":"paused"'; then
	fail api-pause-resume "status did not say paused: $state" "$WORK/ctl.err"
elif [ "$after" -ne "$before" ]; then
	fail api-pause-resume "the guest ticked while paused ($before -> $after)" "$OUT"
elif ! echo "$resumed" | grep -q '"ok":true' || [ "$later" -le "$after" ]; then
	fail api-pause-resume "the guest did not go on after resume ($resumed)" "$OUT" "$WORK/ctl.err"
else
	pass api-pause-resume
fi

bad=$(ctl frobnicate; echo "rc=$?")
ctl pause >/dev/null
again=$(ctl pause; echo "rc=$?")
ctl resume >/dev/null
if ! echo "$bad" | grep -q 'rc=1' || ! grep -q 'usage: itsy ctl' "$WORK/ctl.err"; then
	fail api-bad-command "an unknown command was not refused with usage: $bad" "$WORK/ctl.err"
elif ! echo "$again" | grep -q 'already paused' || ! echo "$again" | grep -q 'rc=1'; then
	fail api-bad-command "pausing twice was not refused: $again" "$WORK/ctl.err"
else
	pass api-bad-command
fi

# A second itsy on the socket the first one serves: refused before its
# guest starts, and the first one still answers there.
run_itsy api-live 120 --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$GUEST_CMDLINE" \
	--mem 128M --api-socket "$SOCK"
live=$(ctl status; echo "rc=$?")
if [ "$RC" -ne 1 ]; then
	fail api-socket-live "a second itsy on a live socket: $(describe_rc "$RC"), want exit status 1" "$OUT" "$ERR"
elif ! grep -q "another itsy is listening on $SOCK" "$ERR"; then
	fail api-socket-live "the refusal does not say another itsy is listening" "$ERR"
elif [ ! -S "$SOCK" ] || ! echo "$live" | grep -q '"ok":true'; then
	fail api-socket-live "the first itsy no longer answers on its socket: $live" "$WORK/ctl.err" "$WORK/api.err"
else
	echo "ITSY-INFO api-socket-live: $(grep -m 1 'another itsy' "$ERR")"
	pass api-socket-live
fi
OUT=$WORK/api.out ERR=$WORK/api.err

quit=$(ctl quit)
wait "$pid"
RC=$?
if [ "$RC" -ne 0 ] || ! grep -q 'quit command' "$ERR"; then
	fail api-quit "itsy: $(describe_rc "$RC") after quit ($quit)" "$OUT" "$ERR"
else
	pass api-quit
fi

# A path that is a regular file, or a symbolic link to one, is no stale
# socket: refused, and the file and the link are left as they were.
NOTSOCK=$WORK/api-notsock
printf 'not a socket: this must survive itsy\n' >"$NOTSOCK"
cp "$NOTSOCK" "$NOTSOCK.orig"
ln -s "$NOTSOCK" "$NOTSOCK.link"
run_itsy api-notsock 120 --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$GUEST_CMDLINE" \
	--mem 128M --api-socket "$NOTSOCK"
rc_file=$RC
file_err=$ERR
run_itsy api-notsock-link 120 --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$GUEST_CMDLINE" \
	--mem 128M --api-socket "$NOTSOCK.link"
if [ "$rc_file" -ne 1 ]; then
	fail api-socket-not-a-socket "--api-socket on a regular file: $(describe_rc "$rc_file"), want exit status 1" "$WORK/api-notsock.out" "$file_err"
elif ! grep -q "$NOTSOCK exists and is not a socket" "$file_err"; then
	fail api-socket-not-a-socket "the refusal does not name the file" "$file_err"
elif [ "$RC" -ne 1 ] || ! grep -q "$NOTSOCK.link exists and is not a socket" "$ERR"; then
	fail api-socket-not-a-socket "--api-socket on a link to a file: $(describe_rc "$RC"), want a refusal" "$OUT" "$ERR"
elif ! cmp -s "$NOTSOCK" "$NOTSOCK.orig" || [ ! -L "$NOTSOCK.link" ]; then
	fail api-socket-not-a-socket "the file or the link was changed: $(ls -la "$NOTSOCK" "$NOTSOCK.link" 2>&1 | tr '\n' ' ')"
else
	echo "ITSY-INFO api-socket-not-a-socket: $(grep -m 1 'not a socket' "$file_err")"
	pass api-socket-not-a-socket
fi
