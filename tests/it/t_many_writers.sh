#!/bin/bash
# 1000 connections writing at once: a client opens 1000 connections and
# writes 20 entries on each, round-robin, then a SYNC on each.  Every
# connection is accepted and acknowledged (none refused below
# --max-clients), every one of the 20000 entries is in the ring exactly
# once, and the daemon's memory outside the map stays small (RssAnon,
# reported; checked against 16 MiB outside sanitizer builds).  At the
# limit, one more client is refused cleanly (an error saying why) and
# counted, and the 1000 are still served.
. "$(dirname "$0")/lib.sh"

ulimit -n 4096 2>/dev/null
[ "$(ulimit -n)" -ge 2100 ] || fail "need 2100 descriptors, have $(ulimit -n)"
N=1000
K=20
# The 1000 writers and one more: a stats query, then the last slot.
start_daemon --size 16M --max-clients $((N + 1))
loadgen -t warm -n 10 -a >/dev/null 2>"$T/lg.err" || fail "warm-up failed"
rss_before=$(awk '/^RssAnon/ { print $2 }' "/proc/$DPID/status")

"$HELPERS/badpeer" -s "$SOCK" -T "$((20000 * IT_SLOW))" -w "$(tmo 60)" \
    flood $N $K >"$T/flood.out" 2>"$T/flood.err" &
fl=$!
track $fl
wait_for "$(tmo 60)" grep -qs '^flood acked' "$T/flood.out" ||
    fail "the writers did not finish: $(cat "$T/flood.err")"
assert_eq "writers" "flood acked $N refused 0" "$(cat "$T/flood.out")"
rss=$(awk '/^RssAnon/ { print $2 }' "/proc/$DPID/status")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$DPID/status")
assert_eq "clients_refused below the limit" 0 "$(stats_field clients_refused)"
assert_eq "clients connected" $((N + 1)) "$(stats_field clients)"

# The last slot taken: the next client is refused, cleanly.
"$HELPERS/badpeer" -s "$SOCK" -w "$(tmo 30)" abandon 1 >"$T/ab.out" 2>&1 &
ab=$!
track $ab
wait_for "$(tmo 10)" grep -qs 'opened 1' "$T/ab.out" || fail "badpeer did not connect"
"$MMLOGCTL" --socket "$SOCK" write --sync -t over "one too many" 2>"$T/over.err" &&
    fail "a client above --max-clients was served"
grep -qi 'too many users' "$T/over.err" || fail "refusal: $(cat "$T/over.err")"
grep -q 'refusing a client' "$DERR" || fail "no warning logged for the refusal"
kill -KILL $ab
wait $ab 2>/dev/null
# One refusal, or two if the library reconnected once.
refused=$(stats_field clients_refused)
[ "$refused" -ge 1 ] && [ "$refused" -le 2 ] || fail "clients_refused is $refused, expected 1 or 2"

kill -KILL $fl
wait $fl 2>/dev/null
entries >"$T/shown" || exit 1
awk -F '\t' '$3 == "badpeer" { print $5 }' "$T/shown" | sort >"$T/got"
awk -v n=$N -v k=$K 'BEGIN { for (c = 0; c < n; c++) for (i = 1; i <= k; i++)
    print "flood " c " " i }' | sort >"$T/want"
cmp -s "$T/want" "$T/got" ||
    fail "entries: $(wc -l <"$T/got") of $((N * K)), $(comm -23 "$T/want" "$T/got" | wc -l) missing, $(uniq -d "$T/got" | wc -l) twice"
grep -q 'one too many' "$T/shown" && fail "the refused client's entry was stored"
note "RssAnon ${rss_before} kB before, ${rss} kB with $N writers connected (VmHWM ${hwm} kB, map included)"
if [ "$IT_SLOW" = 1 ] && [ "$rss" -gt 16384 ]; then
	fail "daemon memory outside the map is $rss kB with $N writers"
fi
stop_daemon
