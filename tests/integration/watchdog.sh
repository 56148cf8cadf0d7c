# A guest that stops refreshing its (enabled) SBSA watchdog has stopped
# responding: itsy must end the VM with exit status 5 and say so.
# itsy-tests: watchdog-stall
. /tests/testlib

run_itsy watchdog-stall "$BOOT_TIMEOUT" --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=watchdog-stall" --cpus 1 --mem 512M
if seen ITSY-WATCHDOG-MISSING "$OUT"; then
	fail watchdog-stall "the guest has no /dev/watchdog (driver sbsa_gwdt not bound)" "$OUT" "$ERR"
elif ! seen ITSY-WATCHDOG-STALL "$OUT"; then
	fail watchdog-stall "the guest never froze its watchdog daemon ($(describe_rc "$RC"))" "$OUT" "$ERR"
elif [ "$RC" -ne 5 ]; then
	fail watchdog-stall "itsy: $(describe_rc "$RC"), want exit status 5" "$OUT" "$ERR"
elif ! grep -q "stopped responding" "$ERR"; then
	fail watchdog-stall "stderr does not say the guest stopped responding" "$OUT" "$ERR"
else
	echo "ITSY-INFO watchdog-stall: $(lastlines "$ERR" 1)"
	pass watchdog-stall
fi
