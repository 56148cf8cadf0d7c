# The shell of the guest `make run` boots (tests/run-default): typed at its
# prompt, poweroff and halt end itsy with status 0 and reboot with status 2
# (the guest asked for a reset), as the README says.
# itsy-tests: shell-poweroff shell-halt shell-reboot
. /tests/testlib

for c in poweroff:0 halt:0 reboot:2; do
	cmd=${c%:*} want=${c#*:} name=shell-${c%:*}
	start_typed "$name" "$BOOT_TIMEOUT" sh /tests/run-default
	if ! wait_for 'itsy-guest:' "$OUT" "$BOOT_TIMEOUT" "$PID"; then
		end_typed 0
		fail "$name" "no guest shell prompt ($(describe_rc "$RC") after ${ELAPSED}s)" "$OUT" "$ERR"
		continue
	fi
	typed=$(now)
	echo "$cmd" >&3
	end_typed 60
	echo "ITSY-INFO $name: $(describe_rc "$RC") $(($(now) - typed))s after '$cmd'"
	if [ "$RC" -ne "$want" ]; then
		fail "$name" "itsy: $(describe_rc "$RC") after '$cmd' was typed, not status $want" "$OUT" "$ERR"
	else
		pass "$name"
	fi
done
