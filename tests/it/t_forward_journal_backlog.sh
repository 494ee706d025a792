#!/bin/bash
# systemd-journal-remote is down for longer than the ring holds:
# mmlog-forward retries with backoff while the ring, too small to wait,
# overwrites entries it never sent.  When journal-remote comes up the
# forwarder catches up: it counts the overwritten entries, exactly (its
# log, its stats, and a notice in the journal: MMLOG_LOST_FIRST=1,
# MMLOG_LOST_COUNT, MMLOG_LOST_REASON=overwritten), and every entry
# still in the ring reaches the journal once, in order.
# Over HTTP the forwarder reads entries before it knows that the POST
# will fail (connecting is part of the POST), so entries it read intact
# may be overwritten before journal-remote comes up, and then arrive:
# they are not lost.  So the count must be exactly the entries before
# the first one in the journal, and that one at most the ring's tail.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fwd_lib.sh"

jr_need
start_daemon --size 64K
FWD_URL=http://127.0.0.1:$JR_PORT
fwd_start --max-backoff 200 --seq-fields
seq 1 10 | ctl write -t fwdtest || fail "write failed"
wait_for "$(tmo 20)" eval '[ "$(stat_get failures)" -ge 3 ] 2>/dev/null' ||
    fail "the forwarder did not retry"
# The state flips to "sending" at each try (connecting is the POST's).
wait_for "$(tmo 20)" eval '[ "$(stat_get state)" = retrying ]' ||
    fail "state while the collector is down: $(stat_get state), not retrying"
seq 11 3000 | ctl write -t fwdtest || fail "write failed"
wait_for "$(tmo 20)" eval '[ "$(header_field head_seq)" = 3001 ]' ||
    fail "the daemon did not take every entry"
tail=$(header_field tail_seq)
[ "$tail" -gt 11 ] || fail "the ring did not wrap (tail $tail)"
note "tail at $tail: $((tail - 1)) entries overwritten unsent"

jr_start
wait_for "$(tmo 60)" eval '[ "$(cursor_seq)" = 3000 ]' ||
    fail "the cursor did not reach 3000 (at $(cursor_seq))"
kill -TERM "$FWD_PID"
wait_exit "$FWD_PID" "$(tmo 20)" || fail "mmlog-forward ignored SIGTERM"
untrack "$FWD_PID"
assert_eq "exit" 0 "$EXIT_CODE"

jr_json >"$T/j.json"
grep -v MMLOG_LOST_REASON "$T/j.json" | json_fields _MMLOG_SEQ MESSAGE >"$T/got"
first=$(head -n 1 "$T/got" | cut -f 1)
[ -n "$first" ] && [ "$first" -gt 1 ] && [ "$first" -le "$tail" ] ||
    fail "the journal's first entry is seq '$first', not one in 2..$tail"
[ "$first" = "$tail" ] || note "seqs $first..$((tail - 1)) were read before they were overwritten, and sent"
lost=$((first - 1))
assert_eq "lost in the stats" "$lost" "$(stat_get lost)"
grep -q "overwritten in the ring before they were forwarded; counted (lost=$lost)" \
    "$FWD_ERR" || fail "the loss is not in the forwarder's log"
grep '"MMLOG_LOST_REASON":"overwritten"' "$T/j.json" >"$T/notice"
assert_eq "notices in the journal" 1 "$(wc -l <"$T/notice")"
assert_eq "the notice" "$(printf '1\t%s\t4\tmmlog-forward' $lost)" \
    "$(json_fields MMLOG_LOST_FIRST MMLOG_LOST_COUNT PRIORITY SYSLOG_IDENTIFIER <"$T/notice")"
# Each entry's message is its seq: those sent before the ring's tail
# are whole too.
ring_seq_msg >"$T/want"
assert_eq "first entry in the ring" "$tail" "$(head -n 1 "$T/want" | cut -f 1)"
seq "$first" $((tail - 1)) | awk '{ print $1 "\t" $1 }' >"$T/want.before"
cat "$T/want.before" "$T/want" >"$T/want.all"
cmp -s "$T/want.all" "$T/got" || {
	diff "$T/want.all" "$T/got" | head -n 5 >&2
	fail "the journal is not the ring's entries"
}
jr_stop
stop_daemon
