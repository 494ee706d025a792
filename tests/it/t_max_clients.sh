#!/bin/bash
# --max-clients: with the limit reached, a further client is refused (it
# gets an ERROR and the connection is closed) and counted; once a slot
# frees up, clients are served again.
. "$(dirname "$0")/lib.sh"

start_daemon --size 1M --max-clients 3
"$HELPERS/badpeer" -a -s "$SOCK" -w "$(tmo 30)" abandon 3 >"$T/ab.out" 2>&1 &
ab=$!
track $ab
wait_for "$(tmo 10)" grep -qs 'opened 3' "$T/ab.out" || fail "badpeer did not connect"
sleep 0.3
loadgen -t refused -n 1 -a >/dev/null 2>"$T/lg.err" &&
    fail "a fourth client was served with --max-clients 3"
note "fourth client: $(cat "$T/lg.err")"
# It is told why: EUSERS, not a bare broken pipe.
grep -qi 'too many users' "$T/lg.err" || fail "the refusal did not say why: $(cat "$T/lg.err")"
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
grep -q 'refused 1' "$T/shown" && fail "the refused client's entry was stored"

# Entries a refused client had already queued are counted in the ring,
# not lost in silence: the daemon is stopped while the client connects
# and sends, so they wait in its socket when the refusal comes.  The
# client is badpeer, which connects once: the library would reconnect
# after the refusal, and a connection still in the listen queue when the
# slots free up is rightly accepted and stored.
# -a: the three are taken (the daemon may not have seen the clients of
# the first part leave yet, and refuse one of them at first).
"$HELPERS/badpeer" -a -s "$SOCK" -w "$(tmo 30)" abandon 3 >"$T/ab2.out" 2>&1 &
ab=$!
track $ab
wait_for "$(tmo 10)" grep -qs 'opened 3' "$T/ab2.out" || fail "badpeer did not connect"
kill -STOP "$DPID"
badpeer write 6 5 >/dev/null 2>"$T/lg2.err" &
lg=$!
sleep 0.5
kill -CONT "$DPID"
wait $lg
# The refusal is in the ring before the three leave: otherwise a slot
# could free up before the daemon got to the queued connection.
refusal_noted() {
	"$MMLOGCTL" --file "$RING" show -o json 2>/dev/null |
	    grep -q '"MMLOG_DROPPED":"5"'
}
wait_for "$(tmo 10)" refusal_noted
kill -KILL $ab
wait $ab 2>/dev/null
ctl --file "$RING" show -o json >"$T/all.json" 2>/dev/null || fail "show failed"
grep -q '"write [0-9]' "$T/all.json" && fail "a refused client's entry was stored"
dropped=$(json_fields MMLOG_DROPPED <"$T/all.json" | grep -v '^-$' |
    awk '{ s += $1 } END { print s + 0 }')
[ "$dropped" -ge 5 ] ||
    fail "the refused client's 5 queued entries are not counted: MMLOG_DROPPED sums to $dropped"
stop_daemon
