# virtio-rng over virtio-pci: the guest reads entropy, and the device's
# MSI-X vectors are delivered through the ITS (the interrupt names say so)
# and actually fire.
# itsy-hosts: every
# itsy-tests: virtio-rng virtio-msi-its
. /tests/testlib

run_itsy virtio-rng "$BOOT_TIMEOUT" --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=rng" --cpus 2 --mem 512M --rng
check_clean_run virtio-rng 'ITSY-RNG-AVAILABLE .*virtio_rng' 'ITSY-RNG-BYTES 256$'

# The request queue's vector: on the ITS, with a non-zero count.
irq=$(console "$OUT" | grep 'ITSY-IRQ' | grep -- '-input' | head -n 1)
echo "ITSY-INFO virtio-msi-its: $irq"
if ! echo "$irq" | grep -qE 'ITS-(PCI-)?MSI'; then
	fail virtio-msi-its "the virtio-rng vector is not on the ITS" "$OUT" "$ERR"
elif ! echo "$irq" | awk '{ s = 0; for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; else break; exit !(s > 0) }'; then
	fail virtio-msi-its "the virtio-rng vector never fired" "$OUT" "$ERR"
else
	pass virtio-msi-its
fi
