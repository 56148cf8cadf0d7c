# Disk writes without pause, so a snapshot lands with I/O in flight. Every
# block's checksum is kept in RAM (which the snapshot carries) in two
# phases: "pending" before the write, committed after, so whatever moment
# the snapshot takes, each block must match its committed or pending sum.
# Every 40 writes all blocks are read back and checked.
verify() {
	for f in /tmp/sum.*; do
		[ -e "$f" ] || continue
		b=${f#/tmp/sum.}
		got=$(dd if=/dev/vda bs=64k skip="$b" count=1 iflag=direct 2>/dev/null | sha256sum)
		[ "$got" = "$(cat "$f")" ] && continue
		[ "$(cat /tmp/pending 2>/dev/null)" = "$b $got" ] && continue
		echo "ITSY-INFLIGHT-BAD block $b"
		return
	done
	echo "ITSY-INFLIGHT-VERIFIED $1"
}
i=0
while [ $i -lt 100000 ]; do
	i=$((i + 1))
	b=$((i % 64))
	dd if=/dev/urandom of=/tmp/blk bs=64k count=1 2>/dev/null
	new=$(sha256sum </tmp/blk)
	echo "$b $new" >/tmp/pending
	dd if=/tmp/blk of=/dev/vda bs=64k seek="$b" count=1 oflag=direct 2>/dev/null
	echo "$new" >/tmp/sum.$b
	rm -f /tmp/pending
	[ $((i % 40)) -eq 0 ] && verify "$i"
done
