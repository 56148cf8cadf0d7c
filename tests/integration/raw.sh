# --kernel-format raw: a headerless bare-metal payload (tests/payload) runs
# from RAM base + 0x80000 with x0 pointing at a device tree placed above it,
# and powers off. The same file without the flag is refused: it has no
# arm64 Image header.
# itsy-tests: raw-payload raw-needs-flag
. /tests/testlib

PAYLOAD=/guest/raw-hello.bin

run_itsy raw-payload 120 --kernel "$PAYLOAD" --kernel-format raw --mem 64M
if [ "$RC" -ne 0 ]; then
	fail raw-payload "itsy: $(describe_rc "$RC")" "$OUT" "$ERR"
elif ! seen ITSY-RAW-START "$OUT"; then
	fail raw-payload "the payload printed nothing" "$OUT" "$ERR"
elif ! seen ITSY-RAW-DTB-OK "$OUT"; then
	fail raw-payload "x0 did not point at a device tree above the payload" "$OUT" "$ERR"
else
	pass raw-payload
fi

run_itsy raw-needs-flag 60 --kernel "$PAYLOAD" --mem 64M
if [ "$RC" -ne 1 ]; then
	fail raw-needs-flag "itsy: $(describe_rc "$RC"), want exit status 1" "$OUT" "$ERR"
elif ! grep -q "no arm64 Image magic" "$ERR"; then
	fail raw-needs-flag "stderr does not say the Image magic is missing" "$OUT" "$ERR"
else
	pass raw-needs-flag
fi
