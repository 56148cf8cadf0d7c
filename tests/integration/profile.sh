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
# itsy-hosts: every
# itsy-tests: host-profile profile-self-pool profile-refuse-field
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
