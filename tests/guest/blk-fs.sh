# Make a filesystem on the virtio disk, write a file, print its checksum,
# unmount (so everything reaches the disk) and return (power off).
mke2fs -q /dev/vda || { echo "ITSY-BLK-ERROR mke2fs failed"; exit 0; }
mkdir -p /mnt && mount /dev/vda /mnt || { echo "ITSY-BLK-ERROR mount failed"; exit 0; }
dd if=/dev/urandom of=/mnt/data bs=64k count=64 2>/dev/null
echo "ITSY-BLK-SUM $(sha256sum /mnt/data | cut -d' ' -f1)"
umount /mnt && echo "ITSY-BLK-UNMOUNTED"
