# Load: virtio-blk and virtio-rng busy at the same time on a 2-vCPU guest
# for a while; every request must complete (no lost interrupts) and the
# disk data must read back as written.
# itsy-tests: virtio-load
. /tests/testlib

DISK=$WORK/load.img
rm -f "$DISK"
dd if=/dev/zero of="$DISK" bs=1M count=32 2>/dev/null
run_itsy virtio-load "$BOOT_TIMEOUT" --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=load" --cpus 2 --mem 512M --disk "$DISK" --rng
echo "ITSY-INFO virtio-load: $(console "$OUT" | grep -E 'ITSY-LOAD-(BLK|RNG)' | tr '\n' ' ')"
if seen 'ITSY-LOAD-BAD' "$OUT"; then
	fail virtio-load "$(console "$OUT" | grep ITSY-LOAD-BAD | head -n 1)" "$OUT" "$ERR"
else
	check_clean_run virtio-load 'ITSY-LOAD-BLK 20$' 'ITSY-LOAD-RNG 200$' 'ITSY-LOAD-DONE'
fi
