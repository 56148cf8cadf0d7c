# itsy inspect: a 2-vCPU guest with a virtio disk and virtio-rng, busy
# reading both, is snapshotted; `itsy inspect` must read the snapshot (text
# and JSON), show both devices with their ITS DeviceIDs, and show for each
# device exactly the EventID -> LPI translations the guest kernel set up.
# A damaged state file and a short memory file must give exit status 1 and
# a message, never a crash.
# itsy-tests: inspect-report inspect-json-devices inspect-its-matches-guest inspect-bad-snapshot inspect-short-memory
#
# What the guest can show, and so what is compared (c):
#  - /proc/interrupts gives each virtio interrupt's Linux irq number, its
#    top irq domain's chip and hwirq, and its action name (virtioN-...).
#    That hwirq is not the LPI on either kernel: on 6.1 the chip is the
#    global "ITS-MSI" PCI/MSI domain and hwirq = MSI-X index | requester
#    id << 11 (pci_msi_domain_calc_hwirq); on 6.12 the chip is the
#    per-device "ITS-PCI-MSIX-0000:00:0N.0" domain and hwirq is the MSI-X
#    index alone. The LPI is the hwirq of the ITS domain below it, which
#    /proc and /sys do not show (and the kernels lack GENERIC_IRQ_DEBUGFS).
#  - So the guest boots with the ITS driver's allocation debug message on
#    (dyndbg for its_irq_domain_alloc): "ID:<EventID> pID:<LPI> vID:<irq>"
#    ties each Linux irq to its EventID and LPI.
#  - Joined on the irq number with /proc/interrupts (action name -> virtioN
#    -> PCI address from sysfs -> DeviceID = devfn on bus 0) this gives the
#    guest's set of (DeviceID, EventID, LPI), which must equal the set the
#    inspector walked out of the ITS tables for the virtio devices.
#  - And the MSI-X index from the hwirq column (low 11 bits on 6.1, all of
#    it on 6.12) must be the vector whose MSI-X table data the inspector
#    shows as that EventID; on 6.1 the hwirq's requester id must also be
#    the DeviceID.
. /tests/testlib

SNAP=$WORK/inspect-snap DISK=$WORK/inspect-disk.img SOCK=$WORK/inspect.sock
ALL="inspect-report inspect-json-devices inspect-its-matches-guest inspect-bad-snapshot inspect-short-memory"
rm -rf "$SNAP" "$WORK/inspect-bad" "$WORK/inspect-short" "$SOCK"
dd if=/dev/urandom of="$DISK" bs=1M count=8 2>/dev/null
OUT=$WORK/inspect.out ERR=$WORK/inspect.err
timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE itsy.run=inspect dyndbg=\"func its_irq_domain_alloc +p\"" \
	--cpus 2 --mem 256M --disk "$DISK" --rng --api-socket "$SOCK" </dev/null >"$OUT" 2>"$ERR" &
pid=$!
if ! wait_for 'ITSY-INSPECT-IO 20' "$OUT" "$BOOT_TIMEOUT" "$pid"; then
	kill -9 "$pid" 2>/dev/null
	for t in $ALL; do fail "$t" "the guest never got its I/O going" "$OUT" "$ERR"; done
	exit 0
fi
snap=$("$ITSY" ctl --api-socket "$SOCK" snapshot "$SNAP" 2>"$WORK/inspect-ctl.err")
"$ITSY" ctl --api-socket "$SOCK" quit >/dev/null 2>&1
wait "$pid"
if ! echo "$snap" | grep -q '"ok":true'; then
	for t in $ALL; do fail "$t" "snapshot failed: $snap" "$WORK/inspect-ctl.err" "$ERR"; done
	exit 0
fi
console "$OUT" | grep -E '^ITSY-(VIRTIO|IRQ|LPI) ' | sed 's/^/ITSY-INFO inspect guest: /'

# (a) Both views, exit status 0.
TXT=$WORK/inspect.txt JSON=$WORK/inspect.json
"$ITSY" inspect "$SNAP" >"$TXT" 2>"$WORK/inspect-txt.err"
rc_txt=$?
"$ITSY" inspect "$SNAP" --json >"$JSON" 2>"$WORK/inspect-json.err"
rc_json=$?
sed 's/^/ITSY-INFO inspect report: /' "$TXT"
if [ "$rc_txt" -ne 0 ] || [ "$rc_json" -ne 0 ]; then
	fail inspect-report "itsy inspect: text $(describe_rc "$rc_txt"), --json $(describe_rc "$rc_json")" \
		"$WORK/inspect-txt.err" "$TXT" "$WORK/inspect-json.err"
elif ! grep -q '^ITS devices:' "$TXT" || ! grep -q '"problems": \[\]' "$JSON" ||
	! grep -q '"warnings": \[\]' "$JSON"; then
	fail inspect-report "the report lacks its ITS part or lists problems or warnings" "$TXT"
else
	pass inspect-report
fi

# The guest's view: virtioN -> DeviceID, virtio device type.
# Lines "virtioN DEVID TYPE", DEVID = PCI slot << 3 (bus 0, function 0).
console "$OUT" | sed -n 's/^ITSY-VIRTIO //p' |
	awk '{
		split($2, a, /[:.]/)	# domain, bus, slot, function (hex)
		slot = 16 * (index("0123456789abcdef", substr(a[3], 1, 1)) - 1) +
			index("0123456789abcdef", substr(a[3], 2, 1)) - 1
		printf "%s 0x%04x %s\n", $1, slot * 8, $3
	}' >"$WORK/inspect-g-virtio"

# The inspector's JSON (indented, one key per line; top-level keys are
# indented by two spaces). Prints
#   pci KIND DEVICEID                for each PCI function in "devices"
#   msix DEVICEID VECTOR EVENTID     for each MSI-X table entry
#   its DEVICEID EVENTID LPI         for each event of the ITS tables
json_facts() {
	awk '
	function val(s) { sub(/^[^:]*: */, "", s); gsub(/[",]/, "", s); return s }
	/^  "[a-z_]+":/ { top = $1; gsub(/[":]/, "", top) }
	top == "devices" && /"kind":/ { kind = val($0) }
	top == "devices" && /"device_id":/ { dev = val($0); print "pci", kind, dev }
	top == "devices" && /"vector":/ { vec = val($0) }
	top == "devices" && /"event_id":/ { print "msix", dev, vec, val($0) }
	top == "its" && /"device_id":/ { dev = val($0) }
	top == "its" && /"event_id":/ { ev = val($0) }
	top == "its" && /"lpi":/ { print "its", dev, ev, val($0) }
	' "$1"
}
json_facts "$JSON" >"$WORK/inspect-facts"
sed 's/^/ITSY-INFO inspect json: /' "$WORK/inspect-facts"

# (b) The JSON has the disk and the rng, with the DeviceIDs the guest's
# PCI addresses give.
want_dev() { awk -v t="$1" '$3 == t { print $2 }' "$WORK/inspect-g-virtio"; }
got_dev() { awk -v k="$1" '$1 == "pci" && $2 == k { print $3 }' "$WORK/inspect-facts"; }
blk=$(got_dev virtio-blk) rng=$(got_dev virtio-rng)
if [ -z "$blk" ] || [ -z "$rng" ]; then
	fail inspect-json-devices "the JSON lacks a device (virtio-blk '$blk', virtio-rng '$rng')" "$JSON"
elif [ "$blk" != "$(want_dev 0x0002)" ] || [ "$rng" != "$(want_dev 0x0004)" ]; then
	fail inspect-json-devices "DeviceIDs: inspector blk $blk rng $rng, guest blk $(want_dev 0x0002) rng $(want_dev 0x0004)" "$WORK/inspect-g-virtio"
else
	pass inspect-json-devices
fi

# (c) The guest's (DeviceID, EventID, LPI) set against the inspector's,
# and each irq's MSI-X index (hwirq column) against the MSI-X table.
console "$OUT" | sed -n 's/^ITSY-LPI //p' >"$WORK/inspect-g-lpi"
console "$OUT" | sed -n 's/^ITSY-IRQ //p' >"$WORK/inspect-g-irq"
# Lines "DEVID EVENTID LPI INDEX HWIRQ-DEVID" (HWIRQ-DEVID: 6.1 only, else -).
awk '
	FILENAME ~ /virtio$/ { devid[$1] = $2; next }
	FILENAME ~ /lpi$/ {
		split($0, f, /[: ]/)	# ID EVENTID pID LPI vID IRQ
		ev[f[6]] = f[2]; lpi[f[6]] = f[4]; next	# the last allocation wins
	}
	{
		irq = $1; sub(/:$/, "", irq)
		name = $NF; sub(/-.*/, "", name)
		chip = $(NF - 3); hw = $(NF - 2)
		if (chip == "ITS-MSI") { idx = hw % 2048; hwdev = sprintf("0x%04x", int(hw / 2048) % 65536) }
		else { idx = hw; hwdev = "-" }
		if (!(irq in lpi) || !(name in devid)) { print "unmatched", irq, name; next }
		print devid[name], ev[irq], lpi[irq], idx, hwdev
	}' "$WORK/inspect-g-virtio" "$WORK/inspect-g-lpi" "$WORK/inspect-g-irq" >"$WORK/inspect-guest"
sed 's/^/ITSY-INFO inspect guest view: /' "$WORK/inspect-guest"
awk '{ print $1, $2, $3 }' "$WORK/inspect-guest" | sort >"$WORK/inspect-want"
# The inspector's events of the virtio devices the guest has.
awk 'FILENAME ~ /virtio$/ { d[$2] = 1; next } $1 == "its" && ($2 in d) { print $2, $3, $4 }' \
	"$WORK/inspect-g-virtio" "$WORK/inspect-facts" | sort >"$WORK/inspect-got"
# MSI-X mismatches: the vector at the guest's index must hold its EventID.
bad_msix=$(awk '
	FILENAME ~ /facts$/ { if ($1 == "msix") data[$2 " " $3] = $4; next }
	($1 " " $4) in data && data[$1 " " $4] == $2 && ($5 == "-" || $5 == $1) { next }
	{ print "irq of DeviceID " $1 " EventID " $2 " index " $4 " (hwirq device " $5 ")" }
	' "$WORK/inspect-facts" "$WORK/inspect-guest")
if grep -q unmatched "$WORK/inspect-guest" || [ ! -s "$WORK/inspect-want" ]; then
	fail inspect-its-matches-guest "the guest's interrupts could not all be tied to an LPI ($(grep -c . "$WORK/inspect-g-lpi") ITS debug lines)" "$WORK/inspect-guest" "$OUT"
elif ! cmp -s "$WORK/inspect-want" "$WORK/inspect-got"; then
	fail inspect-its-matches-guest "guest (DeviceID EventID LPI): $(tr '\n' ';' <"$WORK/inspect-want") inspector: $(tr '\n' ';' <"$WORK/inspect-got")"
elif [ -n "$bad_msix" ]; then
	fail inspect-its-matches-guest "MSI-X table does not match: $bad_msix" "$WORK/inspect-facts"
else
	echo "ITSY-INFO inspect-its-matches-guest: $(grep -c . "$WORK/inspect-want") LPIs match: $(tr '\n' ';' <"$WORK/inspect-want")"
	pass inspect-its-matches-guest
fi

# (d) A damaged copy: one byte in the middle of the state file flipped.
mkdir -p "$WORK/inspect-bad"
cp "$SNAP/state" "$WORK/inspect-bad/state"
size=$(wc -c <"$SNAP/state")
off=$((size / 2))
byte=$(dd if="$SNAP/state" bs=1 skip="$off" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
# shellcheck disable=SC2059 # the format is the octal escape
printf "\\$(printf %03o $((byte ^ 255)))" |
	dd of="$WORK/inspect-bad/state" bs=1 seek="$off" conv=notrunc 2>/dev/null
"$ITSY" inspect "$WORK/inspect-bad" >"$WORK/inspect-bad.txt" 2>"$WORK/inspect-bad.err"
rc_bad=$?
"$ITSY" inspect "$WORK/inspect-bad" --json >"$WORK/inspect-bad.json" 2>"$WORK/inspect-bad-json.err"
rc_badj=$?
"$ITSY" inspect "$WORK/no-such-snapshot" >/dev/null 2>"$WORK/inspect-none.err"
rc_none=$?
echo "ITSY-INFO inspect-bad-snapshot: byte $off of $size flipped: $(cat "$WORK/inspect-bad.err"); no dir: $(cat "$WORK/inspect-none.err")"
if cmp -s "$SNAP/state" "$WORK/inspect-bad/state"; then
	fail inspect-bad-snapshot "the byte was not flipped"
elif [ "$rc_bad" -ne 1 ] || [ "$rc_badj" -ne 1 ] || [ "$rc_none" -ne 1 ]; then
	fail inspect-bad-snapshot "want exit status 1: damaged $(describe_rc "$rc_bad"), --json $(describe_rc "$rc_badj"), no directory $(describe_rc "$rc_none")" "$WORK/inspect-bad.err"
elif ! grep -qE "section ('[^']+'|#[0-9]+)" "$WORK/inspect-bad.err" ||
	! grep -qE "section ('[^']+'|#[0-9]+)" "$WORK/inspect-bad.json"; then
	fail inspect-bad-snapshot "the message names no section" "$WORK/inspect-bad.err"
elif ! grep -q 'No such file' "$WORK/inspect-none.err"; then
	fail inspect-bad-snapshot "no clear message for a missing directory" "$WORK/inspect-none.err"
else
	pass inspect-bad-snapshot
fi

# A memory file shorter than the guest's RAM: reported, everything the
# state file says still printed, exit status 1.
mkdir -p "$WORK/inspect-short"
cp "$SNAP/state" "$WORK/inspect-short/state"
dd if=/dev/zero of="$WORK/inspect-short/memory" bs=1M count=1 2>/dev/null
"$ITSY" inspect "$WORK/inspect-short" >"$WORK/inspect-short.txt" 2>"$WORK/inspect-short.err"
rc_short=$?
if [ "$rc_short" -ne 1 ]; then
	fail inspect-short-memory "want exit status 1, got $(describe_rc "$rc_short")" "$WORK/inspect-short.txt" "$WORK/inspect-short.err"
elif ! grep -q 'bytes of RAM' "$WORK/inspect-short.txt" || ! grep -q '^vCPUs:' "$WORK/inspect-short.txt" ||
	! grep -q 'virtio-blk' "$WORK/inspect-short.txt"; then
	fail inspect-short-memory "the report lacks the problem or the state" "$WORK/inspect-short.txt"
else
	pass inspect-short-memory
fi
rm -rf "$SNAP" "$WORK/inspect-bad" "$WORK/inspect-short" "$DISK"
