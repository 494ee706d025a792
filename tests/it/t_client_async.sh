#!/bin/bash
# Durable writes without a round trip each (mmlog_write_async,
# mmlog_wait, mmlog_set_window) and durable writes from many threads of
# one handle, against a real daemon whose syncs the test holds
# (MMLOGD_TEST_SYNC_STALL_FILE) or fails (MMLOGD_TEST_SYNC_FAIL_FILE):
#   - 2000 async entries with a window of 16: each acknowledged once, all
#     in the ring in order, and the seq mmlog_wait() reports is durable;
#   - while the sync is held, a window of 8 lets exactly 8 entries out and
#     the 9th write waits; released, all 40 are acknowledged;
#   - 8 threads of one handle each make a durable write while the sync is
#     held: all 8 entries reach the daemon before any ACK (one sync
#     serves them), and each thread gets its own sequence number;
#   - a wait with a timeout gives ETIMEDOUT, and a later wait the ACKs;
#   - a failing sync is reported by mmlog_wait() as EIO, once;
#   - a non-blocking handle with a full window drops and counts (EAGAIN);
#   - the daemon killed with entries out: mmlog_wait() says EPIPE, and
#     the restarted daemon still has the entries it had taken;
#   - a sync waiting for room in the window (lock dropped) while another
#     thread batches entries: every entry arrives whole, none refused;
#   - answers read only after the daemon closed an idle connection still
#     count: no EPIPE for entries that were acknowledged;
#   - two different failures (ENOBUFS past --max-pending, EIO of a
#     failed sync) are each reported, by the first wait covering each;
#   - a refused plain entry (over --max-fields) does not turn a later
#     lost connection into its error: still EPIPE;
#   - a plain entry over --max-entry is stored cut and not refused
#     (issue 17), and the next sync says so: TRUNCATED;
#   - a non-blocking handle reads the answers waiting in its socket
#     before it calls its window full.
. "$(dirname "$0")/lib.sh"

need_ctl
STALL=$T/stall
FAILF=$T/fail
start_daemon_env "MMLOGD_TEST_SYNC_STALL_FILE=$STALL MMLOGD_TEST_SYNC_FAIL_FILE=$FAILF" \
    -v --size 4M

cx() {
	timeout -k 2 "$(tmo 30)" "$HELPERS/clientx" -s "$SOCK" "$@"
}
bg() {		# bg OUT ARGS...: clientx ARGS in the background, as $cpid
	local out=$1
	shift
	"$HELPERS/clientx" -s "$SOCK" "$@" >"$out" 2>"$out.err" &
	cpid=$!
	track $cpid
}
said() {	# said FILE REGEX: a line of FILE matches
	grep -q "$2" "$1"
}
finish() {	# finish OUT WHAT: the background clientx ends, with status 0
	wait_exit $cpid "$(tmo 30)" || fail "$2: clientx did not finish: $(cat "$1")"
	[ "$EXIT_CODE" = 0 ] || fail "$2: clientx: $(cat "$1.err")"
	untrack $cpid
}
sent_lines() {
	grep -c '^sent ' "$1"
}

# 1. Many async entries, each acknowledged.
acks0=$(stats_field acks)
cx async 2000 16 >"$T/a1" 2>"$T/a1.err" || fail "clientx async: $(cat "$T/a1.err")"
assert_eq "async writes" 2000 "$(sent_lines "$T/a1")"
assert_eq "second wait" "wait2 0" "$(tail -n 1 "$T/a1")"
read -r w err _ seq < <(grep '^wait ' "$T/a1")
assert_eq "mmlog_wait" "wait 0" "$w $err"
assert_eq "ACKs for 2000 async entries" $((acks0 + 2000)) "$(stats_field acks)"
ctl --file "$RING" show -o json -t as >"$T/a1.json" || fail "show: $(tail -n 3 "$T/ctl.err")"
json_fields __SEQNUM MESSAGE <"$T/a1.json" >"$T/a1.ring"
assert_eq "async entries in the ring" 2000 "$(wc -l <"$T/a1.ring")"
awk -F '\t' '$2 != "a " NR { print "line " NR ": " $0; exit 1 }' "$T/a1.ring" >"$T/why" ||
    fail "async entries out of order: $(cat "$T/why")"
last=$(tail -n 1 "$T/a1.ring" | cut -f 1)
[ "$seq" -ge "$last" ] || fail "mmlog_wait said seq $seq is durable, before the last entry ($last)"
[ "$(header_field durable_seq)" -ge "$seq" ] ||
    fail "mmlog_wait said seq $seq is durable, the header says $(header_field durable_seq)"

# 2. The window: 8 out, the 9th waits for an answer.
touch "$STALL"
e0=$(stats_field entries)
bg "$T/a2" async 40 8
eight_out() {
	[ "$(sent_lines "$T/a2")" = 8 ] && stats_is entries $((e0 + 8))
}
wait_for "$(tmo 10)" eight_out ||
    fail "window 8 under a held sync: $(sent_lines "$T/a2") sent, $(($(stats_field entries) - e0)) taken"
sleep 0.3
assert_eq "entries out with the sync held (window 8)" 8 "$(sent_lines "$T/a2")"
assert_eq "entries the daemon took with the sync held" $((e0 + 8)) "$(stats_field entries)"
alive $cpid || fail "the client exited while its window was full: $(cat "$T/a2.err")"
rm -f "$STALL"
finish "$T/a2" "the windowed client, after the stall"
assert_eq "windowed writes" 40 "$(sent_lines "$T/a2")"
grep -q '^wait 0 ' "$T/a2" || fail "windowed wait: $(grep wait "$T/a2")"

# 3. Threads of one handle: their durable writes are out together.
touch "$STALL"
e0=$(stats_field entries)
bg "$T/d1" dthreads 8 1
wait_for "$(tmo 10)" stats_is entries $((e0 + 8)) ||
    fail "8 threads, one handle, sync held: only $(($(stats_field entries) - e0)) durable writes reached the daemon"
[ -s "$T/d1" ] && fail "a durable write returned while the sync was held: $(cat "$T/d1")"
rm -f "$STALL"
finish "$T/d1" "the threads, after the stall"
assert_eq "threads' durable writes" "durable 8" "$(cat "$T/d1")"
cx dthreads 8 50 >"$T/d2" 2>"$T/d2.err" || fail "clientx dthreads 8 50: $(cat "$T/d2.err")"
assert_eq "threads' durable writes" "durable 400" "$(cat "$T/d2")"
ctl --file "$RING" show -o json -t dthr >"$T/d.json" || fail "show: $(tail -n 3 "$T/ctl.err")"
assert_eq "threads' entries in the ring" 408 "$(json_fields MESSAGE <"$T/d.json" | wc -l)"

# 4. A timeout, then the answers after all.
touch "$STALL"
bg "$T/a4" async 3 8 200
wait_for "$(tmo 10)" said "$T/a4" '^wait ' || fail "no answer from a wait with a 200 ms timeout"
assert_eq "wait with a timeout, sync held" "wait ETIMEDOUT seq 0" "$(grep '^wait ' "$T/a4")"
rm -f "$STALL"
finish "$T/a4" "the second wait, after the stall"
assert_eq "wait after the stall" "wait2 0" "$(tail -n 1 "$T/a4")"

# 5. A failing sync: EIO, reported once.
touch "$FAILF"
cx async 5 8 >"$T/a5" 2>"$T/a5.err" || fail "clientx async 5 8: $(cat "$T/a5.err")"
rm -f "$FAILF"
assert_eq "wait while syncs fail" "wait EIO seq 0" "$(grep '^wait ' "$T/a5")"
assert_eq "the failure is reported once" "wait2 0" "$(tail -n 1 "$T/a5")"

# 6. Non-blocking handle, window 4, sync held: 16 of 20 dropped and counted.
touch "$STALL"
bg "$T/a6" async-nb 20 4
wait_for "$(tmo 10)" said "$T/a6" '^sent ' || fail "the non-blocking client did not say what it sent"
assert_eq "non-blocking, full window" "sent 4 eagain 16 dropped 16" "$(head -n 1 "$T/a6")"
rm -f "$STALL"
finish "$T/a6" "the non-blocking client's wait"
grep -q '^wait 0 ' "$T/a6" || fail "non-blocking wait: $(cat "$T/a6")"

# 7. The daemon dies with entries out.
touch "$STALL"
e0=$(stats_field entries)
bg "$T/a7" async 5 8
wait_for "$(tmo 10)" stats_is entries $((e0 + 5)) || fail "the 5 entries did not arrive"
kill_daemon
finish "$T/a7" "mmlog_wait, when the daemon died"
assert_eq "wait when the daemon died" "wait EPIPE seq 0" "$(grep '^wait ' "$T/a7")"
assert_eq "the loss is reported once" "wait2 0" "$(tail -n 1 "$T/a7")"
rm -f "$STALL"
start_daemon -v --size 4M
ctl --file "$RING" show -o json -t as >"$T/a7.json" || fail "show: $(tail -n 3 "$T/ctl.err")"
assert_eq "entries the killed daemon had taken" "a 1 a 2 a 3 a 4 a 5" \
    "$(json_fields MESSAGE <"$T/a7.json" | tail -n 5 | tr '\n' ' ' | sed 's/ $//')"
stop_daemon

# The rest with a daemon that takes 2 requests out per client and
# entries of at most 1 KiB.
start_daemon_env "MMLOGD_TEST_SYNC_STALL_FILE=$STALL MMLOGD_TEST_SYNC_FAIL_FILE=$FAILF" \
    -v --size 4M --max-pending 2 --max-entry 1024
steps() {	# steps OUT STEP...: clientx steps in the background
	local out=$1
	shift
	bg "$out" steps "$@"
}

# 8. A sync that waits for the window must not write over the batch.
bad0=$(stats_field bad_frames)
touch "$STALL"
steps "$T/s8" open:batch window:1 delay:5000000 async:s8-async bgsync \
    sleep:300 write:s8-b1 write:s8-b2 say:written "gone:$STALL" join sync
wait_for "$(tmo 10)" said "$T/s8" "^written$" || fail "batch under a full window: $(cat "$T/s8")"
rm -f "$STALL"
finish "$T/s8" "batch under a full window"
assert_eq "batch under a full window" "async 0 1
write 0
write 0
written
bgsync 0
sync 0" "$(cat "$T/s8")"
assert_eq "frames refused" "$bad0" "$(stats_field bad_frames)"
ctl --file "$RING" show -o json -t st >"$T/s8.json" || fail "show: $(tail -n 3 "$T/ctl.err")"
assert_eq "batched entries behind an async one" "s8-async s8-b1 s8-b2" \
    "$(json_fields MESSAGE <"$T/s8.json" | grep '^s8-' | tr '\n' ' ' | sed 's/ $//')"

# 10. Two failures, each reported once, by the first wait covering it.
touch "$STALL"
steps "$T/s10" open window:8 async:f1 async:f2 async:f3 async:f4 say:sent \
    "gone:$STALL" wait:2 wait:4 wait:0 say:waited "gone:$FAILF" sync
wait_for "$(tmo 10)" said "$T/s10" "^sent$" || fail "failures: $(cat "$T/s10")"
touch "$FAILF"
rm -f "$STALL"
wait_for "$(tmo 10)" said "$T/s10" "^waited$" || fail "failures: $(cat "$T/s10")"
rm -f "$FAILF"
finish "$T/s10" "two failures"
assert_eq "two failures, each once" "wait EIO
wait ENOBUFS
wait 0
sync 0" "$(grep -E '^(wait|sync) ' "$T/s10")"

# 12. Non-blocking, window 2 (no more than --max-pending): answers
# already in the socket make room.  The client fills its window; once
# the daemon has sent both ACKs (the client reads none until it must),
# the next write gets through instead of EAGAIN; twice.  Paced by what
# the daemon has sent, not by sleeps: a sync slower than a sleep must
# not turn into EAGAIN, nor a window wider than --max-pending into
# ENOBUFS.
GATE=$T/gate
touch "$GATE.1" "$GATE.2"
acks0=$(stats_field acks)
steps "$T/s12" open:nb window:2 async:nb1 async:nb2 say:full "gone:$GATE.1" \
    async:nb3 async:nb4 say:full "gone:$GATE.2" async:nb5 wait:0
for k in 1 2; do
	wait_for "$(tmo 10)" eval '[ "$(grep -c "^full$" "$T/s12")" -ge $k ]' ||
	    fail "non-blocking window, round $k: $(cat "$T/s12")"
	wait_for "$(tmo 10)" stats_is acks $((acks0 + 2 * k)) ||
	    fail "non-blocking window, round $k: $(($(stats_field acks) - acks0)) ACKs sent: $(cat "$T/s12")"
	rm -f "$GATE.$k"
done
finish "$T/s12" "non-blocking window"
assert_eq "non-blocking writes, answers waiting in the socket" "async 0 1
async 0 2
full
async 0 3
async 0 4
full
async 0 5
wait 0" "$(cat "$T/s12")"

# 11a. A plain entry over --max-entry is stored cut; the sync says so.
steps "$T/s11a" open big:4000 sync sync
finish "$T/s11a" "oversized plain entry"
assert_eq "oversized plain entry, then two syncs" "big 0
sync TRUNCATED
sync 0" "$(cat "$T/s11a")"
assert_eq "frames refused" "$bad0" "$(stats_field bad_frames)"

# 11. A refused plain entry, then the daemon dies with entries out: EPIPE.
touch "$STALL"
steps "$T/s11" open fields:300 async:r1 async:r2 say:sent wait:0
wait_for "$(tmo 10)" said "$T/s11" "^sent$" || fail "refused entry: $(cat "$T/s11")"
e0=$(stats_field entries)
wait_for "$(tmo 10)" eval '[ "$(stats_field bad_frames)" -gt "$bad0" ]' ||
    fail "the entry of 300 fields was not refused"
kill_daemon
rm -f "$STALL"
finish "$T/s11" "refused entry, then the daemon died"
assert_eq "wait after a refused entry and a dead daemon" "wait EPIPE" "$(tail -n 1 "$T/s11")"

# 9. Answers left unread when the daemon closed an idle connection.
start_daemon -v --size 4M --idle-timeout 1
steps "$T/s9" open async:i1 async:i2 async:i3 sleep:2500 write:after wait:0 stats
finish "$T/s9" "idle close"
grep -q 'idle, closing' "$DERR" || fail "the daemon did not close the idle connection"
assert_eq "acknowledged, then closed for idleness" "wait 0" "$(grep '^wait ' "$T/s9")"
grep -q '^sent 4 dropped 0 ' "$T/s9" || fail "idle close: $(tail -n 1 "$T/s9")"
stop_daemon
