#!/bin/bash
# --max-clients: with the limit reached, a further client is refused (it
# gets an ERROR and the connection is closed) and counted; once a slot
# frees up, clients are served again.
. "$(dirname "$0")/lib.sh"

start_daemon --size 1M --max-clients 3
"$HELPERS/badpeer" -s "$SOCK" -w "$(tmo 30)" abandon 3 >"$T/ab.out" 2>&1 &
ab=$!
track $ab
wait_for "$(tmo 10)" grep -qs 'opened 3' "$T/ab.out" || fail "badpeer did not connect"
sleep 0.3
loadgen -t refused -n 1 -a >/dev/null 2>"$T/lg.err" &&
    fail "a fourth client was served with --max-clients 3"
note "fourth client: $(cat "$T/lg.err")"
alive "$DPID" || fail "mmlogd died"
kill -KILL $ab
wait $ab 2>/dev/null
served() { loadgen -t ok -n 1 -a >/dev/null 2>&1; }
wait_for "$(tmo 10)" served || fail "no client served after the slots freed"
# One refusal, or two if the library reconnected once.
refused=$(stats_field clients_refused)
[ "$refused" -ge 1 ] && [ "$refused" -le 2 ] ||
    fail "clients_refused is $refused, expected 1 or 2"
entries >"$T/shown" || exit 1
grep -q refused "$T/shown" && fail "the refused client's entry was stored"
stop_daemon
