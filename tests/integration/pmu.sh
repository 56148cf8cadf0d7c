# With --pmu the guest boots and has an Arm PMU.
# itsy-hosts: every
# itsy-tests: pmu
. /tests/testlib

run_itsy pmu "$BOOT_TIMEOUT" --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=pmu" --cpus 1 --mem 512M --pmu
if [ "$RC" -eq 0 ] && seen 'ITSY-PMU no' "$OUT"; then
	hostpmu=$(ls /sys/bus/event_source/devices/ | tr '\n' ' ')
	fail pmu "the guest has no PMU (host event sources: $hostpmu)" "$OUT" "$ERR"
else
	check_clean_run pmu 'ITSY-PMU yes'
fi
