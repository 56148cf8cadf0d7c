# Guest scenario (itsy.run=poweroff): do nothing; /init then powers off.
# Used by the boot benchmark.
echo ITSY-POWEROFF
