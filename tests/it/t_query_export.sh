#!/bin/bash
# The Journal Export Format round trip: `mmlogctl show -o export` piped
# into systemd-journal-remote makes a journal file that `journalctl
# --file` reads back with the same messages, priorities, identifiers,
# senders, times and structured fields, for plain text, a message with
# a newline (the export format's binary form), one that is not UTF-8,
# a long one, and many entries.
. "$(dirname "$0")/lib.sh"

need_ctl
JR=/lib/systemd/systemd-journal-remote
if [ ! -x "$JR" ]; then
	sh "$(dirname "$0")/../deps.sh" >/dev/null 2>&1
	if [ ! -x "$JR" ]; then
		note "SKIP: $JR is absent and could not be installed (package systemd-journal-remote)"
		exit 0
	fi
fi
command -v journalctl >/dev/null || fail "journalctl is missing"

start_daemon --size 4M
ctl write -t web -p err "plain error" || fail "write"
ctl write -t db -p warning -F KEY1=v1 -F KEY2='a=b c' "with fields" || fail "write"
ctl write -t nl -p debug "$(printf 'first line\nsecond line')" || fail "write"
ctl write -t bin -p info "$(printf 'not \377\376 utf-8')" || fail "write"
ctl write -t uni -p notice "ünïcödé ✓" || fail "write"
loadgen -t long -n 3 -z 4000 -p 1 >/dev/null 2>"$T/lg.err" || fail "loadgen"
loadgen -t many -n 2000 -p 6 >/dev/null 2>"$T/lg.err" || fail "loadgen"
ctl write --sync -t last "the last one" >/dev/null || fail "write"
N=2009

ctl --file "$RING" show -o export >"$T/export" || fail "show -o export: $(tail -n 3 "$T/ctl.err")"
"$JR" -o "$T/x.journal" - <"$T/export" >"$T/jr.out" 2>&1 ||
    fail "systemd-journal-remote refused the export: $(tail -n 5 "$T/jr.out")"
journalctl --file "$T/x.journal" -o json --no-pager >"$T/j.json" 2>"$T/j.err" ||
    fail "journalctl --file: $(cat "$T/j.err")"
ctl --file "$RING" show -o json >"$T/m.json" || fail "show -o json"
assert_eq "entries in the journal" $N "$(wc -l <"$T/j.json")"
assert_eq "entries shown" $N "$(wc -l <"$T/m.json")"

fields="__REALTIME_TIMESTAMP PRIORITY SYSLOG_IDENTIFIER MESSAGE _PID _UID _GID _COMM KEY1 KEY2"
json_fields $fields <"$T/j.json" >"$T/j.tsv"
json_fields $fields <"$T/m.json" >"$T/m.tsv"
cmp -s "$T/j.tsv" "$T/m.tsv" ||
    fail "journalctl reads back other values: $(diff "$T/m.tsv" "$T/j.tsv" | head -n 6)"
# Spot checks, so that the comparison above cannot pass on two empty
# or equally wrong sides.
assert_eq "journal: fields" "$(printf 'v1\ta=b c\twith fields\t4')" \
    "$(grep '"SYSLOG_IDENTIFIER":"db"' "$T/j.json" | json_fields KEY1 KEY2 MESSAGE PRIORITY)"
assert_eq "journal: newline" 'first line\nsecond line' \
    "$(grep '"SYSLOG_IDENTIFIER":"nl"' "$T/j.json" | json_fields MESSAGE)"
assert_eq "journal: unicode" "ünïcödé ✓" \
    "$(grep '"SYSLOG_IDENTIFIER":"uni"' "$T/j.json" | json_fields MESSAGE)"
assert_eq "journal: many" 2000 "$(grep -c '"SYSLOG_IDENTIFIER":"many"' "$T/j.json")"
[ "$(grep '"SYSLOG_IDENTIFIER":"long"' "$T/j.json" | json_fields MESSAGE | head -n 1 | wc -c)" -gt 4000 ] ||
    fail "journal: the long message was cut"
# A value that is not UTF-8: an array of its bytes on both sides.
bytes() { grep '"SYSLOG_IDENTIFIER":"bin"' | sed 's/.*"MESSAGE":\(\[[^]]*\]\).*/\1/' | tr -d ' '; }
want=$(printf 'not \377\376 utf-8' | od -An -tu1 | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
assert_eq "journal: bytes of a non-UTF-8 message" "[$want]" "$(bytes <"$T/j.json")"
assert_eq "mmlogctl: bytes of a non-UTF-8 message" "[$want]" "$(bytes <"$T/m.json")"
stop_daemon
