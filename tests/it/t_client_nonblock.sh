#!/bin/bash
# A non-blocking client (MMLOG_NONBLOCK) against a daemon paused with
# SIGSTOP: no write waits (each returns at once, -EAGAIN once the socket
# is full), every drop is counted, and after SIGCONT the next entry that
# gets through carries the count: MMLOG_DROPPED in the log equals the
# client's counter, and every entry it sent is there.
. "$(dirname "$0")/lib.sh"

N=20000
start_daemon --size 16M
kill -STOP "$DPID"
timeout -k 2 "$(tmo 60)" "$HELPERS/clientx" -s "$SOCK" nonblock $N \
    >"$T/nb.out" 2>"$T/nb.err" &
cl=$!
track $cl
wait_for "$(tmo 20)" grep -q '^wrote' "$T/nb.out" ||
    { kill -CONT "$DPID"; fail "the writes did not return: $(cat "$T/nb.err")"; }
kill -CONT "$DPID"
wait_exit $cl "$(tmo 30)" || fail "clientx nonblock did not finish"
assert_eq "clientx exit status ($(cat "$T/nb.err"))" 0 "$EXIT_CODE"
read -r _ _ _ eagain _ maxus <"$T/nb.out"
read -r _ sent _ dropped _ pending _ eagain_all < <(sed -n 2p "$T/nb.out")
note "eagain $eagain, slowest write ${maxus} us; sent $sent dropped $dropped pending $pending"
[ "$eagain" -gt 0 ] || fail "no write was refused: the test did not test"
[ "$maxus" -lt $((100000 * IT_SLOW)) ] || fail "a write took $maxus us"
assert_eq "dropped (every -EAGAIN, the final retries included)" \
    "$eagain_all" "$dropped"
assert_eq "pending" 0 "$pending"
# N entries, then "nb final" tried eagain_all - eagain + 1 times.
assert_eq "sent + dropped" $((N + 1 + eagain_all - eagain)) $((sent + dropped))

ctl --file "$RING" show -o json >"$T/show.json" || fail "mmlogctl show"
json_fields SYSLOG_IDENTIFIER MMLOG_DROPPED _PID <"$T/show.json" >"$T/shown"
logged=$(awk -F '\t' '$2 != "-" { s += $2 } END { print s + 0 }' "$T/shown")
assert_eq "MMLOG_DROPPED in the log" "$dropped" "$logged"
assert_eq "entries in the log" "$sent" "$(awk -F '\t' '$1 == "nb"' "$T/shown" | wc -l)"
stop_daemon
