# Typing into itsy's console reaches the guest: boot to the guest's shell,
# feed it a command through itsy's stdin (a FIFO), see the result, then
# power off from the shell.
# itsy-tests: console-input console-input-file
. /tests/testlib

name=console-input
start_typed "$name" "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE" --cpus 1 --mem 512M
if ! wait_for 'itsy-guest:' "$OUT" "$BOOT_TIMEOUT" "$PID"; then
	end_typed 0
	fail "$name" "no guest shell prompt ($(describe_rc "$RC") after ${ELAPSED}s)" "$OUT" "$ERR"
	exit 0
fi
# The guest's shell must do the arithmetic: "itsy-42" only appears if it ran
# the command (the echo of what we typed shows the unexpanded text).
echo 'echo itsy-$((40+2))' >&3
if ! wait_for 'itsy-42' "$OUT" 60 "$PID"; then
	end_typed 0
	fail "$name" "the guest did not run the typed command" "$OUT" "$ERR"
	exit 0
fi
echo 'poweroff -f' >&3
end_typed 60
echo "ITSY-INFO $name: $(describe_rc "$RC") after ${ELAPSED}s"
if [ "$RC" -ne 0 ]; then
	fail "$name" "itsy: $(describe_rc "$RC") after poweroff" "$OUT" "$ERR"
else
	pass "$name"
fi

# Input that is all there before the guest boots (stdin is a file) must wait
# for the guest's shell instead of being lost to the UART driver's start-up.
name=console-input-file
printf 'echo itsy-$((50+8))\npoweroff -f\n' >"$WORK/console.txt"
start=$(now)
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE" --cpus 1 --mem 512M <"$WORK/console.txt" \
	>"$WORK/$name.out" 2>"$WORK/$name.err"
RC=$?
OUT=$WORK/$name.out ERR=$WORK/$name.err
echo "ITSY-INFO $name: $(describe_rc "$RC") after $(($(now) - start))s"
if [ "$RC" -ne 0 ]; then
	fail "$name" "itsy: $(describe_rc "$RC")" "$OUT" "$ERR"
elif ! seen 'itsy-58' "$OUT"; then
	fail "$name" "the guest did not run the command from the input file" "$OUT" "$ERR"
else
	pass "$name"
fi
