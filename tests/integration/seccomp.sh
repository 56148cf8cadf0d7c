# Confinement (vmm/sandbox.h): every integration test runs under the
# default filter (--seccomp kill); here each thread kind makes a call its
# filter forbids (ITSY_TEST_SECCOMP=KIND) and itsy must stop at once with
# exit status 6 and a line naming the kind and the call.
#  seccomp-vcpu, seccomp-device, seccomp-main   a booting guest's thread
#  seccomp-migration                            the migration thread, when
#                                               `ctl migrate` starts it
#  seccomp-log                                  --seccomp log: the same call
#                                               from a vCPU is only logged,
#                                               the guest runs to power-off
# itsy-hosts: every
# itsy-tests: seccomp-vcpu seccomp-device seccomp-main seccomp-migration seccomp-log
. /tests/testlib

# killed NAME KIND: the run just made ($RC, $ERR) was stopped by KIND's filter.
killed() {
	if [ "$RC" -ne 6 ]; then
		fail "$1" "itsy: $(describe_rc "$RC"), want exit status 6 (seccomp)" "$OUT" "$ERR"
	elif ! grep -q "seccomp: a $2 thread made system call [0-9]*, which its filter does not allow" "$ERR"; then
		fail "$1" "stderr does not name the $2 thread and the call" "$ERR"
	else
		echo "ITSY-INFO $1: $(grep seccomp "$ERR" | head -n 1)"
		pass "$1"
	fi
}

# The device threads need a device: a virtio-rng.
for kind in vcpu device main; do
	ITSY_TEST_SECCOMP=$kind run_itsy "seccomp-$kind" "$BOOT_TIMEOUT" --kernel "$KERNEL" \
		--initrd "$INITRD" --cmdline "$GUEST_CMDLINE itsy.run=poweroff" --cpus 1 --mem 256M --rng
	killed "seccomp-$kind" $kind
done

name=seccomp-migration
OUT=$WORK/$name.out ERR=$WORK/$name.err SOCK=$WORK/$name.sock
rm -f "$SOCK"
ITSY_TEST_SECCOMP=migration timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" \
	--initrd "$INITRD" --cmdline "$GUEST_CMDLINE itsy.run=ticks-long" --cpus 1 --mem 256M \
	--api-socket "$SOCK" </dev/null >"$OUT" 2>"$ERR" &
pid=$!
if ! wait_for 'ITSY-TICK 2' "$OUT" "$BOOT_TIMEOUT" "$pid"; then
	kill -9 "$pid" 2>/dev/null
	wait "$pid"
	fail $name "the guest never ticked" "$OUT" "$ERR"
else
	"$ITSY" ctl --api-socket "$SOCK" migrate tcp:127.0.0.1:7899 --insecure >"$WORK/$name.ctl" 2>&1
	wait "$pid"
	RC=$?
	killed $name migration
fi

name=seccomp-log
ITSY_TEST_SECCOMP=vcpu run_itsy $name "$BOOT_TIMEOUT" --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=poweroff" --cpus 1 --mem 256M --seccomp log
echo "ITSY-INFO $name: the kernel logged $(dmesg | grep -c 'type=1326') seccomp audit records so far"
check_clean_run $name
