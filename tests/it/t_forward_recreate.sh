#!/bin/bash
# The ring is re-created (a new file, a new id, numbered from 1 again)
# under a following mmlog-forward while the collector is down.  The
# forwarder switches to the new ring, and its cursor file must name the
# new ring from then on, even before the first entry of it is
# confirmed: a forwarder started again must take up the new ring where
# it was, not refuse its own cursor as "from another ring".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fwd_lib.sh"

start_daemon --size 1M
rs_start
seq 1 5 | ctl write -t old || fail "write failed"
fwd_start
wait_for "$(tmo 30)" eval '[ "$(cursor_seq)" -ge 5 ]' ||
    fail "cursor did not reach seq 5 (at $(cursor_seq))"
old_id=$(sed -n 's/^s=\([0-9a-f]*\);.*/\1/p' "$T/cursor")

# The collector goes away, then the ring is replaced by a new one.
rs_stop
stop_daemon
rm -f "$RING"
start_daemon --size 1M
new_id=$(ctl status | sed -n 's/^ *ring id: *\([0-9a-f]\{32\}\).*/\1/p')
[ -n "$new_id" ] && [ "$new_id" != "$old_id" ] ||
    fail "no new ring id (\"$new_id\")"
wait_for "$(tmo 30)" grep -q "the ring was re-created" "$FWD_ERR" ||
    fail "the forwarder did not notice the new ring"
kill -TERM "$FWD_PID"
wait_exit "$FWD_PID" "$(tmo 20)" || fail "mmlog-forward ignored SIGTERM"
untrack "$FWD_PID"
assert_eq "exit on SIGTERM" 0 "$EXIT_CODE"
cur_id=$(sed -n 's/^s=\([0-9a-f]*\);.*/\1/p' "$T/cursor")
[ "$cur_id" != "$old_id" ] ||
    fail "the cursor file still names the old ring ($(cat "$T/cursor"))"
assert_eq "the cursor's ring" "$new_id" "$cur_id"

# Started again with the collector back, it forwards the new ring.
rs_start
seq 1 3 | ctl write -t new || fail "write failed"
fwd_start --once
fwd_wait_exit
assert_eq "entries of the new ring forwarded" 3 \
    "$(awk '$4 == "new"' "$RS_OUT" | grep -c "ring=\"$new_id\"")"
assert_eq "lost" 0 "$(stat_get lost)"
rs_stop
stop_daemon
