#!/bin/bash
# A client that asks for an ACK for every entry and never reads one
# cannot stall the daemon or make it hold unbounded memory: it is
# disconnected once a reply no longer fits its socket buffer (its sends
# then fail), other clients are served meanwhile, the daemon stays up,
# and the entries it took from that client are stored in order (a prefix
# of what it sent).
. "$(dirname "$0")/lib.sh"

start_daemon --size 8M --sync-interval 20
loadgen -t warm -n 10 -a >/dev/null 2>"$T/lg.err" || fail "warm-up failed"
before=$(fd_count "$DPID")

"$HELPERS/badpeer" -s "$SOCK" -w "$(tmo 20)" noread 20000 >"$T/nr.out" \
    2>"$T/nr.err" &
nr=$!
track $nr
# While it floods, another client is served, in bounded time.
loadgen -t other -n 300 -a >"$T/other.acked" 2>"$T/other.err" ||
    fail "another client was not served: $(cat "$T/other.err")"
wait_for "$(tmo 30)" grep -qs 'noread sent' "$T/nr.out" ||
    fail "badpeer noread did not finish sending"
alive "$DPID" || fail "mmlogd died"
# It was cut off, not served for ever: its sends failed before the end,
# and the daemon said why.
sent=$(awk '{ print $3 }' "$T/nr.out")
[ "$sent" -lt 20000 ] || fail "the flooder was never disconnected (sent all $sent)"
grep -q 'does not read its replies, closing the connection' "$DERR" ||
    fail "no warning about the client that does not read"
kill -KILL $nr
wait $nr 2>/dev/null
back() { [ "$(fd_count "$DPID")" = "$before" ]; }
wait_for "$(tmo 10)" back || fail "descriptors: $(fd_count "$DPID"), $before before"
loadgen -t after -n 10 -a >/dev/null 2>"$T/lg.err" || fail "not serving afterwards"
assert_eq "append errors" 0 "$(stats_field append_errors)"

entries >"$T/shown" || exit 1
sent=$(awk '{ print $3 }' "$T/nr.out")
awk -F '\t' '$3 == "badpeer"' "$T/shown" | cut -f 5 >"$T/got"
n=$(wc -l <"$T/got")
seq "$n" | sed 's/^/noread /' | cmp -s - "$T/got" ||
    fail "the flooding client's entries are not noread 1..$n in order"
[ "$n" -le "$sent" ] || fail "$n entries stored, $sent sent"
assert_eq "other client's entries" 300 "$(awk -F '\t' '$3 == "other"' "$T/shown" | wc -l)"
note "flooder sent $sent, $n stored"
stop_daemon
