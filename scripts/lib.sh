# shellcheck shell=bash
# Shared helpers and paths for the itsy scripts. Source it, don't run it:
#   . "$(dirname "$0")/lib.sh"

# shellcheck disable=SC2034 # the paths are for the scripts that source this
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
DEPS=$BUILD/deps            # downloaded packages (busybox, libfdt, kernels)
IMG=$BUILD/img              # initramfs images
LOGS=$BUILD/logs            # console logs of the emulated hosts
ITSY_BIN=$BUILD/arm64/itsy  # the static aarch64 itsy binary

# Kernel versions the tests use, for the emulated host and the guest
# alike (7.3 from trixie-backports), and all those the scripts can fetch
# and boot.
KERNEL_VERSIONS="6.1 6.12 7.3"
KNOWN_KERNEL_VERSIONS="6.1 6.12 7.3"

# Modules to ship and load when a kernel has them as modules (host and
# guest alike; each loads what it can use): virtio (6.1 has all of it as
# modules, 6.12 only some), the SBSA watchdog driver, vsock (guest side
# and vhost), tun, vhost-net and loop. A dependency must be listed too.
MODULES="failover net_failover virtio virtio_ring virtio_pci_modern_dev
virtio_pci_legacy_dev virtio_pci virtio_mmio virtio_blk virtio_net
virtio_console virtio-rng watchdog sbsa_gwdt vsock
vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport vhost_iotlb
vhost vhost_vsock tap tun vhost_net loop"

log() { echo "scripts: $*" >&2; }

# console_lines FILE: an emulated host's console log as whole lines, kernel
# messages split from the lines they cut into (tests/integration/console.awk,
# which the tests inside the host use too). Read console logs through this.
console_lines() { tr -d '\000-\010\013-\037\177' <"$1" | LC_ALL=C awk -f "$ROOT/tests/integration/console.awk"; }
die() { log "error: $*"; exit 1; }

check_kernel_version() {
	case " $KNOWN_KERNEL_VERSIONS " in
	*" $1 "*) ;;
	*) die "unknown kernel version '$1' (want one of: $KNOWN_KERNEL_VERSIONS)" ;;
	esac
}

# True if $1 is missing or any of the other paths (files or directories,
# searched recursively) is newer than it.
is_stale() {
	local out=$1
	shift
	[[ -e $out ]] || return 0
	[[ -n $(find "$@" -newer "$out" -print -quit 2>/dev/null) ]]
}

# True if every named Debian package is installed. A name without ":arch"
# means the native one (or an Architecture: all package).
have_packages() {
	local p st native
	native=$(dpkg --print-architecture)
	for p in "$@"; do
		[[ $p == *:* ]] || p="$p:$native"
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null ||
			dpkg-query -W -f='${db:Status-Status}' "${p%:"$native"}" 2>/dev/null) || return 1
		[[ $st == installed ]] || return 1
	done
}

# Make sure apt knows about arm64 packages. Quick when already done.
ensure_arm64_arch() {
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		log "adding the arm64 architecture to dpkg"
		dpkg --add-architecture arm64
		apt-get update -q
	fi
}

# Options for apt-get and apt-cache: none (the machine's apt), or those of
# a private state set by apt_private.
APT_OPTS=()

# apt_private SUITE: from now on, apt calls of this script see only Debian's
# SUITE (main, arm64), through sources and lists of their own in
# build/deps/apt-SUITE; the machine's sources, lists and packages are left
# alone. Updates those lists the first time.
apt_private() {
	local dir=$DEPS/apt-$1
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
		"http://deb.debian.org/debian $1 main" >"$dir/sources.list"
	APT_OPTS=(-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
		-o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
		-o "APT::Architectures::=arm64")
	if ! compgen -G "$dir/lists/*_Packages*" >/dev/null; then
		log "reading Debian's $1 package lists (kept in $dir)"
		apt-get "${APT_OPTS[@]}" update -q >&2
	fi
}

# apt_extract PKG... DEST: download the .debs of the PKGs (without
# installing them) and unpack them all into DEST, replacing DEST only once
# every unpack has succeeded. Runs 'apt-get update' once and retries if apt
# does not know a PKG.
apt_extract() {
	local dest=${*: -1} pkgs=("${@:1:$#-1}") tmp d
	mkdir -p "$DEPS"
	tmp=$(mktemp -d "$DEPS/.dl.XXXXXX")
	# apt-get download drops privileges to _apt: let it write here.
	chmod 755 "$tmp"
	chown _apt "$tmp" 2>/dev/null || true
	if ! (cd "$tmp" && apt-get "${APT_OPTS[@]}" download -q "${pkgs[@]}"); then
		log "apt-get download ${pkgs[*]} failed; running apt-get update and retrying"
		apt-get "${APT_OPTS[@]}" update -q
		(cd "$tmp" && apt-get "${APT_OPTS[@]}" download -q "${pkgs[@]}") || {
			rm -rf "$tmp"
			die "cannot download ${pkgs[*]}"
		}
	fi
	mkdir "$tmp/root"
	for d in "$tmp"/*.deb; do
		dpkg-deb -x "$d" "$tmp/root"
	done
	rm -rf "$dest"
	mkdir -p "$(dirname "$dest")"
	mv "$tmp/root" "$dest"
	rm -rf "$tmp"
}

# install_busybox DIR: put the arm64 busybox into DIR/bin with a symlink per
# applet. The binary can't run here, so the applet list comes from the man
# page that the same package ships.
install_busybox() {
	local dir=$1 bb man a
	bb=$DEPS/busybox
	man=$bb/usr/share/man/man1/busybox.1.gz
	[[ -x $bb/bin/busybox && -f $man ]] || die "no arm64 busybox in $bb: run scripts/install-deps"
	mkdir -p "$dir/bin"
	cp "$bb/bin/busybox" "$dir/bin/busybox"
	for a in $(busybox_applets "$man"); do
		[[ $a == busybox ]] || ln -sf busybox "$dir/bin/$a"
	done
	# A few programs look in the usual places.
	ln -sfn bin "$dir/sbin"
	mkdir -p "$dir/usr"
	ln -sfn ../bin "$dir/usr/bin"
	ln -sfn ../bin "$dir/usr/sbin"
}

# Applet names from busybox(1): the comma-separated list after
# "Currently available applets include:".
busybox_applets() {
	zcat "$1" |
		sed -n '/^Currently available applets include:/,/^\.Ve/p' |
		sed -e '1,/^\.Vb/d' -e '/^\.Ve/d' -e 's/^\\&//' -e 's/\\-/-/g' |
		tr -s ', ' '\n' | grep -E '^[][a-z0-9_.-]+$'
}

# install_modules KVER DIR: copy the kernel's virtio modules (uncompressed)
# into DIR/lib/modules/RELEASE/ with a load-order file, dependencies first,
# that the inits read. Nothing to do for modules that are built in.
install_modules() {
	local kdir=$DEPS/kernel-$1 dir=$2 rel m f out
	[[ -f $kdir/release ]] || return 0
	rel=$(cat "$kdir/release")
	out=$dir/lib/modules/$rel
	mkdir -p "$out"
	for m in $MODULES; do
		f=$(find "$kdir/lib/modules/$rel/kernel" \( -name "$m.ko" -o -name "$m.ko.xz" \) -print -quit)
		case $f in
		"") ;;
		*.xz) xz -dc "$f" >"$out/$m.ko" ;;
		*) cp "$f" "$out/$m.ko" ;;
		esac
	done
	local -A done_=()
	: >"$out/load-order"
	for m in $MODULES; do
		add_module "$out" "$m"
	done
}

# add_module DIR NAME: append NAME to DIR/load-order after the modules it
# depends on (the "depends=" entry of its .modinfo), if DIR has NAME.ko.
# Module names in "depends=" use '_' where file names may have '-'.
add_module() {
	local out=$1 m=$2 d
	[[ -f $out/$m.ko && -z ${done_[$m]:-} ]] || return 0
	done_[$m]=1
	for d in $(tr '\0' '\n' <"$out/$m.ko" | sed -n 's/^depends=//p' | tr , ' '); do
		add_module "$out" "$d"
		[[ $d != *_* ]] || add_module "$out" "${d//_/-}"
	done
	echo "$m" >>"$out/load-order"
}

# mk_cpio DIR OUT [gzip]: pack DIR as a newc cpio owned by root, optionally
# gzip -1 compressed, written atomically.
mk_cpio() {
	local dir=$1 out=$2 compress=${3:-}
	(
		cd "$dir" || exit 1
		find . -mindepth 1 | LC_ALL=C sort |
			cpio --quiet -o -H newc -R 0:0 --reproducible
	) | if [[ -n $compress ]]; then gzip -1 -n; else cat; fi >"$out.tmp"
	mv "$out.tmp" "$out"
}

# Standard directories and the console node of an initramfs root.
mk_rootfs_skeleton() {
	local dir=$1
	mkdir -p "$dir"/{dev,proc,sys,tmp,run,root,etc}
	# The kernel opens /dev/console before /init runs. Its built-in
	# initramfs normally has the node; make sure anyway (needs root).
	mknod -m 600 "$dir/dev/console" c 5 1 2>/dev/null || true
}

# The emulated host's CPU per kernel when a script does not say: "max"
# (VHE, every feature QEMU has) for all. Under QEMU 7.2 the 6.12 hosts ran
# on neoverse-n1: its TCG did not honour the stage-2 range TLB
# invalidations (FEAT_TLBIRANGE) that KVM on 6.12 issues after
# write-protecting guest pages, so on "max" KVM's dirty log missed guest
# writes. Under QEMU 10 (the bench's since) migrate-ram-identical's three
# hops are byte for byte equal on 6.12 and 7.3, "max" and "neoverse-n1"
# alike, and both log as many dirty pages per pass (README, "Testing live
# migration").
default_host_cpu() { # VER
	echo max,pauth-impdef=on
}

# run_libfuzzer NAME FUZZER [ARGS...]: run a libFuzzer binary, its output
# also kept in $BUILD/fuzz/NAME.log, and end with one line
# "NAME: N executions in T s" (from libFuzzer's "Done N runs in T
# second(s)", or its final stats when it stopped on a crash). Returns the
# fuzzer's exit status: non-zero on a crash, a leak, a timeout or an OOM.
run_libfuzzer() {
	local name=$1 log=$BUILD/fuzz/$1.log rc=0 done_ runs
	shift
	mkdir -p "$BUILD/fuzz"
	"$@" 2>&1 | tee "$log" || rc=$?
	done_=$(grep -oE '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1) || true
	runs=$(grep -oE '^stat::number_of_executed_units: [0-9]+' "$log" | tail -n 1) || true
	if [[ -n $done_ ]]; then
		echo "$name: $(awk '{ print $2 " executions in " $5 " s" }' <<<"$done_")"
	elif [[ -n $runs ]]; then
		echo "$name: stopped (status $rc) after ${runs##* } executions"
	else
		echo "$name: stopped (status $rc) before libFuzzer reported any executions"
	fi
	return "$rc"
}
