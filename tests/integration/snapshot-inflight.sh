# A snapshot taken while the guest writes to its disk without pause: after
# the restore every block the guest wrote reads back as the guest last knew
# it (nothing lost or torn by the pause), and writing goes on.
# itsy-tests: snapshot-io-in-flight
. /tests/testlib

name=snapshot-io-in-flight SNAP=$WORK/isnap DISK=$WORK/idisk.img
rm -rf "$SNAP" "$WORK"/i?.sock
dd if=/dev/zero of="$DISK" bs=1M count=8 2>/dev/null
OUT=$WORK/if1.out ERR=$WORK/if1.err
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=inflight" --cpus 2 --mem 256M --disk "$DISK" \
	--api-socket "$WORK/i1.sock" </dev/null >"$OUT" 2>"$ERR" &
pid=$!
if ! wait_for 'ITSY-INFLIGHT-VERIFIED 40' "$OUT" "$BOOT_TIMEOUT" "$pid"; then
	kill -9 "$pid" 2>/dev/null
	fail "$name" "the guest's writes never got going" "$OUT" "$ERR"
	exit 0
fi
"$ITSY" ctl --api-socket "$WORK/i1.sock" snapshot "$SNAP" >/dev/null 2>>"$ERR"
"$ITSY" ctl --api-socket "$WORK/i1.sock" quit >/dev/null 2>&1
wait "$pid"
before=$(console "$OUT" | grep -c '^ITSY-INFLIGHT-VERIFIED')

OUT=$WORK/if2.out ERR=$WORK/if2.err
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" restore --from "$SNAP" --api-socket "$WORK/i2.sock" \
	</dev/null >"$OUT" 2>"$ERR" &
pid=$!
# Two verifications after the restore: every block checked, twice.
wait_for 'ITSY-INFLIGHT-VERIFIED' "$OUT" 180 "$pid" &&
	sleep 1 && ok=$(console "$OUT" | grep -c '^ITSY-INFLIGHT-VERIFIED')
i=0
while [ "${ok:-0}" -lt 2 ] && [ $i -lt 120 ] && kill -0 "$pid" 2>/dev/null; do
	sleep 1
	i=$((i + 1))
	ok=$(console "$OUT" | grep -c '^ITSY-INFLIGHT-VERIFIED')
done
"$ITSY" ctl --api-socket "$WORK/i2.sock" quit >/dev/null 2>&1
wait "$pid"
echo "ITSY-INFO $name: $before verifications before the snapshot, ${ok:-0} after the restore"
if seen 'ITSY-INFLIGHT-BAD' "$OUT"; then
	fail "$name" "$(console "$OUT" | grep ITSY-INFLIGHT-BAD | head -n 1) after the restore" "$OUT" "$ERR"
elif [ "${ok:-0}" -lt 2 ]; then
	fail "$name" "the restored guest did not verify its disk twice" "$OUT" "$ERR"
else
	pass "$name"
fi
