# The guest half of scripts/bench-io: iobench on the virtio disk.
secs=3
for arg in $(cat /proc/cmdline); do
	case $arg in itsy.secs=*) secs=${arg#itsy.secs=} ;; esac
done
for m in seqread seqwrite randread randwrite; do
	iobench /dev/vda "$m" 256 "$secs" | sed 's/^iobench /ITSY-BENCH-IO guest /'
done
# 32 requests in flight (randread-qd32, randwrite-qd32).
for m in randread randwrite; do
	iobench /dev/vda "$m" 256 "$secs" 32 | sed 's/^iobench /ITSY-BENCH-IO guest /'
done
