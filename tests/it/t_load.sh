#!/bin/bash
# Four clients write 25,000 entries each at once.  Afterwards all 100,000
# are in the ring, each client's entries in the order it wrote them
# (1..25000, nothing missing or repeated), every entry carries its
# sender's tag and pid, and the sequence numbers are 1..100000 without a
# gap.  mmlogctl's view must equal the independent reader's.
. "$(dirname "$0")/lib.sh"

N=25000
start_daemon --size 16M

pids=
for c in 1 2 3 4; do
	loadgen -t "c$c" -n "$N" >"$T/lg$c.out" 2>"$T/lg$c.err" &
	pids="$pids $!"
	track $!
done
for p in $pids; do
	wait "$p" || fail "a loadgen failed: $(cat "$T"/lg*.err)"
done

entries >"$T/shown" || exit 1
range=$(check_gapless "$T/shown") || fail "sequence numbers: $range"
assert_eq "seq range, count" "1 100000 100000" "$range"

# Per client: its k-th entry is "cN k", with its own tag and one pid.
awk -F '\t' -v n="$N" '
{
	tag = $3; split($5, w, " ")
	if (w[1] != tag) { printf "line %d: tag %s, message %s\n", NR, tag, $5; exit 1 }
	k = ++count[tag]
	if (w[2] != k) { printf "%s: entry %d is \"%s\"\n", tag, k, $5; exit 1 }
	if (!(tag in pid)) pid[tag] = $4
	else if (pid[tag] != $4) { printf "%s: pid %s then %s\n", tag, pid[tag], $4; exit 1 }
}
END {
	for (c = 1; c <= 4; c++)
		if (count["c" c] != n) { printf "c%d: %d entries\n", c, count["c" c]; exit 1 }
	if (pid["c1"] == pid["c2"] || pid["c3"] == pid["c4"]) { print "pids not distinct"; exit 1 }
}' "$T/shown" >"$T/why" || fail "per-client order: $(cat "$T/why")"

# The independent reader sees the same entries.
ring_entries >"$T/raw"
cmp -s "$T/shown" "$T/raw" ||
    fail "mmlogctl and ringcat disagree: $(diff "$T/shown" "$T/raw" | head -n 5)"

assert_eq "daemon entries counter" 100000 "$(stats_field entries)"
assert_eq "bad frames" 0 "$(stats_field bad_frames)"
stop_daemon
assert_eq "entries_written in the header" 100000 \
    "$(header_field entries_written)"
note "100000 entries from 4 clients, in order, seq 1..100000"
