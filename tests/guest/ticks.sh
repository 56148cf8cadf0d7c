# Print a numbered tick every second for 8 seconds, then return (power off).
# With a virtio-rng device, each tick also says how many bytes it gave.
for i in 1 2 3 4 5 6 7 8; do
	if [ -c /dev/hwrng ]; then
		echo "ITSY-TICK $i rng=$(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | wc -c)"
	else
		echo "ITSY-TICK $i"
	fi
	sleep 1
done
