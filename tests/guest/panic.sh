# Guest scenario (itsy.run=panic): crash the kernel on purpose.
. /tests/guestlib
mark ITSY-PANIC-NOW
echo c >/proc/sysrq-trigger
# Not reached unless the crash failed.
echo "ITSY-GUEST-ERROR sysrq crash did not panic"
