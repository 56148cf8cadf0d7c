# Network traffic across a snapshot: configure the virtio NIC as 10.0.2.15
# and ping the host (10.0.2.1) once a second, printing each round's result
# and the total of replies; the host restores the VM meanwhile.
dev=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
ip addr add 10.0.2.15/24 dev "$dev" && ip link set "$dev" up
i=0 ok=0
while [ $i -lt 600 ]; do
	i=$((i + 1))
	if ping -c 1 -W 2 10.0.2.1 >/dev/null 2>&1; then ok=$((ok + 1)); r=ok; else r=lost; fi
	echo "ITSY-PING $i $r total_ok=$ok"
	sleep 1
done
