#!/bin/bash
# Forwarding to systemd-journal-remote across the death of either side.
#
# mmlog-forward is SIGKILLed while it sends 50,000 entries, with
# journal-remote stopped (SIGSTOP) so that its last POSTs are out and
# unanswered, then journal-remote is killed too.  Started again (a new
# journal file), the forwarder resumes from its cursor C: the first
# journal holds seqs 1..L in order, the second C+1..N in order, C <= L
# (the cursor never runs ahead of what journal-remote confirmed) and
# L - C, the entries sent twice, is at most the window.
#
# Then journal-remote is SIGKILLed while the forwarder sends 50,000
# more, and started again: every entry is in the journals, sent twice
# only after a failure, at most a window each time; nothing is lost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fwd_lib.sh"

jr_need
N=50000
W=1024
start_daemon --size 64M
jr_start
FWD_URL=http://127.0.0.1:$JR_PORT
seq 1 $N | ctl write -t fwdtest || fail "write failed"
fwd_start --seq-fields --checkpoint 20 --window $W
wait_for "$(tmo 60)" eval '[ "$(cursor_seq)" -ge $((N / 5)) ]' ||
    fail "the cursor did not reach seq $((N / 5))"
kill -STOP "$JR_PID"
# A moment for the forwarder to fill its window and checkpoint (the
# outcome must hold however long this is).
sleep 0.3
kill -KILL "$FWD_PID"
wait "$FWD_PID" 2>/dev/null
untrack "$FWD_PID"
jr_kill
C=$(cursor_seq)
note "killed with the cursor at $C"
[ "$C" -lt "$N" ] || fail "the first run had finished"
jr_start
fwd_start --seq-fields --once --window $W
fwd_wait_exit
assert_eq "second run's failures" 0 "$(stat_get failures)"
assert_eq "cursor" "$N" "$(cursor_seq)"

# jr_file_seqs N: the _MMLOG_SEQ of journal-remote N's journal, in order.
jr_file_seqs() {
	jr_json_of "$1" | json_fields _MMLOG_SEQ
}
jr_file_seqs 1 >"$T/first"
L=$(wc -l <"$T/first")
[ "$L" -ge "$C" ] || fail "the first journal has $L entries, cursor $C"
seq 1 "$L" | cmp -s - "$T/first" || fail "the first journal is not seqs 1..$L"
jr_file_seqs 2 >"$T/second"
seq $((C + 1)) $N | cmp -s - "$T/second" || {
	head -n 2 "$T/second" >&2
	fail "the second journal is not exactly seqs $((C + 1))..$N"
}
note "first journal 1..$L, second from $((C + 1)): $((L - C)) sent twice"
[ $((L - C)) -le $W ] || fail "$((L - C)) entries sent twice, more than the window $W"

# journal-remote dies while entries flow, and comes back.  It is stopped
# before the last 4/5 are written, so that they cannot all be confirmed
# before it dies, however fast the forwarder is (it used to finish them
# now and then between two checkpoints, and had no failure to notice).
FWD_ERR=
fwd_start --seq-fields --checkpoint 20 --window $W
seq 1 $((N / 5)) | ctl write -t second || fail "write failed"
wait_for "$(tmo 60)" eval '[ "$(cursor_seq)" -ge $((N + N / 5)) ]' ||
    fail "the cursor did not reach seq $((N + N / 5))"
kill -STOP "$JR_PID"
seq $((N / 5 + 1)) $N | ctl write -t second || fail "write failed"
sleep 0.3
jr_kill
wait_for "$(tmo 20)" eval '[ "$(stat_get failures)" -ge 1 ] 2>/dev/null' ||
    fail "the forwarder did not notice"
jr_start
wait_for "$(tmo 60)" eval '[ "$(cursor_seq)" = $((2 * N)) ]' ||
    fail "the cursor did not reach $((2 * N)) (at $(cursor_seq))"
kill -TERM "$FWD_PID"
wait_exit "$FWD_PID" "$(tmo 20)" || fail "mmlog-forward ignored SIGTERM"
untrack "$FWD_PID"
failures=$(stat_get failures)
jr_json | json_fields _MMLOG_SEQ | awk -v lo=$((N + 1)) '$1 >= lo' | sort -n >"$T/all"
sort -u -n "$T/all" >"$T/once"
seq $((N + 1)) $((2 * N)) | cmp -s - "$T/once" ||
    fail "entries missing from the journals: $(seq $((N + 1)) $((2 * N)) | comm -23 - "$T/once" | head -n 3)"
dups=$(( $(wc -l <"$T/all") - N ))
note "$dups entries sent twice, $failures failures"
[ "$dups" -le $((failures * W)) ] || fail "$dups duplicates for $failures failures"
assert_eq "lost" 0 "$(stat_get lost)"
jr_stop
stop_daemon
