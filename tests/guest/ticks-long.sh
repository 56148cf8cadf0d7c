# Print a numbered tick every second for up to 10 minutes (the host stops it).
i=1
while [ $i -le 600 ]; do
	echo "ITSY-TICK $i"
	sleep 1
	i=$((i + 1))
done
