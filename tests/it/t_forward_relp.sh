#!/bin/bash
# mmlog-forward follows the ring live and forwards 100,000 entries over
# RELP to a real rsyslogd: every one is in rsyslog's file, once, in
# order, with its seq, the ring's id and its message; the cursor file
# names the last one.  Structured data is escaped as RFC 5424 says.
# Bad invocations are refused with a clear error and change nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fwd_lib.sh"

N=100000
start_daemon --size 32M
rs_start

# Refusals first: nothing may be sent, no cursor written.
"$MMLOGFWD" --to "udp://127.0.0.1:$RS_PORT" --cursor-file "$T/cursor" \
    --file "$RING" 2>"$T/bad.err"
assert_eq "exit for a bad URL" 2 "$?"
grep -q "invalid destination 'udp://" "$T/bad.err" || fail "no reason given"
"$MMLOGFWD" --to "relp://127.0.0.1:$RS_PORT" --file "$RING" 2>"$T/bad.err"
assert_eq "exit without --cursor-file" 2 "$?"
"$MMLOGFWD" --to "relp://127.0.0.1:$RS_PORT" --cursor-file "$T/cursor" \
    --file "$RING" --window 1 2>"$T/bad.err"
assert_eq "exit for --window 1" 2 "$?"
echo 's=00000000000000000000000000000000;i=5' >"$T/foreign"
"$MMLOGFWD" --to "relp://127.0.0.1:$RS_PORT" --cursor-file "$T/foreign" \
    --file "$RING" --once 2>"$T/bad.err"
assert_eq "exit for another ring's cursor" 1 "$?"
grep -q "from another ring" "$T/bad.err" || fail "no reason for the cursor"
assert_eq "foreign cursor untouched" 's=00000000000000000000000000000000;i=5' \
    "$(cat "$T/foreign")"
[ -e "$T/cursor" ] && fail "a refused run wrote a cursor"
[ -s "$RS_OUT" ] && fail "a refused run sent something"

# One entry whose structured data needs escaping, then N plain ones,
# written while the forwarder follows.
ctl write -t esc -F 'QUOTE=a"b]c\d' -F 'LONG_FIELD_NAME_OF_MORE_THAN_32_BYTES=v' \
    'first entry' || fail "write failed"
fwd_start
seq 1 $N | ctl write -t fwdtest || fail "write failed"
last=$((N + 1))
wait_for "$(tmo 60)" eval '[ "$(cursor_seq)" = '"$last"' ]' ||
    fail "cursor did not reach seq $last (at $(cursor_seq))"
kill -TERM "$FWD_PID"
wait_exit "$FWD_PID" "$(tmo 20)" || fail "mmlog-forward ignored SIGTERM"
untrack "$FWD_PID"
assert_eq "exit on SIGTERM" 0 "$EXIT_CODE"

# Every entry, once, in order, with its seq and message.
ring_seq_msg >"$T/want"
assert_eq "entries in the ring" "$last" "$(wc -l <"$T/want")"
out_lines | cut -f 2,3 >"$T/got"
cmp -s "$T/want" "$T/got" || {
	diff "$T/want" "$T/got" | head -n 5 >&2
	fail "rsyslog's file differs from the ring"
}
ring_id=$(sed -n 's/^s=\([0-9a-f]*\);.*/\1/p' "$T/cursor")
assert_eq "lines with the ring id" "$last" \
    "$(grep -c "ring=\"$ring_id\"" "$RS_OUT")"
assert_eq "cursor" "s=$ring_id;i=$(printf %x $last)" "$(cat "$T/cursor")"
grep -q 'QUOTE="a\\"b\\]c\\\\d" field="LONG_FIELD_NAME_OF_MORE_THAN_32_BYTES=v"\] first entry$' \
    "$RS_OUT" || fail "structured data not escaped: $(head -n 1 "$RS_OUT")"
assert_eq "lost" 0 "$(stat_get lost)"
assert_eq "failures" 0 "$(stat_get failures)"
assert_eq "confirmed" "$last" "$(stat_get confirmed)"

# Started again, it has nothing to send; a new entry goes alone.
ctl write -t fwdtest "one more" || fail "write failed"
fwd_start --once
fwd_wait_exit
assert_eq "lines after a restart" "$((last + 1))" "$(wc -l <"$RS_OUT")"
tail -n 1 "$RS_OUT" | grep -q "seq=\"$((last + 1))\".* one more$" ||
    fail "the new entry is not the last line"
rs_stop
stop_daemon
