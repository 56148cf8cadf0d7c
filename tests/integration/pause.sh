# The pause barrier: SIGUSR2 makes itsy park every vCPU outside KVM_RUN
# and quiesce every device (here a virtio-rng), print each vCPU's PC and
# how long the pause took, and resume. The guest must carry on to its last
# tick, still getting entropy from the resumed device, and power off.
# itsy-hosts: every
# itsy-tests: pause-resume
. /tests/testlib

name=pause-resume OUT=$WORK/pause.out ERR=$WORK/pause.err
start=$(now)
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=ticks" --cpus 2 --mem 512M --rng </dev/null >"$OUT" 2>"$ERR" &
pid=$!
if ! wait_for 'ITSY-TICK 2' "$OUT" "$BOOT_TIMEOUT" "$pid"; then
	kill -9 "$pid" 2>/dev/null
	wait "$pid"
	fail "$name" "the guest never ticked ($(describe_rc $?))" "$OUT" "$ERR"
	exit 0
fi
kill -USR2 "$(pidof itsy)"
wait "$pid"
RC=$?
echo "ITSY-INFO $name: $(describe_rc "$RC") after $(($(now) - start))s; $(grep paused "$ERR")"
if [ "$RC" -ne 0 ]; then
	fail "$name" "itsy: $(describe_rc "$RC")" "$OUT" "$ERR"
elif ! grep -qE 'paused 2 vCPUs and [0-9]+ devices in [0-9]+ us' "$ERR"; then
	fail "$name" "itsy did not report pausing 2 vCPUs and the device" "$OUT" "$ERR"
elif ! grep -q 'vCPU 1: pc=0x' "$ERR"; then
	fail "$name" "itsy did not print vCPU 1's PC while paused" "$OUT" "$ERR"
elif ! seen 'ITSY-TICK 8 rng=16' "$OUT"; then
	fail "$name" "the guest did not run on after the pause" "$OUT" "$ERR"
else
	pass "$name"
fi
