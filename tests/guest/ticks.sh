# Print a numbered tick every second for 8 seconds, then return (power off).
for i in 1 2 3 4 5 6 7 8; do
	echo "ITSY-TICK $i"
	sleep 1
done
