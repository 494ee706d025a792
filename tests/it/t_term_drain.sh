#!/bin/bash
# An orderly stop loses nothing a client already handed over.
# mmlog_write() returns once the kernel has queued the entry on the
# daemon's socket (mmlog.h), and SIGTERM is not a crash: the daemon must
# read everything queued before it closes the connections.  Here the
# daemon is paused (SIGSTOP) while a client queues 150 entries (they fit
# in the socket buffer: the client gets to its final sync and waits),
# then SIGTERM and SIGCONT.  All 150 entries must be in the ring.
. "$(dirname "$0")/lib.sh"

start_daemon --size 1M
kill -STOP "$DPID"
"$HELPERS/loadgen" -s "$SOCK" -t q -n 150 >/dev/null 2>"$T/lg.err" &
lg=$!
track $lg
# The client has sent all 150 once it waits for the sync's ACK, in a
# blocking receive (or poll() with a timeout); where the kernel hides
# wchan, a second is plenty.
in_poll() {
	grep -Eq 'poll|skb_wait_for_more_packets|recv' "/proc/$lg/wchan" 2>/dev/null
}
if [ "$(cat "/proc/$lg/wchan" 2>/dev/null)" = 0 ]; then
	sleep 1
else
	wait_for "$(tmo 10)" in_poll || fail "loadgen did not get to its sync"
fi
kill -TERM "$DPID"
kill -CONT "$DPID"
wait_exit "$DPID" "$(tmo 20)" || fail "mmlogd did not stop"
assert_eq "exit status" 0 "$EXIT_CODE"
wait $lg
lg_rc=$?

n=$(ring_entries | awk -F '\t' '$3 == "q"' | wc -l)
note "loadgen exit $lg_rc ($(cat "$T/lg.err")); $n of 150 queued entries stored"
assert_eq "entries queued before SIGTERM that were stored" 150 "$n"
# The client's final sync was queued behind its entries: the shutdown
# makes them durable and acknowledges it.
assert_eq "loadgen exit status (its sync acknowledged)" 0 "$lg_rc"
