# Guest scenario (itsy.run=nproc): report how many CPUs the guest sees.
echo "ITSY-NPROC $(nproc)"
