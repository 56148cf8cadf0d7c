# Guest scenario (itsy.run=pmu): does the guest have an Arm PMU?
echo "ITSY-NPROC $(nproc)"
if ls -d /sys/bus/event_source/devices/armv8_pmuv3* >/dev/null 2>&1; then
	echo "ITSY-PMU yes"
else
	echo "ITSY-PMU no"
fi
