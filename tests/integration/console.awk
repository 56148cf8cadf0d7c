# A serial console as lines a test can match: awk -f console.awk FILE...
#
# Two writers share a Linux console: programs write through the tty, whose
# output the UART drains in interrupt-sized chunks, and the kernel's printk
# writes its records straight to the UART, whenever it likes. So a record
# can land inside a line a program printed ("ITSY-NPROC 2[    4.0] reboot:
# Power down", the newline still queued in the tty). This prints every
# printk record ("[ seconds.micro] text") on a line of its own and joins
# the program's line around it again, so that anchored patterns such as
# /^COUNTER [0-9]+$/ hold. A program line still unfinished at the end is
# printed last. Feed it without carriage returns (tr, in the callers). The
# same file serves the tests in the emulated host (busybox awk) and the
# scripts that read the host's console on the build machine.

{
	line = $0
	# A record that starts mid-line: what comes before it is the start
	# of a program's line, continued after the record's newline.
	if (match(line, /\[ *[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]\] /) && RSTART > 1) {
		held = held substr(line, 1, RSTART - 1)
		print substr(line, RSTART)
		next
	}
	if (RSTART == 1) {
		print line
		next
	}
	print held line
	held = ""
}

END {
	if (held != "")
		print held
}
