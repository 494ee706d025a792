#!/bin/bash
# An existing ring keeps its size unless a size is asked for: without
# --size (or size = in the configuration) mmlogd opens it whatever the
# default, and the same --size opens it as it is.  (Another size
# migrates the ring: t_resize.)
. "$(dirname "$0")/lib.sh"

start_daemon --size 1M
loadgen -t keep -n 100 2>"$T/lg.err" || fail "loadgen failed"
stop_daemon
start_daemon --size 1M
stop_daemon
grep -q resized "$LOGS"/mmlogd.*.err && fail "the same size resized the ring"
start_daemon
loadgen -t more -n 1 -a >/dev/null 2>"$T/lg.err" || fail "loadgen failed"
stop_daemon
grep -q resized "$LOGS"/mmlogd.*.err && fail "no size given, but resized"
assert_eq "capacity" 1048576 "$(header_field capacity)"
assert_eq "entries kept" 101 "$(ring_entries | wc -l)"
