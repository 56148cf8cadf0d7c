# The control socket: `itsy ctl` pauses a running guest (its output stops),
# reports the state, resumes it (the output goes on), and quits it; the
# socket is private (0600); bad requests get a clear refusal.
# itsy-tests: api-pause-resume api-quit api-socket-mode api-bad-command
. /tests/testlib

SOCK=$WORK/api.sock OUT=$WORK/api.out ERR=$WORK/api.err
ctl() { "$ITSY" ctl --api-socket "$SOCK" "$@" 2>>"$WORK/ctl.err"; }
ticks() { console "$OUT" | grep -c '^ITSY-TICK'; }

rm -f "$SOCK" "$WORK/ctl.err"
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

quit=$(ctl quit)
wait "$pid"
RC=$?
if [ "$RC" -ne 0 ] || ! grep -q 'quit command' "$ERR"; then
	fail api-quit "itsy: $(describe_rc "$RC") after quit ($quit)" "$OUT" "$ERR"
else
	pass api-quit
fi
