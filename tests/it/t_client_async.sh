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
#     the restarted daemon still has the entries it had taken.
. "$(dirname "$0")/lib.sh"

need_ctl
STALL=$T/stall
FAILF=$T/fail
start_daemon_env "MMLOGD_TEST_SYNC_STALL_FILE=$STALL MMLOGD_TEST_SYNC_FAIL_FILE=$FAILF" \
    -v --size 4M

cx() {
	timeout -k 2 "$(tmo 30)" "$HELPERS/clientx" -s "$SOCK" "$@"
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
"$HELPERS/clientx" -s "$SOCK" async 40 8 >"$T/a2" 2>"$T/a2.err" &
cpid=$!
track $cpid
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
wait_exit $cpid "$(tmo 20)" || fail "the windowed client did not finish after the stall"
[ "$EXIT_CODE" = 0 ] || fail "clientx async 40 8: $(cat "$T/a2.err")"
untrack $cpid
assert_eq "windowed writes" 40 "$(sent_lines "$T/a2")"
grep -q '^wait 0 ' "$T/a2" || fail "windowed wait: $(grep wait "$T/a2")"

# 3. Threads of one handle: their durable writes are out together.
touch "$STALL"
e0=$(stats_field entries)
"$HELPERS/clientx" -s "$SOCK" dthreads 8 1 >"$T/d1" 2>"$T/d1.err" &
cpid=$!
track $cpid
wait_for "$(tmo 10)" stats_is entries $((e0 + 8)) ||
    fail "8 threads, one handle, sync held: only $(($(stats_field entries) - e0)) durable writes reached the daemon"
[ -s "$T/d1" ] && fail "a durable write returned while the sync was held: $(cat "$T/d1")"
rm -f "$STALL"
wait_exit $cpid "$(tmo 20)" || fail "the threads did not finish after the stall"
[ "$EXIT_CODE" = 0 ] || fail "clientx dthreads 8 1: $(cat "$T/d1.err")"
untrack $cpid
assert_eq "threads' durable writes" "durable 8" "$(cat "$T/d1")"
cx dthreads 8 50 >"$T/d2" 2>"$T/d2.err" || fail "clientx dthreads 8 50: $(cat "$T/d2.err")"
assert_eq "threads' durable writes" "durable 400" "$(cat "$T/d2")"
ctl --file "$RING" show -o json -t dthr >"$T/d.json" || fail "show: $(tail -n 3 "$T/ctl.err")"
assert_eq "threads' entries in the ring" 408 "$(json_fields MESSAGE <"$T/d.json" | wc -l)"

# 4. A timeout, then the answers after all.
touch "$STALL"
"$HELPERS/clientx" -s "$SOCK" async 3 8 200 >"$T/a4" 2>"$T/a4.err" &
cpid=$!
track $cpid
timed_out() {
	grep -q '^wait ' "$T/a4"
}
wait_for "$(tmo 10)" timed_out || fail "no answer from a wait with a 200 ms timeout"
assert_eq "wait with a timeout, sync held" "wait ETIMEDOUT seq 0" "$(grep '^wait ' "$T/a4")"
rm -f "$STALL"
wait_exit $cpid "$(tmo 20)" || fail "the second wait did not return after the stall"
untrack $cpid
assert_eq "wait after the stall" "wait2 0" "$(tail -n 1 "$T/a4")"

# 5. A failing sync: EIO, reported once.
touch "$FAILF"
cx async 5 8 >"$T/a5" 2>"$T/a5.err" || fail "clientx async 5 8: $(cat "$T/a5.err")"
rm -f "$FAILF"
assert_eq "wait while syncs fail" "wait EIO seq 0" "$(grep '^wait ' "$T/a5")"
assert_eq "the failure is reported once" "wait2 0" "$(tail -n 1 "$T/a5")"

# 6. Non-blocking handle, window 4, sync held: 16 of 20 dropped and counted.
touch "$STALL"
"$HELPERS/clientx" -s "$SOCK" async-nb 20 4 >"$T/a6" 2>"$T/a6.err" &
cpid=$!
track $cpid
nb_out() {
	grep -q '^sent ' "$T/a6"
}
wait_for "$(tmo 10)" nb_out || fail "the non-blocking client did not say what it sent"
assert_eq "non-blocking, full window" "sent 4 eagain 16 dropped 16" "$(head -n 1 "$T/a6")"
rm -f "$STALL"
wait_exit $cpid "$(tmo 20)" || fail "the non-blocking client's wait did not return"
untrack $cpid
grep -q '^wait 0 ' "$T/a6" || fail "non-blocking wait: $(cat "$T/a6")"

# 7. The daemon dies with entries out.
touch "$STALL"
e0=$(stats_field entries)
"$HELPERS/clientx" -s "$SOCK" async 5 8 >"$T/a7" 2>"$T/a7.err" &
cpid=$!
track $cpid
wait_for "$(tmo 10)" stats_is entries $((e0 + 5)) || fail "the 5 entries did not arrive"
kill_daemon
wait_exit $cpid "$(tmo 20)" || fail "mmlog_wait did not return when the daemon died"
untrack $cpid
assert_eq "wait when the daemon died" "wait EPIPE seq 0" "$(grep '^wait ' "$T/a7")"
assert_eq "the loss is reported once" "wait2 0" "$(tail -n 1 "$T/a7")"
rm -f "$STALL"
start_daemon -v --size 4M
ctl --file "$RING" show -o json -t as >"$T/a7.json" || fail "show: $(tail -n 3 "$T/ctl.err")"
assert_eq "entries the killed daemon had taken" "a 1 a 2 a 3 a 4 a 5" \
    "$(json_fields MESSAGE <"$T/a7.json" | tail -n 5 | tr '\n' ' ' | sed 's/ $//')"
stop_daemon
