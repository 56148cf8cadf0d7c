# --console virtio: the terminal is the guest's hvc0 (virtio-console over
# virtio-pci). A command typed into itsy's stdin runs in a shell on hvc0
# and its output comes back; poweroff from that shell exits 0.
# itsy-tests: console-virtio
. /tests/testlib

name=console-virtio
start_typed "$name" "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.tty=hvc0" --console virtio --cpus 2 --mem 512M

stop() { # $1: reason; kill itsy and report
	end_typed 0
	fail "$name" "$1" "$OUT" "$ERR"
	exit 0
}

wait_for 'itsy-guest:' "$OUT" "$BOOT_TIMEOUT" "$PID" || stop "no shell prompt on hvc0"
echo 'echo vcon-$((30+3)) $(tty)' >&3
wait_for 'vcon-33 /dev/hvc0' "$OUT" 60 "$PID" || stop "the command typed did not run on hvc0"
echo 'poweroff' >&3
end_typed 60
if [ "$RC" -ne 0 ]; then
	fail "$name" "itsy: $(describe_rc "$RC") after poweroff" "$OUT" "$ERR"
else
	pass "$name"
fi
