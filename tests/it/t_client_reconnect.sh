#!/bin/bash
# mmlogd is killed (SIGKILL) and started again while a blocking client
# writes.  The client reconnects on its own; each write that could not be
# delivered while the daemon was down is counted, and once it is back the
# next entry carries the count: the MMLOG_DROPPED fields in the log add up
# to exactly what the client dropped.  Entries the kernel had accepted
# but the dead daemon never read are the only ones missing besides them.
. "$(dirname "$0")/lib.sh"

N=3000
start_daemon --size 8M
timeout -k 2 "$(tmo 60)" "$HELPERS/clientx" -s "$SOCK" stream $N 500 \
    >"$T/rs.out" 2>"$T/rs.err" &
cl=$!
track $cl
sleep 0.4
kill_daemon
sleep 0.3
start_daemon
wait_exit $cl "$(tmo 60)" || fail "clientx stream did not finish"
assert_eq "clientx exit status ($(cat "$T/rs.err"))" 0 "$EXIT_CODE"
read -r _ sent _ dropped _ pending _ failed <"$T/rs.out" ||
    fail "no stats: $(cat "$T/rs.out")"
note "client: sent $sent, dropped $dropped, pending $pending, failed calls $failed"
[ "$dropped" -gt 0 ] || fail "the client dropped nothing: the test did not test"
assert_eq "failed calls" "$dropped" "$failed"
assert_eq "drops not yet reported" 0 "$pending"
assert_eq "sent + dropped" $((N + 1)) $((sent + dropped))

ctl --file "$RING" show -o json >"$T/show.json" || fail "mmlogctl show"
json_fields SYSLOG_IDENTIFIER MMLOG_DROPPED MESSAGE <"$T/show.json" >"$T/shown"
logged=$(awk -F '\t' '$2 != "-" { s += $2 } END { print s + 0 }' "$T/shown")
assert_eq "MMLOG_DROPPED in the log" "$dropped" "$logged"
present=$(awk -F '\t' '$1 == "rs"' "$T/shown" | wc -l)
inflight=$((sent - present))
note "present $present, lost in the dead daemon's socket queue $inflight"
[ "$inflight" -ge 0 ] || fail "more entries ($present) than sent ($sent)"
# What was in flight is bounded by a socket buffer of small packets.
[ "$inflight" -le 2000 ] || fail "$inflight entries missing besides the drops"
# Order is kept across the reconnect.
awk -F '\t' '$1 == "rs" && $3 != "r end" { split($3, w, " ")
	if (w[2] + 0 <= last) { print "entry", w[2], "after", last; exit 1 }
	last = w[2] + 0 }' "$T/shown" >"$T/why" || fail "$(cat "$T/why")"
stop_daemon
