#!/bin/bash
# The collector is down, for each transport (nothing listens on its
# port): mmlog-forward retries with backoff and otherwise sleeps.  It
# must not spin, nor rewrite its stats file for every entry it hands to
# a session that cannot confirm it: over HTTP a session "opens" without
# the network and takes a whole POST's worth of entries before the
# connection fails, and the cursor, which cannot move, once made every
# one of them a stats file rewrite (open, write, rename: thousands a
# second, a third of a CPU).  The stats file still says what happens.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fwd_lib.sh"

start_daemon --size 1M
seq 1 3000 | ctl write -t down || fail "write failed"

# syscw: write(2)-like calls the process made so far.
syscw() {
	awk '$1 == "syscw:" { print $2 }' "/proc/$1/io"
}
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

for scheme in http relp tcp; do
	rm -f "$T/cursor" "$T/stats"
	FWD_URL=$scheme://127.0.0.1:$RS_PORT fwd_start --max-backoff 400
	wait_for "$(tmo 20)" eval '[ "$(stat_get failures)" -ge 2 ] 2>/dev/null' ||
	    fail "$scheme: the forwarder did not retry"
	w0=$(syscw "$FWD_PID")
	c0=$(cpu_ticks "$FWD_PID")
	f0=$(stat_get failures)
	sleep 3
	w1=$(syscw "$FWD_PID")
	c1=$(cpu_ticks "$FWD_PID")
	f1=$(stat_get failures)
	note "$scheme down for 3 s: $((w1 - w0)) writes, $((c1 - c0)) CPU ticks, $((f1 - f0)) more failures"
	[ "$f1" -gt "$f0" ] || fail "$scheme: no retry in 3 s"
	# About 8 retries in 3 s (backoff at 400 ms), each a few log lines
	# and one stats file: well under 300 writes.
	[ $((w1 - w0)) -lt 300 ] ||
	    fail "$scheme: $((w1 - w0)) writes in 3 s with the collector down"
	# Between two attempts; an attempt itself lasts milliseconds.
	wait_for "$(tmo 5)" eval '[ "$(stat_get state)" = retrying ]' ||
	    fail "$scheme: state $(stat_get state), not retrying"
	assert_eq "$scheme: confirmed" 0 "$(stat_get confirmed)"
	[ ! -e "$T/cursor" ] || [ "$(cursor_seq)" = 0 ] ||
	    fail "$scheme: the cursor moved: $(cat "$T/cursor")"
	kill -TERM "$FWD_PID"
	wait_exit "$FWD_PID" "$(tmo 20)" || fail "mmlog-forward ignored SIGTERM"
	untrack "$FWD_PID"
	assert_eq "$scheme: exit on SIGTERM" 0 "$EXIT_CODE"
done
stop_daemon
