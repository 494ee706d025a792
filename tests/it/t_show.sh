#!/bin/bash
# mmlogctl show's selections and formats, checked against entries whose
# every field the test knows: -n, -r, -t, -p (level and range), --pid,
# -g, --since/--until, --after-cursor, --cursor-file, and the json, cat
# and export outputs (JSON escaping, structured fields, the Journal
# Export Format's binary form for a message with a newline).
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 1M
loadgen -t alpha -n 30 -p 6 2>"$T/lg.err" || fail "loadgen alpha"
loadgen -t beta -n 20 -p 3 2>"$T/lg.err" || fail "loadgen beta"
ctl write -t esc -p warning "$(printf 'quote " backslash \\ tab\tend')" ||
    fail "write esc"
ctl write -t fld -p info -F KEY1=v1 -F KEY2=v2 'With Fields' || fail "write -F"
ctl write --sync -t nl -p debug "$(printf 'first line\nsecond line')" >/dev/null ||
    fail "write with a newline"
# 53 entries: alpha 1-30, beta 31-50, esc 51, fld 52, nl 53.

show() { ctl --file "$RING" show "$@"; }
count() { show "$@" -o json | wc -l; }

assert_eq "show (all)" 53 "$(count)"
assert_eq "-n 5, seqs" "49 50 51 52 53" \
    "$(show -n 5 -o json | json_fields __SEQNUM | tr '\n' ' ' | sed 's/ $//')"
assert_eq "-n 5 -o cat" "$(printf 'beta 19\nbeta 20\nquote " backslash \\ tab\\tend\nWith Fields')" \
    "$(show -n 5 -o cat | head -n 4)"
assert_eq "-n 3 -r, seqs" "53 52 51" \
    "$(show -n 3 -r -o json | json_fields __SEQNUM | tr '\n' ' ' | sed 's/ $//')"
assert_eq "-t beta" 20 "$(count -t beta)"
assert_eq "-t beta, all beta" 20 "$(show -t beta -o json | grep -c '"SYSLOG_IDENTIFIER":"beta"')"
assert_eq "-t alpha -t esc" 31 "$(count -t alpha -t esc)"
assert_eq "-p err" 20 "$(count -p err)"
assert_eq "-p warning" 21 "$(count -p warning)"
assert_eq "-p 4..6" 32 "$(count -p 4..6)"
assert_eq "-p debug (everything)" 53 "$(count -p debug)"
beta_pid=$(show -t beta -n 1 -o json | json_fields _PID)
assert_eq "--pid of beta's sender" 20 "$(count --pid "$beta_pid")"
assert_eq "-g 'alpha 1[0-9]\$'" 10 "$(count -g 'alpha 1[0-9]$')"
# Smart case, as journalctl: a lowercase pattern ignores case.
assert_eq "-g lowercase pattern, ignoring case" 1 "$(count -g 'with fields')"
assert_eq "-g uppercase pattern, case matters" 0 "$(count -g 'With fields')"
assert_eq "--since '1 min ago'" 53 "$(count --since '1 min ago')"
assert_eq "--until '1 min ago'" 0 "$(count --until '1 min ago')"
assert_eq "--since tomorrow" 0 "$(count --since "$(date -d tomorrow '+%Y-%m-%d')")"

# Cursors.
c40=$(show -o json | json_fields __SEQNUM __CURSOR | awk -F '\t' '$1 == 40 { print $2 }')
[ -n "$c40" ] || fail "no cursor for seq 40"
assert_eq "--after-cursor (seq 40)" "41 53 13" \
    "$(show --after-cursor "$c40" -o json | json_fields __SEQNUM |
    awk 'NR == 1 { f = $1 } { l = $1 } END { print f, l, NR }')"
show --cursor-file "$T/cur" -o cat >/dev/null || fail "--cursor-file, first run"
[ -s "$T/cur" ] || fail "--cursor-file did not store a cursor"
ctl write -t later one && ctl write -t later two || fail "write later"
assert_eq "--cursor-file, second run" "$(printf 'one\ntwo')" \
    "$(show --cursor-file "$T/cur" -o cat)"
# Nothing new: journalctl's remark (and with -q, nothing).
assert_eq "--cursor-file, third run" "-- No entries --" "$(show --cursor-file "$T/cur" -o cat)"
assert_eq "--cursor-file, fourth run, -q" "" "$(show -q --cursor-file "$T/cur" -o cat)"

# JSON: escaping and fields.
assert_eq "JSON escaping" 'quote \" backslash \\ tab\tend' \
    "$(show -t esc -o json | json_fields MESSAGE)"
assert_eq "JSON fields" "$(printf 'v1\tv2\tWith Fields\t6')" \
    "$(show -t fld -o json | json_fields KEY1 KEY2 MESSAGE PRIORITY)"
assert_eq "JSON newline" 'first line\nsecond line' \
    "$(show -t nl -o json | json_fields MESSAGE)"
show -o json | awk '!/^\{.*\}$/ { exit 1 }' || fail "a json line is not an object"
assert_eq "_UID" "$(id -u)" "$(show -t fld -o json | json_fields _UID)"

# Export format: KEY=VALUE lines, a blank line after each entry; a value
# with a newline as KEY, newline, 64-bit little-endian length, data.
show -t fld -o export >"$T/exp"
grep -qx 'MESSAGE=With Fields' "$T/exp" || fail "export: no MESSAGE line"
grep -qx 'KEY1=v1' "$T/exp" || fail "export: no KEY1 line"
grep -qx '__CURSOR=.*' "$T/exp" || fail "export: no __CURSOR"
[ "$(tail -c 2 "$T/exp" | od -An -c | tr -d ' ')" = '\n\n' ] ||
    fail "export: entry not ended by a blank line"
show -t nl -o export >"$T/expnl"
want=$(printf 'MESSAGE\n\026\0\0\0\0\0\0\0first line\nsecond line\n' | od -An -tx1 | tr -d ' \n')
od -An -tx1 "$T/expnl" | tr -d ' \n' | grep -q "$want" ||
    fail "export: a message with a newline is not in binary form"
# Identity from the kernel, time from the daemon's clock.
t0=$(date +%s%6N)
"$HELPERS/loadgen" -s "$SOCK" -t who -n 1 -a >/dev/null 2>"$T/lg.err" &
who=$!
wait $who || fail "loadgen who: $(cat "$T/lg.err")"
t1=$(date +%s%6N)
assert_eq "_PID, _COMM, _UID, _GID of a client" "$who	loadgen	$(id -u)	$(id -g)" \
    "$(show -t who -o json | json_fields _PID _COMM _UID _GID)"
ts=$(show -t who -o json | json_fields __REALTIME_TIMESTAMP)
[ "$ts" -ge "$t0" ] && [ "$ts" -le "$t1" ] ||
    fail "__REALTIME_TIMESTAMP $ts not within the write ($t0..$t1)"

# dump: the header, then one record per entry from the tail.
ctl --file "$RING" dump >"$T/dump" || fail "dump failed: $(tail -n 3 "$T/ctl.err")"
grep -q 'MMLOGRNG' "$T/dump" || fail "dump shows no header"
assert_eq "records in dump" 56 "$(grep -c '^rec seq=' "$T/dump")"
assert_eq "last record in dump" 56 \
    "$(grep '^rec seq=' "$T/dump" | tail -n 1 | sed 's/^rec seq=\([0-9]*\).*/\1/')"
stop_daemon
