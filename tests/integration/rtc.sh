# The PL031's alarm in a Linux guest: the RTC class sets it 2 s ahead
# (tests/guest/rtc-alarm.sh); its interrupt (SPI 2) must come and the alarm
# read as done.
# itsy-tests: rtc-alarm
. /tests/testlib

run_itsy rtc-alarm "$BOOT_TIMEOUT" --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=rtc-alarm" --cpus 1 --mem 256M
check_clean_run rtc-alarm '^ITSY-RTC-ALARM fired=[1-9][0-9]* wakealarm=\[\]$'
