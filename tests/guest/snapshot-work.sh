# Work that needs interrupts: every second, write a random 64 KiB block to
# the virtio disk (O_DIRECT), read it back and compare, and read entropy
# from virtio-rng. Each line says how many rounds were done and the total
# of the virtio interrupt counts, so the host can check both go on.
# With a vsock device, keep an echo server on port 1234 for the host.
if [ -e /dev/vsock ]; then
	(while true; do vsock-echo listen 1234 >/dev/null 2>&1; done) &
fi
i=0
while [ $i -lt 600 ]; do
	i=$((i + 1))
	dd if=/dev/urandom of=/tmp/w bs=64k count=1 2>/dev/null
	dd if=/tmp/w of=/dev/vda bs=64k seek=$((i % 256)) count=1 oflag=direct 2>/dev/null
	a=$(sha256sum </tmp/w)
	b=$(dd if=/dev/vda bs=64k skip=$((i % 256)) count=1 iflag=direct 2>/dev/null | sha256sum)
	r=$(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | wc -c)
	irqs=$(grep -E 'ITS.*virtio' /proc/interrupts | awk '{ for (k = 2; k <= 3; k++) s += $k } END { print s + 0 }')
	if [ "$a" = "$b" ] && [ "$r" -eq 16 ]; then
		echo "ITSY-WORK $i ok irqs=$irqs"
	else
		echo "ITSY-WORK $i BAD disk-equal=$([ "$a" = "$b" ] && echo y || echo n) rng=$r"
	fi
	sleep 1
done
