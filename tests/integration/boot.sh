# Boot the test guest with 1 and 2 vCPUs; it must see that many CPUs and
# power off cleanly (itsy exits 0).
# itsy-hosts: every
# itsy-tests: boot-1cpu boot-2cpu
. /tests/testlib

for n in 1 2; do
	run_itsy "boot-${n}cpu" "$BOOT_TIMEOUT" --kernel "$KERNEL" --initrd "$INITRD" \
		--cmdline "$GUEST_CMDLINE itsy.run=nproc" --cpus "$n" --mem 512M
	check_clean_run "boot-${n}cpu" "ITSY-NPROC $n\$"
done
