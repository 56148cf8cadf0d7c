# virtio-blk: a filesystem made and written in the guest reads back the same
# on the host after a clean poweroff; data the guest synced survives the
# VMM being killed at once; a disk in use by another itsy, or missing, is
# refused at start with a clear message.
# itsy-tests: virtio-blk-fs virtio-blk-sigkill virtio-blk-locked virtio-blk-missing
. /tests/testlib

DISK=$WORK/disk.img
fresh_disk() { rm -f "$DISK"; dd if=/dev/zero of="$DISK" bs=1M count=64 2>/dev/null; }

# 1. mkfs + file in the guest, checksum again on the host (loop mount).
fresh_disk
run_itsy virtio-blk-fs "$BOOT_TIMEOUT" --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=blk-fs" --cpus 2 --mem 512M --disk "$DISK"
guest_sum=$(console "$OUT" | sed -n 's/^ITSY-BLK-SUM //p')
mkdir -p /mnt && mount -o loop,ro "$DISK" /mnt 2>"$WORK/mount.err"
host_sum=$(sha256sum /mnt/data 2>/dev/null | cut -d' ' -f1)
umount /mnt 2>/dev/null
echo "ITSY-INFO virtio-blk-fs: guest $guest_sum host $host_sum"
if [ "$RC" -ne 0 ] || ! seen ITSY-BLK-UNMOUNTED "$OUT"; then
	fail virtio-blk-fs "the guest did not finish cleanly ($(describe_rc "$RC"))" "$OUT" "$ERR"
elif [ -z "$host_sum" ]; then
	fail virtio-blk-fs "the host cannot read the file back" "$WORK/mount.err" "$OUT"
elif [ "$guest_sum" != "$host_sum" ]; then
	fail virtio-blk-fs "checksums differ: guest $guest_sum, host $host_sum" "$OUT" "$ERR"
else
	pass virtio-blk-fs
fi

# 2. sync in the guest, SIGKILL the VMM right after, read the image.
fresh_disk
name=virtio-blk-sigkill OUT=$WORK/sigkill.out ERR=$WORK/sigkill.err
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=blk-sync" --mem 512M --disk "$DISK" \
	</dev/null >"$OUT" 2>"$ERR" &
pid=$!
if wait_for 'ITSY-BLK-SYNCED' "$OUT" "$BOOT_TIMEOUT" "$pid"; then
	kill -KILL "$(pidof itsy)" 2>/dev/null
	wait "$pid"
	want=$(console "$OUT" | sed -n 's/^ITSY-BLK-SYNCED //p')
	got=$(dd if="$DISK" bs=4k skip=1024 count=256 2>/dev/null | sha256sum | cut -d' ' -f1)
	echo "ITSY-INFO $name: synced $want, image $got"
	if [ "$want" = "$got" ]; then
		pass "$name"
	else
		fail "$name" "the synced data is not in the image" "$OUT" "$ERR"
	fi
else
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	fail "$name" "the guest never reported its sync" "$OUT" "$ERR"
fi

# 3. a second itsy on a disk in use is refused; the first runs on.
fresh_disk
name=virtio-blk-locked OUT=$WORK/locked1.out ERR=$WORK/locked1.err
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=ticks" --mem 256M --disk "$DISK" \
	</dev/null >"$OUT" 2>"$ERR" &
pid=$!
wait_for 'ITSY-TICK 1' "$OUT" "$BOOT_TIMEOUT" "$pid"
run_itsy virtio-blk-locked2 60 --kernel "$KERNEL" --mem 256M --disk "$DISK"
wait "$pid"
first=$?
if [ "$RC" -ne 1 ] || ! grep -q "disk '$DISK': in use" "$ERR"; then
	fail "$name" "second itsy: $(describe_rc "$RC"), want 1 and 'in use'" "$ERR"
elif [ "$first" -ne 0 ] || ! seen 'ITSY-TICK 8' "$WORK/locked1.out"; then
	fail "$name" "the first guest did not run to its end ($(describe_rc "$first"))" "$WORK/locked1.out"
else
	pass "$name"
fi

# 4. a missing disk is named in the error.
run_itsy virtio-blk-missing 60 --kernel "$KERNEL" --mem 256M --disk "$WORK/nope.img"
if [ "$RC" -ne 1 ] || ! grep -q "nope.img" "$ERR"; then
	fail virtio-blk-missing "itsy: $(describe_rc "$RC"), want 1 naming the disk" "$OUT" "$ERR"
else
	pass virtio-blk-missing
fi
