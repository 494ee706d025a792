#!/bin/bash
# systemd/mmlog-forward@.service.in, made as `make install` makes it:
#   - systemd-analyze verify accepts an instance of it;
#   - systemd-analyze security --offline=yes rates its exposure at most
#     2.0 ("OK" or better);
#   - its SystemCallFilter= lets mmlog-forward do its work: real
#     forwarders, under strace, send a ring's entries to rsyslogd over
#     RELP, RELP with TLS and plain TCP, and to systemd-journal-remote
#     over HTTP and HTTPS (libcurl, its resolver thread included)
#     (--once), and every system call they made (threads included) must
#     be in the set the unit allows.
#     Under a sanitizer build the runtime's own calls would not be the
#     forwarder's: that part is left out there.
# Needs no running systemd.  Skipped only where systemd-analyze lacks
# --offline (systemd < 250).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fwd_lib.sh"

REPO=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$T/units"
UNIT=$T/units/mmlog-forward@it.service
sed -e "s|@BINDIR@|$IT_BUILD|g" "$REPO/systemd/mmlog-forward@.service.in" >"$UNIT"
unit_rate "$T/units" mmlog-forward@it.service

grep -q __asan_init "$MMLOGFWD" && { note "sanitizer build: no syscall check"; exit 0; }
command -v strace >/dev/null || fail "strace is not installed (tests/deps.sh)"

N=300
tls_certs
RS_INPUT_OPTS=$RS_TLS_OPTS
RS_TCP_PORT=$("$HELPERS/tcpport" free) || fail "no free TCP port"
[ "$RS_TCP_PORT" != "$RS_PORT" ] || RS_TCP_PORT=$("$HELPERS/tcpport" free)
start_daemon --size 4M
rs_start
seq 1 $N | ctl write -t unit || fail "write failed"

# forward KIND URL [OPTIONS...]: one forwarder under strace, --once.
forward() {
	local kind=$1 url=$2
	shift 2
	strace -ff -qq -o "$T/trace.$kind" "$MMLOGFWD" --to "$url" \
	    --file "$RING" --socket "$SOCK" --cursor-file "$T/cursor.$kind" \
	    --stats-file "$T/stats.$kind" --once "$@" 2>"$T/fwd.$kind.err" ||
	    fail "mmlog-forward over $kind under strace: $(tail -n 3 "$T/fwd.$kind.err")"
	assert_eq "cursor after forwarding over $kind" "$N" \
	    "$(cursor_seq "$T/cursor.$kind")"
}
forward tls "relp+tls://127.0.0.1:$RS_PORT" --ca "$T/ca.pem" \
    --cert "$T/clt.pem" --key "$T/clt.key" --permitted-peer localhost
forward tcp "tcp://127.0.0.1:$RS_TCP_PORT"
rs_stop
RS_INPUT_OPTS=
rs_start
forward relp "relp://127.0.0.1:$RS_PORT"
wait_for "$(tmo 20)" eval '[ "$(out_count)" -ge $((3 * N)) ]' ||
    fail "rsyslog wrote $(out_count) lines, not $((3 * N))"
rs_stop
jr_need
jr_start
forward http "http://localhost:$JR_PORT"
jr_stop
jr_start https
forward https "https://localhost:$JR_PORT" --ca "$T/ca.pem" \
    --cert "$T/clt.pem" --key "$T/clt.key"
assert_eq "entries in the journals" $((2 * N)) "$(jr_count)"
jr_stop
stop_daemon

calls_allowed "$UNIT" "$MMLOGFWD" "$T"/trace.*
exit 0
