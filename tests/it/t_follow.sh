#!/bin/bash
# mmlogctl show -f: starts with the last ten entries, prints new ones as
# they come, and when it falls behind the ring's overwrite (it is paused
# while the 64 KiB ring goes round) it says exactly how many entries it
# missed, then carries on gapless to the newest.
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 64K
loadgen -t t -n 20 2>"$T/lg.err" || fail "loadgen failed"
"$MMLOGCTL" --file "$RING" --socket "$SOCK" show -f -o json \
    >"$T/f.json" 2>"$T/f.err" </dev/null &
f=$!
track $f
lines() { [ "$(wc -l <"$T/f.json")" -ge "$1" ]; }
wait_for "$(tmo 10)" lines 10 || fail "follower printed $(wc -l <"$T/f.json") of the last 10"
loadgen -t u -n 5 2>"$T/lg.err" || fail "loadgen failed"
wait_for "$(tmo 5)" lines 15 || fail "follower did not print new entries"
sleep 0.2
assert_eq "follower lines so far" 15 "$(wc -l <"$T/f.json")"

kill -STOP $f
loadgen -t v -n 3000 -z 100 2>"$T/lg.err" || fail "loadgen failed"
kill -CONT $f
loadgen -t w -n 3 2>"$T/lg.err" || fail "loadgen failed"
done_w() { grep -q '"MESSAGE":"w 3"' "$T/f.json"; }
wait_for "$(tmo 10)" done_w || fail "follower did not catch up to the newest entry"
kill -TERM $f
wait_exit $f "$(tmo 5)" || fail "follower did not stop on SIGTERM"

json_fields __SEQNUM MESSAGE <"$T/f.json" >"$T/f.tsv"
# 11..25, one jump, then gapless to 3028.
awk -F '\t' '
NR == 1 && $1 != 11 { print "starts at", $1; exit 1 }
NR > 1 && $1 != prev + 1 { jumps++; gap = $1 - prev - 1; at = prev }
{ prev = $1 }
END {
	if (prev != 3028) { print "ends at", prev; exit 1 }
	if (jumps != 1 || at != 25) { print jumps, "jumps, at", at; exit 1 }
	print gap
}' "$T/f.tsv" >"$T/gap" || fail "follower seqs: $(cat "$T/gap")"
gap=$(cat "$T/gap")
grep -q "$gap entries lost" "$T/f.err" ||
    fail "follower skipped $gap entries but said: $(cat "$T/f.err")"
# What it printed after the gap is what the ring holds.
entries >"$T/shown" || exit 1
awk -F '\t' 'FILENAME == ARGV[1] { m[$1] = $5; next } $1 > 25 && ($1 in m) && m[$1] != $2 { print "seq", $1; exit 1 }' \
    "$T/shown" "$T/f.tsv" >"$T/why" || fail "follower printed other content: $(cat "$T/why")"
note "follower missed $gap entries and said so"
stop_daemon
