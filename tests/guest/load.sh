# Several virtio devices busy at once on 2 vCPUs: disk writes+reads with
# checksums, entropy reads, and vsock round trips if there is a vsock device.
# Each worker does a fixed amount of work; a lost interrupt would leave one
# blocked forever, which the host side sees as a missing ITSY-LOAD-DONE.
rounds=20
blk() {
	i=0
	while [ $i -lt $rounds ]; do
		dd if=/dev/urandom of=/tmp/blk.$i bs=64k count=8 2>/dev/null
		dd if=/tmp/blk.$i of=/dev/vda bs=64k seek=$((i * 8)) count=8 oflag=direct 2>/dev/null
		a=$(sha256sum </tmp/blk.$i)
		b=$(dd if=/dev/vda bs=64k skip=$((i * 8)) count=8 iflag=direct 2>/dev/null | sha256sum)
		[ "$a" = "$b" ] || { echo "ITSY-LOAD-BAD blk round $i"; return; }
		rm -f /tmp/blk.$i
		i=$((i + 1))
	done
	echo "ITSY-LOAD-BLK $i"
}
rng() {
	i=0
	while [ $i -lt $((rounds * 10)) ]; do
		n=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | wc -c)
		[ "$n" -eq 64 ] || { echo "ITSY-LOAD-BAD rng read $n"; return; }
		i=$((i + 1))
	done
	echo "ITSY-LOAD-RNG $i"
}
blk & b=$!
rng & r=$!
wait $b
wait $r
echo ITSY-LOAD-DONE
