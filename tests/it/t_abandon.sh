#!/bin/bash
# 200 clients connect, half of them write one entry, and all walk away
# without closing (the process is killed).  Meanwhile another client is
# served.  Afterwards the daemon has closed every one of them (its
# descriptor count is back where it was), the entries they wrote before
# vanishing are all stored, and it still serves.
. "$(dirname "$0")/lib.sh"

start_daemon --size 1M
loadgen -t warm -n 10 -a >/dev/null 2>"$T/lg.err" || fail "warm-up failed"
before=$(fd_count "$DPID")

"$HELPERS/badpeer" -s "$SOCK" -w "$(tmo 60)" abandon 200 >"$T/ab.out" \
    2>"$T/ab.err" &
ab=$!
track $ab
wait_for "$(tmo 10)" grep -qs 'opened 200' "$T/ab.out" ||
    fail "badpeer did not open 200 connections: $(cat "$T/ab.err")"
all_in() { [ "$(fd_count "$DPID")" -ge $((before + 200)) ]; }
wait_for "$(tmo 10)" all_in ||
    fail "mmlogd holds $(fd_count "$DPID") descriptors, expected $before + 200"
loadgen -t busy -n 100 -a >"$T/busy.acked" 2>"$T/busy.err" ||
    fail "a client was not served with 200 idle ones connected"
kill -KILL $ab
wait $ab 2>/dev/null

back() { [ "$(fd_count "$DPID")" = "$before" ]; }
wait_for "$(tmo 10)" back ||
    fail "mmlogd still holds $(fd_count "$DPID") descriptors, $before before"
assert_eq "clients (this one)" 1 "$(stats_field clients)"

loadgen -t after -n 5 -a >/dev/null 2>"$T/lg.err" || fail "not serving afterwards"
entries >"$T/shown" || exit 1
awk -F '\t' '$3 == "badpeer" { print $5 }' "$T/shown" | sort >"$T/got"
seq 2 2 200 | sed 's/^/abandon /' | sort >"$T/want"
cmp -s "$T/want" "$T/got" ||
    fail "entries of the abandoned clients: $(wc -l <"$T/got") of 100"
assert_eq "busy entries" 100 "$(awk -F '\t' '$3 == "busy"' "$T/shown" | wc -l)"
stop_daemon
