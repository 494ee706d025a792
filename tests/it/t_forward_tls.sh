#!/bin/bash
# relp+tls://: rsyslogd's imrelp with TLS, both sides checking the other's
# certificate against a CA the test makes (openssl); the forwarder by
# default checks the collector's name (here given with --permitted-peer,
# as librelp matches DNS names, not the address in the URL).  Entries
# arrive in order; a forwarder that trusts another CA gets no session,
# sends nothing and leaves its cursor alone, saying why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fwd_lib.sh"

N=1000

# A CA, a server and a client certificate signed by it; another CA.
tls_certs
RS_INPUT_OPTS=$RS_TLS_OPTS
start_daemon --size 4M
rs_start
seq 1 $N | ctl write -t tlstest || fail "write failed"

# Another CA: the handshake fails, nothing moves.
"$MMLOGFWD" --to "relp+tls://127.0.0.1:$RS_PORT" --file "$RING" \
    --socket "$SOCK" --cursor-file "$T/cursor" --stats-file "$T/stats" \
    --ca "$T/otherca.pem" --cert "$T/clt.pem" --key "$T/clt.key" \
    --permitted-peer localhost --max-backoff 200 2>"$T/bad.err" &
bad=$!
track "$bad"
wait_for "$(tmo 20)" eval '[ "$(stat_get failures)" -ge 2 ] 2>/dev/null' ||
    fail "the forwarder with the wrong CA did not fail: $(tail -n 3 "$T/bad.err"; cat "$T/stats")"
kill -TERM "$bad"
wait_exit "$bad" "$(tmo 20)" || fail "mmlog-forward ignored SIGTERM"
untrack "$bad"
grep -q 'cannot connect to relp+tls://.*TLS' "$T/bad.err" ||
    fail "no TLS reason given: $(head -n 2 "$T/bad.err")"
[ -e "$T/cursor" ] && fail "a cursor was written without a session"
assert_eq "lines from the refused forwarder" 0 "$(out_count)"

# The right CA: everything, in order.
FWD_SCHEME=relp+tls
fwd_start --ca "$T/ca.pem" --cert "$T/clt.pem" --key "$T/clt.key" \
    --permitted-peer localhost --once
fwd_wait_exit
ring_seq_msg >"$T/want"
out_lines | cut -f 2,3 >"$T/got"
cmp -s "$T/want" "$T/got" || fail "rsyslog's file differs from the ring"
assert_eq "cursor" "$N" "$(cursor_seq)"
rs_stop
stop_daemon
