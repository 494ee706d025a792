#!/bin/bash
# Unasked data becomes durable by itself: at once for priority CRIT or
# more urgent, and within --sync-interval otherwise.  Durable means the
# ring header's durable cursor, which moves only after the msync, covers
# the entry.  Nothing here asks for an ACK or sends a SYNC.
. "$(dirname "$0")/lib.sh"

durable_at_least() { [ "$(header_field durable_seq)" -ge "$1" ]; }

# An interval of an hour: only the priority can make an entry durable.
start_daemon --size 1M --sync-interval 3600000
badpeer write 6 10 || fail "badpeer write failed"
wait_for "$(tmo 5)" stats_is entries 10 ||
    fail "the daemon did not take the 10 entries"
sleep 0.5
d=$(header_field durable_seq)
note "durable_seq after 10 info entries and 0.5 s: $d"
badpeer write 2 1 || fail "badpeer write failed"
wait_for "$(tmo 2)" durable_at_least 11 ||
    fail "a CRIT entry (seq 11) is not durable after $(tmo 2) s: durable_seq $(header_field durable_seq)"
badpeer write 0 1 || fail "badpeer write failed"
wait_for "$(tmo 2)" durable_at_least 12 ||
    fail "an EMERG entry (seq 12) is not durable after $(tmo 2) s"
stop_daemon

# A short interval: info entries are durable soon after it.
start_daemon --sync-interval 200
badpeer write 6 5 || fail "badpeer write failed"
wait_for "$(tmo 3)" durable_at_least 17 ||
    fail "info entries not durable $(tmo 3) s after, with --sync-interval 200: durable_seq $(header_field durable_seq)"
stop_daemon
assert_eq "entries" 17 "$(ring_entries | wc -l)"
