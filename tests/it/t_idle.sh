#!/bin/bash
# --idle-timeout: clients that connect and then say nothing are closed by
# the daemon while they are still connected, and what they wrote stays.
. "$(dirname "$0")/lib.sh"

start_daemon --size 1M --idle-timeout 1
loadgen -t warm -n 10 -a >/dev/null 2>"$T/lg.err" || fail "warm-up failed"
before=$(fd_count "$DPID")

"$HELPERS/badpeer" -s "$SOCK" -w "$(tmo 30)" abandon 50 >"$T/ab.out" \
    2>"$T/ab.err" &
ab=$!
track $ab
wait_for "$(tmo 10)" grep -qs 'opened 50' "$T/ab.out" ||
    fail "badpeer did not open 50 connections"
back() { [ "$(fd_count "$DPID")" = "$before" ]; }
wait_for "$(tmo 8)" back ||
    fail "idle clients not closed: $(fd_count "$DPID") descriptors, $before before"
alive $ab || fail "badpeer ended early"
kill -KILL $ab
entries >"$T/shown" || exit 1
assert_eq "entries of the idle clients" 25 \
    "$(awk -F '\t' '$3 == "badpeer"' "$T/shown" | wc -l)"
stop_daemon
