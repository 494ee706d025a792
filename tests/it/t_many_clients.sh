#!/bin/bash
# Two thousand clients at once: all are accepted, each one's entry is
# stored, another client is served meanwhile, and the daemon's own memory
# (outside the map) stays small, as HACKING.md promises.  Afterwards every
# connection is closed again.
. "$(dirname "$0")/lib.sh"

ulimit -n 4096 2>/dev/null
[ "$(ulimit -n)" -ge 2100 ] || fail "need 2100 descriptors, have $(ulimit -n)"
start_daemon --size 4M
loadgen -t warm -n 10 -a >/dev/null 2>"$T/lg.err" || fail "warm-up failed"
before=$(fd_count "$DPID")
rss_before=$(awk '/^RssAnon/ { print $2 }' "/proc/$DPID/status")

"$HELPERS/badpeer" -s "$SOCK" -w "$(tmo 60)" abandon 2000 >"$T/ab.out" \
    2>"$T/ab.err" &
ab=$!
track $ab
wait_for "$(tmo 20)" grep -qs 'opened 2000' "$T/ab.out" ||
    fail "badpeer did not open 2000 connections: $(cat "$T/ab.err")"
all_in() { [ "$(fd_count "$DPID")" -ge $((before + 2000)) ]; }
wait_for "$(tmo 20)" all_in ||
    fail "mmlogd holds $(fd_count "$DPID") descriptors, expected $before + 2000"
loadgen -t busy -n 200 -a >/dev/null 2>"$T/busy.err" ||
    fail "not served with 2000 clients connected: $(cat "$T/busy.err")"
rss=$(awk '/^RssAnon/ { print $2 }' "/proc/$DPID/status")
note "RssAnon ${rss_before} kB idle, ${rss} kB with 2000 clients"
# ASan's shadow memory makes the number meaningless there.
if [ "$IT_SLOW" = 1 ] && [ "$rss" -gt 16384 ]; then
	fail "daemon memory outside the map is $rss kB with 2000 clients"
fi
kill -KILL $ab
wait $ab 2>/dev/null
back() { [ "$(fd_count "$DPID")" = "$before" ]; }
wait_for "$(tmo 20)" back ||
    fail "mmlogd still holds $(fd_count "$DPID") descriptors, $before before"
entries >"$T/shown" || exit 1
awk -F '\t' '$3 == "badpeer" { print $5 }' "$T/shown" | sort >"$T/got"
seq 2 2 2000 | sed 's/^/abandon /' | sort | cmp -s - "$T/got" ||
    fail "entries of the 1000 writing clients: $(wc -l <"$T/got")"
assert_eq "busy entries" 200 "$(awk -F '\t' '$3 == "busy"' "$T/shown" | wc -l)"
stop_daemon
