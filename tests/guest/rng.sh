# Read entropy from the virtio-rng device and show where its interrupts go.
cat /sys/class/misc/hw_random/rng_available 2>/dev/null | sed 's/^/ITSY-RNG-AVAILABLE /'
n=$(dd if=/dev/hwrng bs=64 count=4 2>/dev/null | wc -c)
echo "ITSY-RNG-BYTES $n"
grep -i virtio /proc/interrupts | sed 's/^/ITSY-IRQ /'
