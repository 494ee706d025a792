#!/bin/bash
# Real syslog senders into --syslog-socket, none of them ours: logger in
# its default format on a Unix socket, --rfc3164 and --rfc5424 (with
# structured data), Python's logging.handlers.SysLogHandler, and a C
# program calling syslog(3), whose /dev/log is mmlogd's socket in a
# mount namespace of its own.  Each entry arrives with the sender's
# kernel pid (the pid it claims too, SYSLOG_PID), its comm, identifier,
# priority and facility, as mmlogctl show -o json shows them; an entry
# over --max-entry is stored cut with MMLOG_ORIGINAL_SIZE and counted.
. "$(dirname "$0")/lib.sh"

need_ctl
SL=$T/syslog.sock
start_daemon --size 4M --max-entry 1024 --syslog-socket "$SL"
assert_eq "syslog socket mode" 666 "$(stat -c %a "$SL")"
logger -u "$SL" -i -t lg1 -p local3.err "default format" ||
    fail "logger (default format)"
logger -u "$SL" --rfc3164 -i -t lg2 -p user.warning "rfc3164: colon [x]" ||
    fail "logger --rfc3164"
logger -u "$SL" --rfc5424 -i -t lg3 -p daemon.notice --msgid M7 \
    --sd-id 'ex@32473' --sd-param 'k="v"' "rfc5424 format" ||
    fail "logger --rfc5424"
python3 - "$SL" <<'EOP' || fail "Python's SysLogHandler"
import logging, logging.handlers, sys
h = logging.handlers.SysLogHandler(address=sys.argv[1],
    facility=logging.handlers.SysLogHandler.LOG_LOCAL1)
h.setFormatter(logging.Formatter('%(name)s[%(process)d]: %(message)s'))
log = logging.getLogger('pyapp')
log.addHandler(h)
log.warning('from python')
log.error('python error')
# Alive until it is stored: its comm is read from /proc.
import time
time.sleep(1)
EOP
# syslog(3): in a mount namespace, a tmpfs /dev holding /dev/null and a
# /dev/log onto which the socket is bind-mounted.
mkdir "$T/olddev"
unshare -m --propagation private sh -c '
	mount --bind /dev "$1/olddev" &&
	mount -t tmpfs -o mode=0755 tmpfs /dev &&
	touch /dev/null /dev/log &&
	mount --bind "$1/olddev/null" /dev/null &&
	mount --bind "$2" /dev/log &&
	exec "$3" ctest 3' sh "$T" "$SL" "$HELPERS/syslogc" \
    >"$T/cpid" 2>"$T/c.err" || fail "syslog(3) program: $(cat "$T/c.err")"
cpid=$(cat "$T/cpid")
big=$(head -c 3000 /dev/zero | tr '\0' 'b')
logger -u "$SL" --size 4000 -i -t lgbig "$big" || fail "logger of 3000 bytes"
wait_for "$(tmo 10)" stats_is syslog_entries 10 ||
    fail "syslog entries: $(stats_field syslog_entries) of 10"

ctl --file "$RING" show -o json >"$T/all.json" || fail "show -o json"
# TAG PRIORITY FACILITY _PID SYSLOG_PID _COMM _TRANSPORT MESSAGE
json_fields SYSLOG_IDENTIFIER PRIORITY SYSLOG_FACILITY _PID SYSLOG_PID \
    _COMM _TRANSPORT MESSAGE <"$T/all.json" >"$T/got"
awk -F '\t' -v cpid="$cpid" '
$7 != "syslog" { print "not _TRANSPORT=syslog:", $0; exit 1 }
# The cut entry keeps its message first (mml_ent_fit()): no SYSLOG_PID.
$1 != "lgbig" && $4 != $5 { print "kernel pid and claimed pid differ:", $0; exit 1 }
# A sender gone before the daemon reads /proc/PID/comm has none ("-").
$6 == "-" && ($1 ~ /^lg/) { $6 = "logger" }
$1 == "lg1" { if ($2 != 3 || $3 != 19 || $6 != "logger" || $8 != "default format") { print; exit 1 } n++ }
$1 == "lg2" { if ($2 != 4 || $3 != 1 || $8 != "rfc3164: colon [x]") { print; exit 1 } n++ }
$1 == "lg3" { if ($2 != 5 || $3 != 3 || $8 != "rfc5424 format") { print; exit 1 } n++ }
$1 == "pyapp" { if ($3 != 17 || $6 != "python3" || ($2 != 4 && $2 != 3)) { print; exit 1 } n++ }
$1 == "ctest" { if ($4 != cpid || $3 != 18 || $6 != "syslogc" || ($2 != 4 && $2 != 2)) { print; exit 1 } n++ }
$1 == "lgbig" { if ($6 != "logger") { print; exit 1 } n++ }
END { if (n != 10) { print "entries:", n; exit 1 } }' "$T/got" >"$T/why" ||
    fail "entries: $(cat "$T/why")"
grep '"SYSLOG_IDENTIFIER":"lg3"' "$T/all.json" | grep -q '"SD_EX_32473_K":"v"' ||
    fail "RFC 5424 structured data not stored as a field"
grep '"SYSLOG_IDENTIFIER":"lg3"' "$T/all.json" | grep -q '"SYSLOG_MSGID":"M7"' ||
    fail "RFC 5424 MSGID not stored"
assert_eq "syslog(3) priorities" "4 4 4 2" \
    "$(awk -F '\t' '$1 == "ctest" { printf "%s%s", s, $2; s = " " }' "$T/got")"
orig=$(grep '"SYSLOG_IDENTIFIER":"lgbig"' "$T/all.json" | json_fields MMLOG_ORIGINAL_SIZE)
[ "$orig" -gt 3000 ] || fail "the 3000-byte entry: MMLOG_ORIGINAL_SIZE '$orig'"
len=$(grep '"SYSLOG_IDENTIFIER":"lgbig"' "$T/all.json" | json_fields MESSAGE | tr -d '\n' | wc -c)
[ "$len" -lt 1024 ] || fail "the 3000-byte entry was stored with $len bytes"
assert_eq "counted as cut" 1 "$(stats_field syslog_truncated)"
assert_eq "no peer error" 0 "$(stats_field syslog_errors)"
stop_daemon
[ -e "$SL" ] && fail "the syslog socket was left behind"
note "logger x3, Python, syslog(3) and a cut entry: pids, tags, priorities and facilities right"
exit 0
