#!/bin/bash
# Hostile peers on the syslog, journal and stdout sockets (intakepeer),
# while a good client logs: random bytes, the largest datagram the
# kernel takes, 2000 senders of one datagram each, 100 streams that
# never end their header, a stream that never ends its line (a
# megabyte), 400 streams where 300 are allowed.  The daemon keeps
# serving, counts what it refused, stays small, and the ring holds
# exactly the entries each socket's rules make of what was sent: every
# syslog datagram is an entry (journald's rule, however malformed), a
# journal payload that never ends a field is none (and each is counted
# as an error), the largest
# datagrams and the endless line are stored cut with their size.
. "$(dirname "$0")/lib.sh"

need_ctl
SL=$T/syslog.sock
JS=$T/journal.sock
SS=$T/stdout.sock
peer() {
	timeout -k 2 "$(tmo 120)" "$HELPERS/intakepeer" "$@"
}
start_daemon --size 32M --syslog-socket "$SL" --journal-socket "$JS" \
    --stdout-socket "$SS" --max-streams 300 --idle-timeout 2

peer good "$SL" 500 >"$T/good1" 2>&1 &
g1=$!
track $g1
peer random "$SL" 2000 >"$T/r1" 2>&1 || fail "random syslog: $(cat "$T/r1")"
peer -n random "$JS" 2000 >"$T/r2" 2>&1 || fail "random journal: $(cat "$T/r2")"
peer max "$SL" >"$T/m1" 2>&1 || fail "max syslog: $(cat "$T/m1")"
peer -j max "$JS" >"$T/m2" 2>&1 || fail "max journal: $(cat "$T/m2")"
peer senders "$SL" 2000 >"$T/s" 2>&1 || fail "senders: $(cat "$T/s")"
wait $g1 || fail "the good client: $(cat "$T/good1")"
alive "$DPID" || fail "mmlogd died"
note "largest datagrams: $(cat "$T/m1" "$T/m2" | tr '\n' ' ')"

# Streams: headers that never end (closed after --idle-timeout), then a
# line that never ends, then more streams than allowed.
peer -w 5 noheader "$SS" 100 >"$T/nh" 2>&1 || fail "noheader: $(cat "$T/nh")"
wait_for "$(tmo 10)" stats_is stdout_errors 100 ||
    fail "stdout errors after the endless headers: $(stats_field stdout_errors)"
peer noline "$SS" 1000000 >"$T/nl" 2>&1 || fail "noline: $(cat "$T/nl")"
# Refusals pause accepting for 100 ms each: the others wait their turn.
peer -w 2 streams "$SS" 400 >"$T/st" 2>&1 || fail "streams: $(cat "$T/st")"
closed=$(sed -n 's/^streams 400 closed //p' "$T/st")
[ -n "$closed" ] && [ "$closed" -ge 10 ] || fail "streams: $(cat "$T/st")"
peer good "$SL" 10 >/dev/null 2>&1 || fail "the good client afterwards"
# Each of the 400 is a line stored or a refusal counted.
settled() {
	ctl --file "$RING" show -o json -t streams >"$T/streams.json" &&
	    [ $(($(wc -l <"$T/streams.json") + $(stats_field stdout_errors))) = 500 ]
}
wait_for "$(tmo 30)" settled || fail "streams: $(wc -l <"$T/streams.json") stored," \
    "$(($(stats_field stdout_errors) - 100)) refused, of 400"
refused=$(($(stats_field stdout_errors) - 100))
[ "$refused" -ge "$closed" ] && [ "$refused" -le 100 ] ||
    fail "streams refused: $refused (closed while open: $closed)"
alive "$DPID" || fail "mmlogd died"

# syslog: 500 + 2000 + 1 + 2000 + 10; journal: the largest one only;
# stdout: the endless line in 48 KiB parts, and the streams let in.
wait_for "$(tmo 20)" stats_is syslog_entries 4511 ||
    fail "syslog entries: $(stats_field syslog_entries) of 4511"
assert_eq "journal entries" 1 "$(stats_field journal_entries)"
assert_eq "journal payloads refused" 2000 "$(stats_field journal_errors)"
assert_eq "journal datagrams cut" 1 "$(stats_field journal_truncated)"
ctl --file "$RING" show -o json >"$T/all.json" || fail "show -o json"
# The largest datagram is cut, and so may be a random one (a tag of
# more than 255 bytes): the count is what the ring holds marked cut.
cut=$(grep -F '"_TRANSPORT":"syslog"' "$T/all.json" |
    grep -c -F '"MMLOG_ORIGINAL_SIZE"')
[ "$cut" -ge 1 ] || fail "no syslog entry marked cut"
assert_eq "syslog datagrams cut" "$cut" "$(stats_field syslog_truncated)"
tag() { grep "\"SYSLOG_IDENTIFIER\":\"$1\"" "$T/all.json"; }
assert_eq "good entries" 510 "$(tag good | wc -l)"
assert_eq "one entry per sender" 2000 "$(tag sender | wc -l)"
assert_eq "2000 senders, 2000 kernel pids" 2000 \
    "$(tag sender | json_fields _PID | sort -u | wc -l)"
[ "$(tag sender | json_fields _PID SYSLOG_PID | awk '$1 == 0' | wc -l)" = 0 ] ||
    fail "a sender without its pid"
nl=$(tag noline | wc -l)
assert_eq "the endless line: parts of 48 KiB" 21 "$nl"
assert_eq "streams let in" $((400 - refused)) "$(tag streams | wc -l)"
grep -q '"MMLOG_ORIGINAL_SIZE"' <(tag maxdgram) || fail "the largest syslog datagram is not marked cut"

# Small: the daemon's own memory, the map aside.
rss=$(awk '/^Rss:/ { s += $2 } END { print s }' "/proc/$DPID/smaps_rollup")
anon=$(awk '/^Anonymous:/ { print $2 }' "/proc/$DPID/smaps_rollup")
[ "$anon" -lt 65536 ] || fail "mmlogd holds $anon KiB of anonymous memory"
note "rss $rss KiB, of which $anon KiB anonymous, after all that"
stop_daemon
exit 0
