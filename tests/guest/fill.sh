# Put 64 MiB of random data in a tmpfs (RAM in use the snapshot must
# carry), say how much RAM is in use, then tick until stopped.
mkdir -p /fill && mount -t tmpfs tmpfs /fill
dd if=/dev/urandom of=/fill/data bs=1M count=64 2>/dev/null
echo "ITSY-FILLED used_kib=$(free | awk '/Mem:/ { print $2 - $4 }')"
i=0
while [ $i -lt 600 ]; do i=$((i + 1)); echo "ITSY-TICK $i"; sleep 1; done
