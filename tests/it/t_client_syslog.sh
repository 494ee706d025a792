#!/bin/bash
# The syslog(3)-like calls: mmlog_syslog() without mmlog_openlog() opens
# the process-wide handle itself (tag: the program's name);
# mmlog_openlog() sets the tag and facility (SYSLOG_FACILITY), a facility
# ORed into the priority wins, mmlog_closelog() flushes a batching handle.
# Each (re)open is a new connection, and the daemon does not order
# entries across connections: compare sorted.
. "$(dirname "$0")/lib.sh"

start_daemon --size 8M
timeout -k 2 "$(tmo 30)" "$HELPERS/clientx" -s "$SOCK" syslog \
    2>"$T/sl.err" || fail "clientx syslog: $(cat "$T/sl.err")"
ctl --file "$RING" show -o json >"$T/show.json" || fail "mmlogctl show"
json_fields SYSLOG_IDENTIFIER PRIORITY SYSLOG_FACILITY MESSAGE \
    <"$T/show.json" | sort >"$T/shown"
printf '%s\n' "clientx	5	-	lazy 1" "sl	4	16	hello world 42" \
    "sl	3	4	auth 2" "sl2	7	-	batched 3" | sort >"$T/want"
diff "$T/want" "$T/shown" >"$T/diff" || fail "entries differ: $(cat "$T/diff")"
stop_daemon
