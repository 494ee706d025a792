#!/bin/bash
# A poison entry: one the collector refuses again and again.  The
# forwarder finds which (it sends what was in flight one at a time),
# tries it alone --max-tries times, then skips it: counted (refused= in
# the stats), logged, announced to the collector in its place (a notice
# with reason="refused", first= its seq, count="1"), and every other
# entry arrives.  Three collectors:
#   - rsyslogd whose imrelp takes at most 2k (maxDataSize, oversizeMode
#     "abort"): it drops the session at the large entry, a transport
#     that cannot carry it;
#   - tests/it/refuser over RELP, answering "500 refused" to it;
#   - tests/it/refuser over HTTP, answering "400 Bad Request" to the
#     POST that holds it.
# A collector that refuses everything makes the forwarder wait, not
# skip: the notice that would replace the entry is refused as well.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fwd_lib.sh"

TRIES=3
start_daemon --size 4M
seq 1 100 | ctl write -t poison || fail "write failed"
ctl write -t poison "big $(head -c 3000 /dev/zero | tr '\0' x)" || fail "write"
seq 101 200 | ctl write -t poison || fail "write failed"
ring_id=$(ctl show -n 1 --show-cursor 2>/dev/null | sed -n 's/.*s=\([0-9a-f]*\);.*/\1/p' | head -n 1)
[ ${#ring_id} = 32 ] || fail "no ring id"
notice="mmlogLost@32473 ring=\"$ring_id\" first=\"101\" count=\"1\" reason=\"refused\""

# run_once NAME URL: mmlog-forward --once with its own cursor and stats.
run_once() {
	timeout "$(tmo 60)" "$MMLOGFWD" --to "$2" --file "$RING" --socket "$SOCK" \
	    --cursor-file "$T/cursor.$1" --stats-file "$T/stats.$1" --once \
	    --max-tries $TRIES --max-backoff 200 2>"$T/fwd.$1.err" ||
	    fail "mmlog-forward to $1 exited $?: $(tail -n 3 "$T/fwd.$1.err")"
	assert_eq "$1: cursor" 201 "$(cursor_seq "$T/cursor.$1")"
	assert_eq "$1: refused" 1 "$(awk -F= '$1 == "refused" { print $2 }' "$T/stats.$1")"
	assert_eq "$1: confirmed" 200 "$(awk -F= '$1 == "confirmed" { print $2 }' "$T/stats.$1")"
	grep -q "refused seq 101 $TRIES times; skipping it, and telling the collector (refused=1)" \
	    "$T/fwd.$1.err" || fail "$1: the skip is not in the forwarder's log"
	assert_eq "$1: tries logged" "$TRIES" \
	    "$(grep -c "seq 101 ([0-9]* of $TRIES tries before it is skipped)" "$T/fwd.$1.err")"
}

# every_entry_but_101 FILE: FILE's "SEQ<TAB>MESSAGE" lines hold every
# entry but seq 101 at least once, and none that is not in the ring.
every_entry_but_101() {
	ring_seq_msg | awk -F '\t' '$1 != 101' >"$T/want"
	sort -u "$1" | sort -n >"$T/got"
	cmp -s "$T/want" "$T/got" ||
	    fail "$1: not every entry but 101: $(diff "$T/want" "$T/got" | head -n 4)"
}

# rsyslogd that cannot take the large entry.
cat >"$T/rsyslog.conf" <<EOF
global(workDirectory="$T/rs.work" maxMessageSize="2k")
module(load="imrelp")
input(type="imrelp" address="127.0.0.1" port="$RS_PORT" ruleset="fwd"
    maxDataSize="2k" oversizeMode="abort")
ruleset(name="fwd" queue.type="Direct") {
	action(type="omfile" file="$RS_OUT"
	    template="RSYSLOG_SyslogProtocol23Format")
}
EOF
mkdir -p "$T/rs.work"
"$RSYSLOGD" -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" \
    >>"$LOGS/rsyslogd.err" 2>&1 </dev/null &
RS_PID=$!
track "$RS_PID"
wait_for "$(tmo 20)" "$HELPERS/tcpport" up "$RS_PORT" || fail "rsyslogd did not listen"
run_once rsyslog "relp://127.0.0.1:$RS_PORT"
grep -q 'dropped the session at seq 101' "$T/fwd.rsyslog.err" ||
    fail "rsyslog: the forwarder did not see the session dropped"
grep -q "$notice" "$RS_OUT" || fail "rsyslog: the collector was not told of the skip"
out_lines | awk -F '\t' '$2 != "-"' | cut -f 2,3 >"$T/rs.lines"
every_entry_but_101 "$T/rs.lines"
# rsyslogd drops everything after the entry it cannot take: nothing
# arrived twice.
assert_eq "rsyslog: lines" 201 "$(wc -l <"$RS_OUT")"
rs_stop

# The refuser, over RELP and over HTTP.
for proto in relp http; do
	port=$("$HELPERS/tcpport" free) || fail "no free TCP port"
	"$HELPERS/refuser" $proto "$port" "$T/ref.$proto" "big xxxx" \
	    2>"$T/refuser.$proto.err" &
	ref=$!
	track "$ref"
	wait_for "$(tmo 20)" "$HELPERS/tcpport" up "$port" || fail "refuser did not listen"
	run_once $proto "$proto://127.0.0.1:$port"
	# Refused once among the others, then alone TRIES times.
	assert_eq "$proto: refusals" $((TRIES + 1)) "$(wc -l <"$T/ref.$proto.refusals")"
	kill "$ref"
	wait "$ref" 2>/dev/null
	untrack "$ref"
done
grep -q "$notice" "$T/ref.relp" || fail "relp: the collector was not told of the skip"
out_lines "$T/ref.relp" | awk -F '\t' '$2 != "-"' | cut -f 2,3 >"$T/relp.lines"
every_entry_but_101 "$T/relp.lines"
# HTTP: the bodies as posted, in the Journal Export Format.
grep -aq '^MMLOG_LOST_REASON=refused$' "$T/ref.http" &&
    grep -aq '^MMLOG_LOST_FIRST=101$' "$T/ref.http" &&
    grep -aq '^MMLOG_LOST_COUNT=1$' "$T/ref.http" &&
    grep -aq "^MMLOG_RING=$ring_id\$" "$T/ref.http" ||
    fail "http: the collector was not told of the skip"
awk '/^__CURSOR=/ { split($0, a, "i="); s = strtonum("0x" a[2]) }
     /^MESSAGE=/ { print s "\t" substr($0, 9) }' "$T/ref.http" |
    grep -v 'entry from seq 101 skipped' >"$T/http.lines"
every_entry_but_101 "$T/http.lines"

# A collector that refuses everything: nothing is skipped, the cursor
# stays, and the forwarder keeps trying.
port=$("$HELPERS/tcpport" free) || fail "no free TCP port"
"$HELPERS/refuser" relp "$port" "$T/ref.all" "<" 2>"$T/refuser.all.err" &
ref=$!
track "$ref"
wait_for "$(tmo 20)" "$HELPERS/tcpport" up "$port" || fail "refuser did not listen"
"$MMLOGFWD" --to "relp://127.0.0.1:$port" --file "$RING" --socket "$SOCK" \
    --cursor-file "$T/cursor.all" --stats-file "$T/stats.all" \
    --max-tries 2 --max-backoff 100 2>"$T/fwd.all.err" </dev/null &
fwd=$!
track "$fwd"
wait_for "$(tmo 30)" eval '[ "$(grep -c "skipping it" "$T/fwd.all.err")" -ge 1 ] &&
    [ "$(awk -F= '"'"'$1 == "failures" { print $2 }'"'"' "$T/stats.all")" -ge 8 ] 2>/dev/null' ||
    fail "the forwarder did not keep trying: $(tail -n 3 "$T/fwd.all.err")"
kill -TERM "$fwd"
wait_exit "$fwd" "$(tmo 20)" || fail "mmlog-forward ignored SIGTERM"
untrack "$fwd"
[ -e "$T/cursor.all" ] && fail "a collector refusing everything moved the cursor to $(cursor_seq "$T/cursor.all")"
assert_eq "skips with a collector refusing everything" 1 \
    "$(awk -F= '$1 == "refused" { print $2 }' "$T/stats.all")"
[ -s "$T/ref.all" ] && fail "the refuser took something"
stop_daemon
