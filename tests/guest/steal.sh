# Guest scenario (itsy.run=steal): PV stolen time as the guest sees it.
# Says whether the kernel uses it, then keeps its vCPU busy (steal only
# grows while a vCPU wants to run) and prints, every second or so,
# "ITSY-STEAL N STEAL" with STEAL the steal column of /proc/stat's cpu
# line (in 1/100 s).
if dmesg | grep -q 'stolen time PV'; then
	echo "ITSY-PVTIME yes"
else
	echo "ITSY-PVTIME no"
fi
while :; do :; done &
i=0
while [ $i -lt 1800 ]; do
	i=$((i + 1))
	set -- $(head -n 1 /proc/stat)
	echo "ITSY-STEAL $i $9"
	sleep 1
done
