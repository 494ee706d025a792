#!/bin/bash
# mmlog-forward is SIGKILLed while it sends 100,000 entries over RELP.
# Started again, it resumes from its cursor file: the first run's lines
# are seqs 1..L in order, the second run's are C+1..N in order, where C
# is the cursor the first run left.  C <= L: the cursor never runs ahead
# of what rsyslog acknowledged.  To give a cursor that did a chance to
# show it, rsyslogd is stopped (SIGSTOP) first, so that the forwarder's
# last window is in flight and unanswered when it dies, and then killed,
# so that what was in flight never arrives.  The runs tell themselves
# apart by --hostname.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fwd_lib.sh"

N=100000
start_daemon --size 32M
rs_start
seq 1 $N | ctl write -t fwdtest || fail "write failed"
fwd_start --hostname first --checkpoint 20
wait_for "$(tmo 60)" eval '[ "$(cursor_seq)" -ge $((N / 5)) ]' ||
    fail "the cursor did not reach seq $((N / 5))"
kill -STOP "$RS_PID"
# A moment for the forwarder to fill its window and checkpoint (the
# outcome must hold however long this is).
sleep 0.3
kill -KILL "$FWD_PID"
wait "$FWD_PID" 2>/dev/null
untrack "$FWD_PID"
rs_kill
C=$(cursor_seq)
note "killed with the cursor at $C, $(out_count) lines written"
[ "$C" -lt "$N" ] || fail "the first run had finished"
rs_start

fwd_start --hostname second --once
fwd_wait_exit
out_lines >"$T/lines"
ring_seq_msg >"$T/want"
assert_eq "entries in the ring" "$N" "$(wc -l <"$T/want")"

# The first run: 1..L, each with its own message.
awk -F '\t' '$1 == "first" { print $2 "\t" $3 }' "$T/lines" >"$T/first"
L=$(wc -l <"$T/first")
[ "$L" -ge "$C" ] || fail "rsyslog has $L lines from the first run, cursor $C"
head -n "$L" "$T/want" | cmp -s - "$T/first" ||
    fail "the first run's lines are not seqs 1..$L"
# The second run: C+1..N.
awk -F '\t' '$1 == "second" { print $2 "\t" $3 }' "$T/lines" >"$T/second"
tail -n +"$((C + 1))" "$T/want" | cmp -s - "$T/second" || {
	head -n 2 "$T/second" >&2
	fail "the second run did not send exactly seqs $((C + 1))..$N"
}
note "first run $L lines, second from $((C + 1)): $((L - C)) sent twice"
assert_eq "cursor" "$N" "$(cursor_seq)"
assert_eq "second run's failures" 0 "$(stat_get failures)"
rs_stop
stop_daemon
