#!/bin/bash
# mmlogctl write with logger(1)'s spelling: -p facility.level (PRIORITY,
# and SYSLOG_FACILITY when a facility is named; kern is user, as logger
# has it), -t, -i (the pid is _PID already: nothing more), --id=ID (kept
# as MMLOG_ID, the tag untouched), -s (the message also on stderr, in
# logger's form), -e (empty lines skipped), -f FILE, --sd-id and
# --sd-param (the fields the syslog intake makes of structured data),
# --timeout; and what logger refuses is a usage error.
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 1M
last() { ctl --file "$RING" show -n "${2:-1}" -o json -t "$1"; }

ctl write -t fac -p local3.warning "facility and level" || fail "write -p local3.warning"
assert_eq "-p local3.warning" "$(printf '4\t19')" "$(last fac | json_fields PRIORITY SYSLOG_FACILITY)"
ctl write -t fac2 -p daemon.err "x" || fail "write"
assert_eq "-p daemon.err" "$(printf '3\t3')" "$(last fac2 | json_fields PRIORITY SYSLOG_FACILITY)"
ctl write -t fac3 -p kern.crit "x" || fail "write"
assert_eq "-p kern.crit: kern is user" "$(printf '2\t1')" "$(last fac3 | json_fields PRIORITY SYSLOG_FACILITY)"
ctl write -t fac4 -p 128.6 "x" || fail "write"
assert_eq "-p 128.6 (LOG_LOCAL0's number)" "$(printf '6\t16')" "$(last fac4 | json_fields PRIORITY SYSLOG_FACILITY)"
ctl write -t lvl -p warn "x" || fail "write"
assert_eq "-p warn, no facility: none stored" "$(printf '4\t-')" "$(last lvl | json_fields PRIORITY SYSLOG_FACILITY)"
ctl write -t lvl2 "x" || fail "write"
assert_eq "no -p: notice" 5 "$(last lvl2 | json_fields PRIORITY)"

ctl write -t pid -i "with -i" || fail "write -i"
assert_eq "-i: nothing more than _PID" "-" "$(last pid | json_fields MMLOG_ID)"
ctl write -t pid2 --id "with --id" || fail "write --id"
assert_eq "--id: the tag is kept" "pid2" "$(last pid2 | json_fields SYSLOG_IDENTIFIER)"
ctl write -t pid3 --id=4242 "with --id=4242" || fail "write --id=4242"
assert_eq "--id=4242" "$(printf 'pid3\t4242')" "$(last pid3 | json_fields SYSLOG_IDENTIFIER MMLOG_ID)"

# -s: logger's line on stderr, and the entry.
"$MMLOGCTL" write -t serr -p local3.warning --id=77 -s "to both" 2>"$T/s.err" ||
    fail "write -s"
grep -Eq '^<156>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} serr\[77\]: to both$' "$T/s.err" ||
    fail "-s: stderr has '$(cat "$T/s.err")'"
assert_eq "-s: the entry too" "to both" "$(last serr | json_fields MESSAGE)"

# stdin and -f FILE, with and without -e.
printf 'a\n\nb\n' | ctl write -t in1 || fail "write stdin"
assert_eq "stdin: one entry per line, empty included" "a||b|" \
    "$(ctl --file "$RING" show -t in1 -o cat | tr '\n' '|')"
printf 'a\n\nb\n' | ctl write -t in2 -e || fail "write -e"
assert_eq "stdin -e" "a|b|" "$(ctl --file "$RING" show -t in2 -o cat | tr '\n' '|')"
printf 'one\n\ntwo' >"$T/f"
ctl write -t in3 -f "$T/f" || fail "write -f"
assert_eq "-f FILE" "one||two|" "$(ctl --file "$RING" show -t in3 -o cat | tr '\n' '|')"
ctl write -t in4 --file "$T/f" --skip-empty || fail "write --file --skip-empty"
assert_eq "--file FILE --skip-empty" "one|two|" "$(ctl --file "$RING" show -t in4 -o cat | tr '\n' '|')"

# Structured data, as the syslog intake names it.
ctl write -t sd --sd-id zoo@123 --sd-param 'tiger="hungry"' \
    --sd-param 'zebra="run \"fast\" \] \\ now"' --sd-id meta --sd-param 'language="en"' \
    -F KEY=v "with structured data" || fail "write --sd-id"
assert_eq "--sd-id/--sd-param" "$(printf 'hungry\trun \\"fast\\" ] \\\\ now\ten\tv')" \
    "$(last sd | json_fields SD_ZOO_123_TIGER SD_ZOO_123_ZEBRA SD_META_LANGUAGE KEY)"

# --timeout takes a number of seconds.
ctl write -t tmo --timeout 5 "with a timeout" || fail "write --timeout"
assert_eq "--timeout" "with a timeout" "$(last tmo | json_fields MESSAGE)"

# A line larger than a packet may be is cut to what one entry carries
# (the daemon cuts it further to --max-entry), with a warning, and the
# lines after it are logged: logger(1) cuts at its --size.  (It failed
# with "Message too long" and logged nothing more.)
{ head -c 100000 /dev/zero | tr '\0' L; printf '\nafter the long line\n'; } |
    "$MMLOGCTL" write -t long 2>"$T/long.err"
assert_eq "a line too long for a packet: exit status" 0 "$?"
grep -q "line 1: 100000 bytes, cut to" "$T/long.err" ||
    fail "no warning of the cut line: $(cat "$T/long.err")"
assert_eq "the line after it" "after the long line" "$(last long | json_fields MESSAGE)"
last long 2 | head -n 1 | json_fields MESSAGE | grep -Eq '^L{1000,}$' ||
    fail "the long line was not logged, cut"
"$MMLOGCTL" write -t longarg "$(head -c 70000 /dev/zero | tr '\0' A)" \
    2>"$T/long.err"
assert_eq "a message too long for a packet: exit status" 0 "$?"
grep -q "message of 70000 bytes cut to" "$T/long.err" ||
    fail "no warning of the cut message: $(cat "$T/long.err")"
last longarg | json_fields MESSAGE | grep -Eq '^A{1000,}$' ||
    fail "the long message was not logged, cut"

expect2() {
	"$MMLOGCTL" write "$@" </dev/null >"$T/u.out" 2>"$T/u.err"
	rc=$?
	[ "$rc" = 2 ] || fail "write $*: exit $rc, expected 2 ($(cat "$T/u.err"))"
	[ -s "$T/u.err" ] || fail "write $*: no message"
}
expect2 -p local9.info x
expect2 -p user.bogus x
expect2 -p 134 x
expect2 -p 8 x
expect2 -p 3.info x
expect2 --id=abc x
expect2 --id= x
expect2 --sd-param 'a="b"' x
expect2 --sd-id zoo --sd-param 'a=b' x
expect2 --sd-id zoo --sd-param 'a="b"c"' x
expect2 --sd-id 'a b' x
expect2 -f "$T/f" message
expect2 --timeout 0 x
"$MMLOGCTL" write -f "$T/nosuch" </dev/null 2>"$T/u.err"
assert_eq "-f of a missing file" 1 "$?"
stop_daemon
