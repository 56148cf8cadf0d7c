# Helpers for the tables of scripts/bench-*, loaded before each table's
# own program (awk -f scripts/bench.awk -f PROGRAM ROWS).
#
# get(k): the value of the field "k=v" on the current row, "" if none.
function get(k,   i, kv) {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] }
	return ""
}
# median(a, n): the median of the non-empty values among a[1..n], "" if
# there are none.
function median(a, n,   v, m, i, j, t) {
	m = 0
	for (i = 1; i <= n; i++) if (a[i] != "") v[++m] = a[i] + 0
	if (m == 0) return ""
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
		if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
}
# dash(x): x, or "-" when it is empty.
function dash(x) { return x == "" ? "-" : x }
