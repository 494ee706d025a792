#!/bin/bash
# A 64 KiB ring written round many times, with entries of three sizes.
# Afterwards mmlogctl shows exactly the newest entries: a contiguous
# suffix of what was written, ending at the last entry written, with
# gapless sequence numbers, and as long as the ring can hold (nothing
# evicted that did not have to go).  mmlogctl verify passes, before and
# after a restart, and the restarted daemon continues the numbering.
. "$(dirname "$0")/lib.sh"

CAP=65536
start_daemon --size 64K

# tag count size: ~370, ~80 and ~1060-byte records.
set -- a 1500 300 b 1500 10 c 400 990
while [ $# -gt 0 ]; do
	loadgen -t "$1" -n "$2" -z "$3" 2>"$T/lg.err" ||
	    fail "loadgen -t $1 failed: $(cat "$T/lg.err")"
	printf '%s %s %s\n' "$1" "$2" "$3" >>"$T/plan"
	shift 3
done
total=3400

check_suffix() {
	local what=$1
	entries >"$T/shown" || exit 1
	range=$(check_gapless "$T/shown") || fail "$what: sequence numbers: $range"
	set -- $range
	local first=$1 last=$2 count=$3
	assert_eq "$what: last seq" "$total" "$last"
	# Entry number s of the plan was given seq s (one writer at a time,
	# fresh ring): each shown entry must be the one written with its seq.
	awk -F '\t' -v cap="$CAP" '
	FILENAME == ARGV[1] {
		split($0, p, " ")
		for (i = 1; i <= p[2]; i++) {
			n++; tag[n] = p[1]; num[n] = i; size[n] = p[3]
		}
		next
	}
	{
		s = $1; split($5, w, " ")
		if (s > n || $3 != tag[s] || w[1] != tag[s] || w[2] + 0 != num[s]) {
			printf "seq %s is %s \"%s\", expected %s %s\n", s, $3,
			    substr($5, 1, 20), tag[s], num[s]
			bad = 1; exit 1
		}
		# Record: 64-byte header, comm "loadgen", tag, message; 8-aligned.
		rec = 64 + 7 + length($3) + length($5)
		bytes += int((rec + 7) / 8) * 8
		if (length($5) != size[s]) {
			printf "seq %s: message of %d bytes, expected %d\n", s,
			    length($5), size[s]
			bad = 1; exit 1
		}
	}
	END {
		if (bad) exit 1
		# At most one largest record of slack at the end of the region
		# and one partly overwritten: anything less is an over-eager tail.
		if (bytes < cap - 2 * 1064) {
			printf "only %d bytes of entries kept in a %d-byte ring\n",
			    bytes, cap
			exit 1
		}
		if (bytes > cap) { printf "%d bytes kept in %d\n", bytes, cap; exit 1 }
	}' "$T/plan" "$T/shown" >"$T/why" || fail "$what: $(cat "$T/why")"
	[ "$first" -gt 1 ] || fail "$what: the ring did not wrap"
	note "$what: shows seq $first..$last ($count entries)"
}

check_suffix "running"
[ "$(header_field wraps)" -ge 10 ] ||
    fail "expected 10 or more wraps, header says $(header_field wraps)"

need_ctl
ctl --file "$RING" verify >"$T/verify.out" ||
    fail "mmlogctl verify failed on a live wrapped ring: $(tail -n 3 "$T/ctl.err")"

# The last ten, exactly.
ctl --file "$RING" show -n 10 -o json | json_fields __SEQNUM MESSAGE |
    awk -F '\t' '{ split($2, w, " "); print $1, w[1], w[2] + 0 }' >"$T/last10"
seq 3391 3400 | awk '{ print $1, "c", $1 - 3000 }' >"$T/want10"
cmp -s "$T/last10" "$T/want10" ||
    fail "show -n 10: $(tr '\n' ';' <"$T/last10")"

stop_daemon
ctl --file "$RING" verify >"$T/verify.out" ||
    fail "mmlogctl verify failed after SIGTERM: $(tail -n 3 "$T/ctl.err")"
check_suffix "stopped"
ring_entries >"$T/raw"
cmp -s "$T/shown" "$T/raw" || fail "mmlogctl and ringcat disagree"

# A restart finds the same entries and numbers on from 3401.
start_daemon
grep -q "next seq 3401" "$DERR" || fail "restart does not continue at 3401"
loadgen -t d -n 50 -z 500 2>"$T/lg.err" || fail "loadgen after restart"
printf 'd 50 500\n' >>"$T/plan"
total=3450
check_suffix "restarted"
ctl --file "$RING" verify >"$T/verify.out" ||
    fail "mmlogctl verify failed after restart: $(tail -n 3 "$T/ctl.err")"
stop_daemon
