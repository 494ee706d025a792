#!/bin/bash
# tcp://: plain TCP syslog with RFC 6587 octet counting, to rsyslogd's
# imtcp.  Every entry arrives in order, and an entry whose message holds
# a newline stays one message (the framing counts octets, it does not
# look for line ends).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fwd_lib.sh"

N=2000
RS_TCP_PORT=$("$HELPERS/tcpport" free) || fail "no free TCP port"
[ "$RS_TCP_PORT" != "$RS_PORT" ] || RS_TCP_PORT=$("$HELPERS/tcpport" free)
start_daemon --size 4M
rs_start
ctl write -t nl "$(printf 'two\nlines')" || fail "write failed"
seq 1 $N | ctl write -t tcptest || fail "write failed"
"$MMLOGFWD" --to "tcp://127.0.0.1:$RS_TCP_PORT" --file "$RING" \
    --socket "$SOCK" --cursor-file "$T/cursor" --stats-file "$T/stats" \
    --once 2>"$T/fwd.err" || fail "mmlog-forward exited $?: $(tail -n 2 "$T/fwd.err")"
assert_eq "cursor" "$((N + 1))" "$(cursor_seq)"
# Nothing acknowledges TCP: wait for rsyslog to write what it took.
wait_for "$(tmo 20)" eval '[ "$(out_count)" -ge $((N + 1)) ]' ||
    fail "rsyslog wrote $(out_count) lines, not $((N + 1))"
head -n 1 "$RS_OUT" | grep -q 'seq="1".*\] two#012lines$' ||
    fail "the message with a newline: $(head -n 1 "$RS_OUT")"
ring_seq_msg | tail -n +2 >"$T/want"
out_lines | tail -n +2 | cut -f 2,3 >"$T/got"
cmp -s "$T/want" "$T/got" || fail "rsyslog's file differs from the ring"
assert_eq "lines" "$((N + 1))" "$(out_count)"
rs_stop
stop_daemon
