# Guest scenario (itsy.run=impl): what the guest kernel learnt at boot of
# the CPU implementations it may run on (KVM's DISCOVER_IMPL hypercalls,
# Linux 6.15: "Number of target implementation CPUs is N"), and which
# hypervisor services it found (the third word is the vendor bitmap's
# second word, KVM_REG_ARM_VENDOR_HYP_BMAP_2); then a tick a second.
dmesg | grep -E 'target implementation|hypervisor services detected' | sed 's/^/ITSY-IMPL /'
echo "ITSY-IMPL told"
i=0
while :; do
	i=$((i + 1))
	echo "ITSY-IMPL-TICK $i"
	sleep 1
done
