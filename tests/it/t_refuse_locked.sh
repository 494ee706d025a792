#!/bin/bash
# Two daemons never share a ring: a second mmlogd on the same file (and
# another socket) refuses, saying the ring is locked; a second mmlogd on
# the same socket (and another ring) refuses too.  The first keeps
# serving and its socket and ring are untouched.
. "$(dirname "$0")/lib.sh"

start_daemon --size 1M
first=$DPID
first_err=$DERR
loadgen -t a -n 100 -a >/dev/null 2>"$T/lg.err" || fail "loadgen failed"

run_refused "second daemon, same ring" --socket "$T/other.sock" --file "$RING"
grep -qi "locked" "$DERR" || fail "no 'locked' in: $(cat "$DERR")"
[ -e "$T/other.sock" ] && fail "the refused daemon bound its socket"

run_refused "second daemon, same socket" --socket "$SOCK" --file "$T/ring2" \
    --size 64K
grep -qi "listens" "$DERR" || fail "no 'another mmlogd listens' in: $(cat "$DERR")"

alive "$first" || fail "the first daemon died"
test -S "$SOCK" || fail "the first daemon's socket was removed"
loadgen -t b -n 100 -a >/dev/null 2>"$T/lg.err" ||
    fail "the first daemon no longer serves: $(cat "$T/lg.err")"
DPID=$first
DERR=$first_err
stop_daemon
entries >"$T/shown" || exit 1
range=$(check_gapless "$T/shown") || fail "$range"
assert_eq "entries of the first daemon" "1 200 200" "$range"
