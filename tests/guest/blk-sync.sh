# Write 1 MiB of random data at 4 MiB into the raw disk, sync, say so with
# its checksum, then stay up: the host kills the VMM right away.
dd if=/dev/urandom of=/tmp/pattern bs=4k count=256 2>/dev/null
dd if=/tmp/pattern of=/dev/vda bs=4k seek=1024 count=256 2>/dev/null
sync
echo "ITSY-BLK-SYNCED $(sha256sum /tmp/pattern | cut -d' ' -f1)"
sleep 600
