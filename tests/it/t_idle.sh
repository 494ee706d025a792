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
wait $ab 2>/dev/null
entries >"$T/shown" || exit 1
assert_eq "entries of the idle clients" 25 \
    "$(awk -F '\t' '$3 == "badpeer"' "$T/shown" | wc -l)"
stop_daemon

# A follower (SUBSCRIBE) is quiet by nature: it is not idle.  It gets a
# NOTIFY when it subscribes, stays connected past the idle timeout, and
# still gets a NOTIFY for an entry written then.
start_daemon --idle-timeout 1
"$HELPERS/badpeer" -s "$SOCK" subscribe "$(tmo 6)" >"$T/sub.out" 2>&1 &
sub=$!
track $sub
wait_for "$(tmo 5)" grep -qs '^notify' "$T/sub.out" || fail "no NOTIFY on subscribing"
sleep 3
loadgen -t late -n 1 -a >"$T/late" 2>"$T/lg.err" || fail "loadgen failed"
late=$(cut -d ' ' -f 1 "$T/late")
notified() { grep -q "^notify next=$((late + 1)) " "$T/sub.out"; }
wait_for "$(tmo 5)" notified ||
    fail "the follower got no NOTIFY for seq $late: $(tr '\n' ';' <"$T/sub.out")"
grep -q closed "$T/sub.out" && fail "the follower was closed as idle"
stop_daemon
