# A guest kernel panic must make itsy exit non-zero, saying so on stderr.
# The guest kernel is left to hang after the panic (no panic=N): itsy has to
# notice the panic from the console by itself.
# itsy-tests: panic
. /tests/testlib

run_itsy panic "$BOOT_TIMEOUT" --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=panic" --cpus 1 --mem 512M
if ! seen ITSY-PANIC-NOW "$OUT"; then
	fail panic "the guest never got to the panic ($(describe_rc "$RC"))" "$OUT" "$ERR"
elif [ "$RC" -eq 0 ]; then
	fail panic "itsy exited 0 after a guest panic" "$OUT" "$ERR"
elif [ "$RC" -ge 128 ]; then
	fail panic "itsy: $(describe_rc "$RC") after ${ELAPSED}s" "$OUT" "$ERR"
elif ! grep -qi panic "$ERR"; then
	fail panic "itsy exited $RC but its stderr does not mention a panic" "$OUT" "$ERR"
else
	echo "ITSY-INFO panic: $(lastlines "$ERR" 2)"
	pass panic
fi
