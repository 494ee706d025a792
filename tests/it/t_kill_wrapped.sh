#!/bin/bash
# Recovery when the ring went round since the durable cursor was last
# written.  One entry is made durable (the cursor now points just after
# it), then 3000 entries of varying size are written without any sync
# (--sync-interval of an hour, priority info), wrapping the 64 KiB ring
# several times, so the cursor's offset now lies inside newer records.
# The daemon is killed (SIGKILL: the page cache keeps every accepted
# entry).  The restarted daemon must find the same entries the ring held
# before the kill and continue numbering after the last of them: a
# sequence number is never handed out twice.
. "$(dirname "$0")/lib.sh"

start_daemon --size 64K --sync-interval 3600000
loadgen -t first -n 1 -a >"$T/first" 2>"$T/lg.err" || fail "loadgen failed"
assert_eq "first entry" "1 first 1" "$(cat "$T/first")"
badpeer write 6 3000 || fail "badpeer write failed"
wait_for "$(tmo 10)" stats_is entries 3001 ||
    fail "the daemon did not take the 3000 entries"
ring_entries >"$T/before"
range=$(check_gapless "$T/before") || fail "before the kill: $range"
note "before the kill: seq $range, header durable_seq $(header_field durable_seq) at offset $(header_field durable_off), $(header_field wraps) wraps"
set -- $range
[ "$2" = 3001 ] || fail "before the kill the ring ends at $2"
kill_daemon

start_daemon --size 64K
grep ' ready: ' "$DERR" | grep -q 'next seq 3002$' ||
    fail "after SIGKILL numbering restarts at the wrong place: $(grep -h 'ring.*entries\| ready: ' "$DERR" | tr '\n' ' ')"
ring_entries >"$T/after"
cmp -s "$T/before" "$T/after" ||
    fail "the entries before the kill are not all there after it ($(wc -l <"$T/after") of $(wc -l <"$T/before"))"
loadgen -t after -n 1 -a >"$T/new" 2>"$T/lg.err" || fail "loadgen after restart"
assert_eq "seq of the first new entry" "3002 after 1" "$(cat "$T/new")"
if have_ctl; then
	entries >"$T/shown" || exit 1
	range=$(check_gapless "$T/shown") || fail "mmlogctl: $range"
	set -- $range
	assert_eq "last seq shown by mmlogctl" 3002 "$2"
fi
stop_daemon
