#!/bin/bash
# The cursor file cannot be written (here its directory is gone; a full
# or read-only file system does the same): mmlog-forward keeps
# forwarding, keeps its stats file up to date, says so once, not once
# for every entry, and tries again at the next checkpoint; once the
# directory is back, the cursor is written again and the forwarder says
# so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fwd_lib.sh"

N=20000
start_daemon --size 8M
rs_start
mkdir "$T/cdir"
"$MMLOGFWD" --to "relp://127.0.0.1:$RS_PORT" --file "$RING" --socket "$SOCK" \
    --cursor-file "$T/cdir/cursor" --stats-file "$T/stats" \
    --checkpoint 200 2>"$T/fwd.err" </dev/null &
FWD_PID=$!
track "$FWD_PID"
seq 1 10 | ctl write -t before || fail "write failed"
wait_for "$(tmo 30)" eval '[ "$(cursor_seq "$T/cdir/cursor")" = 10 ]' ||
    fail "cursor did not reach 10"

rm -rf "$T/cdir"
seq 1 $N | ctl write -t gone || fail "write failed"
last=$((N + 10))
wait_for "$(tmo 60)" eval '[ "$(stat_get confirmed_seq)" = '"$last"' ]' ||
    fail "the stats do not show the forwarding (confirmed_seq $(stat_get confirmed_seq))"
sleep 1
errs=$(grep -c "cursor file '$T/cdir/cursor'" "$T/fwd.err")
note "$errs lines about the cursor file for $N entries"
[ "$errs" -ge 1 ] || fail "the failure was not logged"
[ "$errs" -le 5 ] || fail "$errs lines about the cursor file"

mkdir "$T/cdir"
ctl write -t after "back" || fail "write failed"
last=$((last + 1))
wait_for "$(tmo 30)" eval '[ "$(cursor_seq "$T/cdir/cursor")" = '"$last"' ]' ||
    fail "the cursor was not written again (at $(cursor_seq "$T/cdir/cursor"))"
grep -q "cursor file '$T/cdir/cursor' written again" "$T/fwd.err" ||
    fail "the recovery was not logged"
kill -TERM "$FWD_PID"
wait_exit "$FWD_PID" "$(tmo 20)" || fail "mmlog-forward ignored SIGTERM"
untrack "$FWD_PID"
assert_eq "exit on SIGTERM" 0 "$EXIT_CODE"
assert_eq "lines in rsyslog's file" "$last" "$(out_count)"
rs_stop
stop_daemon
