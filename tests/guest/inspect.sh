# For `itsy inspect` (tests/integration/inspect.sh): say which interrupt
# (and, with the ITS driver's debug messages enabled on the kernel command
# line, which EventID and LPI) each virtio device has, then keep the disk
# and the entropy source busy so interrupts are live when the host takes
# the snapshot.
#
#   ITSY-VIRTIO virtioN PCI-ADDRESS VIRTIO-DEVICE-ID   e.g. virtio0 0000:00:01.0 0x0002
#   ITSY-IRQ <a /proc/interrupts line of a virtio interrupt>
#   ITSY-LPI <the ITS driver's "ID:<EventID> pID:<LPI> vID:<Linux irq>">
for d in /sys/bus/virtio/devices/virtio*; do
	[ -e "$d" ] || continue
	p=$(readlink -f "$d/..")
	echo "ITSY-VIRTIO ${d##*/} ${p##*/} $(cat "$d/device")"
done
grep -E 'virtio[0-9]' /proc/interrupts | sed 's/^/ITSY-IRQ /'
dmesg | grep -oE 'ID:[0-9]+ pID:[0-9]+ vID:[0-9]+' | sed 's/^/ITSY-LPI /'
echo ITSY-INSPECT-READY
i=0
while [ $i -lt 3000 ]; do
	i=$((i + 1))
	dd if=/dev/vda of=/dev/null bs=64k count=1 skip=$((i % 128)) iflag=direct 2>/dev/null
	dd if=/dev/hwrng of=/dev/null bs=16 count=1 2>/dev/null
	[ $((i % 20)) -ne 0 ] || echo "ITSY-INSPECT-IO $i"
	sleep 0.1 2>/dev/null || sleep 1
done
