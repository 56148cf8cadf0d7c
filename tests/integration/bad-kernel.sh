# A kernel that is garbage, empty or missing must make itsy fail quickly
# with a message on stderr, not crash (no death by signal) or hang.
# itsy-tests: bad-kernel-garbage bad-kernel-empty bad-kernel-missing
. /tests/testlib

head -c 1048576 /dev/urandom >"$WORK/garbage.img"
: >"$WORK/empty.img"
rm -f "$WORK/missing.img"

for case in garbage empty missing; do
	name=bad-kernel-$case
	k=$WORK/$case.img
	run_itsy "$name" 60 --kernel "$k" --initrd "$INITRD" \
		--cmdline "$GUEST_CMDLINE" --cpus 1 --mem 512M
	if [ "$RC" -eq 0 ]; then
		fail "$name" "itsy exited 0" "$OUT" "$ERR"
	elif [ "$RC" -ge 128 ]; then
		fail "$name" "itsy: $(describe_rc "$RC")" "$OUT" "$ERR"
	elif [ ! -s "$ERR" ]; then
		fail "$name" "itsy exited $RC with nothing on stderr" "$OUT"
	elif ! grep -qF -- "$k" "$ERR"; then
		fail "$name" "itsy's message does not name the kernel file" "$ERR"
	elif [ "$ELAPSED" -gt 20 ]; then
		fail "$name" "itsy took ${ELAPSED}s to give up" "$ERR"
	else
		echo "ITSY-INFO $name: $(head -n 1 "$ERR")"
		pass "$name"
	fi
done
