# Host profiles and pool profiles on this host.
#  host-profile          `itsy host-profile --json` describes this kernel;
#                        the text form names GICD_IIDR; the JSON is logged
#                        as ITSY-PROFILE lines for the x86 side
#  profile-self-pool     a pool of this host with itself: check says yes,
#                        and a guest started with --profile boots
#  profile-refuse-field  a profile that shows an SVE this host does not
#                        have (ID_AA64PFR0_EL1's field SVE set to 15 by
#                        name) is refused by `profile check` and
#                        `run --profile`, naming the register
#  profile-impl          where the host's KVM offers the target-implementation
#                        calls (KVM_REG_ARM_VENDOR_HYP_BMAP_2, 6.15+): a guest
#                        of this host's pool with a second implementation
#                        added to the file by hand is told of both (its
#                        dmesg), a snapshot of it lists both (inspect) and
#                        its restore runs on; elsewhere the guest is not
#                        told and the host profile offers no such calls
# itsy-hosts: every
# itsy-tests: host-profile profile-self-pool profile-refuse-field profile-impl
. /tests/testlib

HP=$WORK/host.json POOL=$WORK/pool.json BAD=$WORK/bad.json
PFR0=0x603000000013c020

name=host-profile
"$ITSY" host-profile --json >"$HP" 2>"$WORK/hp.err"
rc=$?
"$ITSY" host-profile >"$WORK/hp.txt" 2>>"$WORK/hp.err"
if [ $rc -ne 0 ]; then
	fail $name "host-profile --json: $(describe_rc $rc)" "$WORK/hp.err"
elif ! grep -q "\"kernel\": \"$(uname -r)\"" "$HP" ||
	! grep -q "^    \"ID_AA64PFR0_EL1\": {" "$HP" || ! grep -q "\"id\": \"$PFR0\"" "$HP"; then
	fail $name "the JSON lacks this kernel's release or ID_AA64PFR0_EL1" "$HP"
elif ! grep -q '^GICD_IIDR' "$WORK/hp.txt"; then
	fail $name "the text form lacks GICD_IIDR" "$WORK/hp.txt"
else
	sed 's/^/ITSY-PROFILE /' "$HP"
	pass $name
fi

name=profile-self-pool
if ! "$ITSY" profile intersect "$HP" "$HP" >"$POOL" 2>"$WORK/pool.err"; then
	fail $name "profile intersect of this host with itself failed" "$WORK/pool.err"
elif ! "$ITSY" profile check "$POOL" >"$WORK/check.out" 2>&1; then
	fail $name "profile check refused this host's own pool" "$WORK/check.out"
else
	run_itsy $name "$BOOT_TIMEOUT" --kernel "$KERNEL" --initrd "$INITRD" \
		--cmdline "$GUEST_CMDLINE itsy.run=nproc" --cpus 2 --mem 256M --profile "$POOL"
	check_clean_run $name 'ITSY-NPROC 2$'
fi

# SVE is ID_AA64PFR0_EL1 bits 35..32: ask for 15 there, by the field's
# name in the "vcpu" section, whatever "value" beside it says (the fields
# count). The layout is profile_file_write's (JSON_INDENT(2)): sections at
# 2 spaces, their registers at 4, a register's fields at 8; "writable"
# has an ID_AA64PFR0_EL1 with an SVE too, which must stay.
name=profile-refuse-field
sed '/^  "vcpu": {$/,/^  }/{
	/^    "ID_AA64PFR0_EL1": {$/,/^    }/s/^        "SVE": [0-9]*/        "SVE": 15/
}' "$POOL" >"$BAD"
sve15() { grep -c '^        "SVE": 15' "$1"; }
if cmp -s "$POOL" "$BAD" || [ "$(sve15 "$BAD")" -ne $(($(sve15 "$POOL") + 1)) ]; then
	fail $name "could not set SVE to 15 in the pool file's ID_AA64PFR0_EL1" "$POOL"
elif "$ITSY" profile check "$BAD" >"$WORK/bad.out" 2>&1; then
	fail $name "profile check accepted a profile with more SVE than this host" "$WORK/bad.out"
elif ! grep -q "ID_AA64PFR0\|$PFR0" "$WORK/bad.out"; then
	fail $name "the refusal does not name ID_AA64PFR0_EL1" "$WORK/bad.out"
else
	run_itsy $name 60 --kernel "$KERNEL" --initrd "$INITRD" \
		--cmdline "$GUEST_CMDLINE" --cpus 1 --mem 256M --profile "$BAD"
	if [ "$RC" -ne 1 ] || ! grep -q "ID_AA64PFR0\|$PFR0" "$ERR"; then
		fail $name "run --profile: $(describe_rc "$RC"), not a refusal naming the register" "$ERR"
	else
		echo "ITSY-INFO $name: $(head -c 300 "$WORK/bad.out")"
		pass $name
	fi
fi

# profile-impl: the pool file gets a second implementation by hand (the
# cortex-a76's MIDR_EL1, or the neoverse-n1's on a cortex-a76 host).
name=profile-impl
IMPL=$WORK/impl.json SOCK=$WORK/impl.sock SNAP=$WORK/impl-snap
rm -rf "$SNAP" "$SOCK"
midr=$(sed -n '/^    "MIDR_EL1": {$/,/^    }/s/^      "value": "\(0x[0-9a-f]*\)".*/\1/p' "$HP" | head -n 1)
extra=0x00000000414fd0b1
[ "$midr" != "$extra" ] || extra=0x00000000414fd0c1
sed "/^  \"implementations\": \[$/a\\
    { \"MIDR_EL1\": \"$extra\", \"REVIDR_EL1\": \"0x0000000000000000\", \"AIDR_EL1\": \"0x0000000000000000\" }," \
	"$POOL" >"$IMPL"
offers=$(grep -c '"DISCOVER_IMPL_CPUS": true' "$HP")
OUT=$WORK/impl.out ERR=$WORK/impl.err
if cmp -s "$POOL" "$IMPL" || [ -z "$midr" ]; then
	fail $name "could not add an implementation to the pool file (host MIDR_EL1 '$midr')" "$POOL"
elif ! "$ITSY" profile check "$IMPL" >"$WORK/impl-check.out" 2>&1; then
	fail $name "profile check refused the pool with two implementations" "$WORK/impl-check.out"
else
	timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" run --kernel "$KERNEL" --initrd "$INITRD" \
		--cmdline "$GUEST_CMDLINE itsy.run=impl" --cpus 2 --mem 256M --profile "$IMPL" \
		--api-socket "$SOCK" </dev/null >"$OUT" 2>"$ERR" &
	pid=$!
	if ! wait_for 'ITSY-IMPL-TICK 2$' "$OUT" "$BOOT_TIMEOUT" "$pid"; then
		kill -9 "$pid" 2>/dev/null
		fail $name "the guest never ticked" "$OUT" "$ERR"
	else
		console "$OUT" | grep -E 'target implementation|hypervisor services detected' |
			sed "s/^/ITSY-INFO $name guest: /"
		snap=$("$ITSY" ctl --api-socket "$SOCK" snapshot "$SNAP" 2>"$WORK/impl-ctl.err")
		"$ITSY" ctl --api-socket "$SOCK" quit >/dev/null 2>&1
		wait "$pid"
		"$ITSY" inspect "$SNAP" >"$WORK/impl-inspect.txt" 2>&1
		grep -A3 '^target implementations' "$WORK/impl-inspect.txt" | sed "s/^/ITSY-INFO $name inspect: /"
		told=$(console "$OUT" | grep -c 'Number of target implementation CPUs is 2$')
		listed=$(grep -c "MIDR_EL1 $extra\|MIDR_EL1 0x${extra#0x00000000}" "$WORK/impl-inspect.txt")
		if [ "$offers" -eq 0 ]; then
			if [ "$told" -ne 0 ] || grep -q '^target implementations' "$WORK/impl-inspect.txt"; then
				fail $name "a host without the calls told the guest" "$OUT" "$WORK/impl-inspect.txt"
			else
				echo "ITSY-INFO $name: this kernel does not offer the calls; the guest was not told"
				pass $name
			fi
		elif [ "$told" -ne 1 ]; then
			fail $name "the guest's kernel does not say it was told of 2 implementations" "$OUT" "$ERR"
		elif ! echo "$snap" | grep -q '"ok":true' || [ "$listed" -ne 1 ]; then
			fail $name "the snapshot does not list the added implementation ($snap)" \
				"$WORK/impl-inspect.txt" "$WORK/impl-ctl.err"
		else
			at=$(console "$OUT" | sed -n 's/^ITSY-IMPL-TICK //p' | tail -n 1)
			OUT=$WORK/impl-r.out ERR=$WORK/impl-r.err
			timeout -s KILL "$BOOT_TIMEOUT" "$ITSY" restore --from "$SNAP" </dev/null >"$OUT" 2>"$ERR" &
			pid=$!
			if wait_for "ITSY-IMPL-TICK $((at + 2))\$" "$OUT" 60 "$pid"; then
				pass $name
			else
				fail $name "the restored guest did not tick on past $at" "$OUT" "$ERR"
			fi
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		fi
	fi
fi
