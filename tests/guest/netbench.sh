# The guest half of scripts/bench-io's network row: 32 MiB to the host's
# port 6001 through virtio-net, timed like the host's loopback run.
dev=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
ip addr add 10.0.2.15/24 dev "$dev" && ip link set "$dev" up
i=0
while ! ping -c 1 -W 1 10.0.2.1 >/dev/null 2>&1 && [ $i -lt 60 ]; do i=$((i + 1)); sleep 1; done
echo "ITSY-NETBENCH ping after $i tries"
t0=$(cut -d' ' -f1 /proc/uptime)
dd if=/dev/zero bs=64k count=512 2>/dev/null | nc 10.0.2.1 6001
t1=$(cut -d' ' -f1 /proc/uptime)
sleep 3	# let the socket drain before the guest powers off (not timed)
awk -v t0="$t0" -v t1="$t1" 'BEGIN { s = t1 - t0; if (s <= 0) s = 0.01
	printf "ITSY-BENCH-IO guest net-tx %.1f MB/s virtio-net\n", 33554432 / s / 1e6 }'
