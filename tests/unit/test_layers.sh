#!/bin/sh
# The layers include only downwards (README "Architecture"): the front end
# (vmm/front) over migration/, over arch/, over devices/, over the core
# (vmm/ outside vmm/front). A source file that includes a header of a
# layer above its own fails, named with the line. Run by meson test.
#   test_layers.sh SOURCE-ROOT
cd "$1" || exit 1

layer() {
	case $1 in
	vmm/front/*) echo 4 ;;
	migration/*) echo 3 ;;
	arch/*) echo 2 ;;
	devices/*) echo 1 ;;
	vmm/*) echo 0 ;;
	*) echo - ;;
	esac
}

n=$(find vmm devices arch migration -name '*.[ch]' | wc -l)
out=$(find vmm devices arch migration -name '*.[ch]' | sort | while read -r f; do
	mine=$(layer "$f")
	grep -n '^#include "' "$f" | while IFS= read -r line; do
		inc=${line#*\"}
		inc=${inc%%\"*}
		theirs=$(layer "$inc")
		[ "$theirs" = - ] || [ "$theirs" -le "$mine" ] ||
			echo "FAIL $f:${line%%:*} includes $inc, a layer above it"
	done
done)
bad=$(printf '%s' "$out" | grep -c FAIL)
[ -z "$out" ] || printf '%s\n' "$out"
echo "layers: $n files, $bad upward includes"
[ "$bad" -eq 0 ]
