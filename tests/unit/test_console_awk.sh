#!/bin/sh
# tests/integration/console.awk: kernel messages cut out of the program
# lines they land in, and those lines joined again. Run by meson test.
#   test_console_awk.sh PATH/TO/console.awk
awkf=$1 fails=0 n=0

# case NAME INPUT WANT: printf-style INPUT through console.awk gives WANT.
check() {
	n=$((n + 1))
	got=$(printf "$2" | tr -d '\r' | LC_ALL=C awk -f "$awkf")
	want=$(printf "$3")
	if [ "$got" != "$want" ]; then
		echo "FAIL $1:"
		echo "  got:  $(echo "$got" | tr '\n' '|')"
		echo "  want: $(echo "$want" | tr '\n' '|')"
		fails=$((fails + 1))
	fi
}

check plain 'a\r\nb\r\n' 'a\nb'
check record-own-line 'a\n[    1.000000] m\nb\n' 'a\n[    1.000000] m\nb'
check record-ends-line 'ITSY-NPROC 2[    4.004545] reboot: Power down\n' \
	'[    4.004545] reboot: Power down\nITSY-NPROC 2'
check record-mid-line 'COUN[   12.000001] x\nTER 5\n' '[   12.000001] x\nCOUNTER 5'
check two-records 'CO[ 1.000001] x\n[ 1.000002] y\nUNTER 5\nnext\n' \
	'[ 1.000001] x\n[ 1.000002] y\nCOUNTER 5\nnext'
check brackets-kept 'A [b] c\n[x.y] z\nup [ 1.5] s\n' 'A [b] c\n[x.y] z\nup [ 1.5] s'
check unfinished 'a\nlast' 'a\nlast'
check empty '' ''
echo "$n cases, $fails failed"
[ "$fails" -eq 0 ]
