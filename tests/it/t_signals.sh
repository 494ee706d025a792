#!/bin/bash
# Signals and vanishing peers: SIGHUP is logged and changes nothing;
# clients that ask for an ACK and close before it comes (EPIPE on the
# daemon's side; SIGPIPE must not kill it) leave their entries stored;
# SIGINT stops the daemon as cleanly as SIGTERM.
. "$(dirname "$0")/lib.sh"

start_daemon --size 1M
loadgen -t a -n 100 2>"$T/lg.err" || fail "loadgen failed"
kill -HUP "$DPID"
sleep 0.2
alive "$DPID" || fail "SIGHUP killed mmlogd"
grep -q SIGHUP "$DERR" || fail "SIGHUP not logged"

badpeer syncgone 300 >"$T/sg.out" 2>"$T/sg.err" || fail "badpeer syncgone: $(cat "$T/sg.err")"
loadgen -t b -n 100 -a >/dev/null 2>"$T/lg.err" || fail "not serving after syncgone"
alive "$DPID" || fail "mmlogd died"

kill -INT "$DPID"
wait_exit "$DPID" "$(tmo 20)" || fail "mmlogd did not stop on SIGINT"
assert_eq "exit status on SIGINT" 0 "$EXIT_CODE"
grep -q 'ring closed clean' "$DERR" || fail "SIGINT: no clean close"
assert_eq "state" clean "$(header_field state)"

entries >"$T/shown" || exit 1
range=$(check_gapless "$T/shown") || fail "$range"
assert_eq "entries" "1 500 500" "$range"
awk -F '\t' '$3 == "badpeer" { print $5 }' "$T/shown" | sort >"$T/got"
# One connection each: their order in the ring is the daemon's choice.
seq 300 | sed 's/^/syncgone /' | sort | cmp -s - "$T/got" ||
    fail "entries of clients that left before their ACK: $(wc -l <"$T/got") of 300"
