# Guest scenario (itsy.run=rtc-alarm): set the PL031's alarm 2 s ahead
# through the RTC class, wait, and say whether its interrupt came:
#   ITSY-RTC-ALARM fired=N wakealarm=[T]   N interrupts of rtc-pl031 meanwhile;
#                                          the alarm reads empty once it fired
. /tests/guestlib
irqs() { awk '/pl031/ { for (k = 2; k <= NF && $k ~ /^[0-9]+$/; k++) s += $k } END { print s + 0 }' /proc/interrupts; }
rtc=/sys/class/rtc/rtc0
before=$(irqs)
echo 0 >"$rtc/wakealarm"
if ! echo +2 >"$rtc/wakealarm"; then
	mark "ITSY-RTC-ALARM error: the alarm could not be set"
	exit 0
fi
sleep 5
mark "ITSY-RTC-ALARM fired=$(($(irqs) - before)) wakealarm=[$(cat "$rtc/wakealarm")]"
