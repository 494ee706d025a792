#!/bin/bash
# mmlogctl show -f across daemon restarts: a follower started before any
# entry sees the one written after it started, then keeps following
# while the daemon is stopped with SIGTERM and started again, and while
# it is killed with SIGKILL and started again, with a burst of entries
# written at once.
# At the end the follower has printed every entry of the ring once, in
# order; it never needed restarting.
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 1M
# The follower is running before the first entry is written.
follow_json
f=$FPID
ctl write -t f "first after start" || fail "write"
wait_for "$(tmo 10)" has "first after start" ||
    fail "the follower did not print an entry written after it started"

stop_daemon
start_daemon
ctl write -t f "after SIGTERM restart" || fail "write"
wait_for "$(tmo 10)" has "after SIGTERM restart" ||
    fail "the follower did not print an entry after a restart: $(cat "$T/f.err")"

kill_daemon
start_daemon
# A burst at once, while the follower may still be finding the daemon.
loadgen -t back -n 50 >/dev/null 2>"$T/lg.err" || fail "loadgen: $(cat "$T/lg.err")"
ctl write -t f "after SIGKILL restart" || fail "write"
wait_for "$(tmo 10)" has "after SIGKILL restart" ||
    fail "the follower did not print an entry after SIGKILL and restart: $(cat "$T/f.err")"
alive $f || fail "the follower exited"
kill -TERM $f
wait_exit $f "$(tmo 5)" || fail "the follower did not stop on SIGTERM"
assert_eq "follower exit status" 0 "$EXIT_CODE"
untrack $f

json_fields __SEQNUM MESSAGE <"$T/f.json" >"$T/f.tsv"
entries | cut -f 1,5 >"$T/ring.tsv"
cmp -s "$T/f.tsv" "$T/ring.tsv" ||
    fail "the follower printed other than the ring holds: $(diff "$T/f.tsv" "$T/ring.tsv" | head -n 6)"
[ "$(grep -c . "$T/f.tsv")" -ge 53 ] || fail "only $(wc -l <"$T/f.tsv") entries followed"
grep -q . "$T/f.err" && note "follower said: $(cat "$T/f.err")"
stop_daemon
