# Print the guest's wall-clock time and a counter every second, for the
# host to compare with its own clock across a snapshot and restore.
i=0
while [ $i -lt 600 ]; do
	i=$((i + 1))
	echo "ITSY-CLOCK $i $(date +%s) $(cut -d' ' -f1 /proc/uptime)"
	sleep 1
done
