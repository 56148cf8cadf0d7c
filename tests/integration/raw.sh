# --kernel-format raw: a headerless bare-metal payload (tests/payload) runs
# from RAM base + 0x80000 with x0 pointing at a device tree placed above it,
# and powers off. The same file without the flag is refused: it has no
# arm64 Image header. A payload that polls the UART for a key (as boot
# loaders and kvm-unit-tests do, the receive interrupt never enabled) gets
# the key typed into itsy's input.
# itsy-tests: raw-payload raw-needs-flag raw-polls-for-key
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

name=raw-polls-for-key
start_typed $name 120 "$ITSY" run --kernel /guest/raw-key.bin --kernel-format raw --mem 64M
if ! wait_for 'ITSY-RAW-KEY[?]' "$OUT" 60 "$PID"; then
	end_typed 0
	fail $name "the payload never asked for a key ($(describe_rc "$RC"))" "$OUT" "$ERR"
else
	echo q >&3
	end_typed 60
	if [ "$RC" -ne 0 ]; then
		fail $name "itsy: $(describe_rc "$RC") after the key was typed" "$OUT" "$ERR"
	elif ! seen 'ITSY-RAW-GOT q' "$OUT"; then
		fail $name "the polling payload did not get the key" "$OUT" "$ERR"
	else
		pass $name
	fi
fi

run_itsy raw-needs-flag 60 --kernel "$PAYLOAD" --mem 64M
if [ "$RC" -ne 1 ]; then
	fail raw-needs-flag "itsy: $(describe_rc "$RC"), want exit status 1" "$OUT" "$ERR"
elif ! grep -q "no arm64 Image magic" "$ERR"; then
	fail raw-needs-flag "stderr does not say the Image magic is missing" "$OUT" "$ERR"
else
	pass raw-needs-flag
fi
