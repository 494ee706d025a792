#!/bin/bash
# The collector is down: mmlog-forward retries with backoff while the
# ring, too small to wait, overwrites entries it never sent.  When
# rsyslogd comes up the forwarder catches up: it counts the overwritten
# entries (its log, its stats, and a notice to the collector saying
# which) and forwards every entry still in the ring, in order.  The
# counts survive a restart of the forwarder.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fwd_lib.sh"

start_daemon --size 64K
fwd_start --max-backoff 200
seq 1 10 | ctl write -t fwdtest || fail "write failed"
wait_for "$(tmo 20)" eval '[ "$(stat_get failures)" -ge 3 ] 2>/dev/null' ||
    fail "the forwarder did not retry"
assert_eq "state while the collector is down" retrying "$(stat_get state)"
grep -q 'retrying in [0-9]* ms' "$FWD_ERR" || fail "no retry logged"
seq 11 3000 | ctl write -t fwdtest || fail "write failed"
wait_for "$(tmo 20)" eval '[ "$(header_field head_seq)" = 3001 ]' ||
    fail "the daemon did not take every entry"
tail=$(header_field tail_seq)
[ "$tail" -gt 11 ] || fail "the ring did not wrap (tail $tail)"
note "tail at $tail: $((tail - 1)) entries overwritten unsent"

rs_start
wait_for "$(tmo 60)" eval '[ "$(cursor_seq)" = 3000 ]' ||
    fail "the cursor did not reach 3000 (at $(cursor_seq))"
kill -TERM "$FWD_PID"
wait_exit "$FWD_PID" "$(tmo 20)" || fail "mmlog-forward ignored SIGTERM"
untrack "$FWD_PID"
assert_eq "exit" 0 "$EXIT_CODE"

assert_eq "lost in the stats" "$((tail - 1))" "$(stat_get lost)"
grep -q "overwritten in the ring before they were forwarded; counted (lost=$((tail - 1)))" \
    "$FWD_ERR" || fail "the loss is not in the forwarder's log"
grep -q "mmlogLost@32473 ring=\"[0-9a-f]*\" first=\"1\" count=\"$((tail - 1))\" reason=\"overwritten\"" \
    "$RS_OUT" || fail "the collector was not told of the loss"
ring_seq_msg >"$T/want"
assert_eq "first entry in the ring" "$tail" "$(head -n 1 "$T/want" | cut -f 1)"
out_lines | awk -F '\t' '$2 != "-"' | cut -f 2,3 >"$T/got"
cmp -s "$T/want" "$T/got" || fail "rsyslog's file is not the ring's entries"

# The counters count since the first start: a restart keeps them (it
# reset them to 0, as if the loss had never been), unless the stats
# file is another destination's.
sessions=$(stat_get sessions)
fwd_start
ctl write -t fwdtest after-restart || fail "write failed"
wait_for "$(tmo 20)" eval '[ "$(cursor_seq)" = 3001 ]' ||
    fail "the restarted forwarder did not confirm 3001 (at $(cursor_seq))"
kill -TERM "$FWD_PID"
wait_exit "$FWD_PID" "$(tmo 20)" || fail "mmlog-forward ignored SIGTERM"
untrack "$FWD_PID"
assert_eq "lost in the stats after a restart" "$((tail - 1))" "$(stat_get lost)"
[ "$(stat_get sessions)" -gt "$sessions" ] ||
    fail "sessions did not go on from $sessions: $(stat_get sessions)"
sed -i 's/^destination=.*/destination=relp:\/\/elsewhere:1/' "$T/stats"
fwd_start
wait_for "$(tmo 20)" eval '[ "$(stat_get lost)" = 0 ]' ||
    fail "another destination's counters were taken: lost=$(stat_get lost)"
kill -TERM "$FWD_PID"
wait_exit "$FWD_PID" "$(tmo 20)" || fail "mmlog-forward ignored SIGTERM"
untrack "$FWD_PID"
rs_stop
stop_daemon
