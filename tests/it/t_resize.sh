#!/bin/bash
# Resizing an existing ring (daemon/resize.c).  Growing keeps every entry
# with its sequence number, time, sender and message, and the ring's id;
# the resize extends systemd's start timeout and says so in STATUS;
# shrinking keeps exactly the newest entries that fit, only with
# --resize (without it mmlogd refuses, saying how many would go, and the
# ring stays as it was); the log records the resize with MMLOG_DISCARDED.
# Numbering goes on above the old ring's.  A crash (test hook) after the
# new ring is built but before it takes the name leaves the old ring in
# use; one just after the rename leaves the new one; a leftover of the
# first is cleaned up by the next resize.
. "$(dirname "$0")/lib.sh"

# Every entry as SEQ TIME PID UID PRIORITY TAG MESSAGE.
snapshot() {
	ctl --file "$RING" show -o json >"$T/snap.json" ||
	    fail "mmlogctl show: $(tail -n 3 "$T/ctl.err")"
	json_fields __SEQNUM __REALTIME_TIMESTAMP _PID _UID PRIORITY \
	    SYSLOG_IDENTIFIER MESSAGE MMLOG_DISCARDED <"$T/snap.json"
}
ring_id() {
	ctl --file "$RING" status -o json | sed 's/.*"ring_id":"\([0-9a-f]*\)".*/\1/'
}

start_daemon --size 256K
loadgen -t a -n 400 -z 100 2>"$T/lg.err" || fail "loadgen failed"
stop_daemon
snapshot >"$T/before"
id=$(ring_id)
assert_eq "entries before growing" 400 "$(wc -l <"$T/before")"

# Growing: everything is kept, then the daemon's note.  Under systemd
# the resize, which runs before READY=1, asks for more start time and
# says what it does (on a notification socket of the test's own).
NOTIFY=$T/notify
"$HELPERS/notifylisten" "$NOTIFY" "$(tmo 60)" >"$T/notify.out" \
    2>"$T/notify.err" &
nl=$!
track $nl
wait_for 5 test -S "$NOTIFY" || fail "notifylisten did not bind"
start_daemon_env "NOTIFY_SOCKET=$NOTIFY" --size 1M
grep -q 'resized from 262144 to 1048576 bytes' "$DERR" ||
    fail "no resize reported: $(cat "$DERR")"
got_ready() {
	grep -q 'READY=1' "$T/notify.out"
}
wait_for "$(tmo 10)" got_ready || fail "no READY=1: $(cat "$T/notify.out")"
kill $nl
awk -F '\t' '/READY=1/ { exit } /EXTEND_TIMEOUT_USEC=30000000/ &&
    /STATUS=resizing the ring: copying entries, 0%/ { c = 1 }
    /EXTEND_TIMEOUT_USEC=30000000/ && /STATUS=resizing the ring: syncing/ { s = c }
    END { exit !s }' "$T/notify.out" ||
    fail "no EXTEND_TIMEOUT_USEC with the resize's STATUS before READY=1: $(cat "$T/notify.out")"
loadgen -t b -n 1 -a >"$T/acked" 2>"$T/lg.err" || fail "loadgen after growing"
stop_daemon
assert_eq "capacity after growing" 1048576 "$(header_field capacity)"
assert_eq "ring id kept" "$id" "$(ring_id)"
[ -e "$RING.resize" ] && fail "$RING.resize left behind"
snapshot >"$T/after"
head -n 400 "$T/after" | cmp -s - "$T/before" ||
    fail "entries changed by growing: $(diff "$T/before" "$T/after" | head -n 5)"
sed -n 401p "$T/after" | awk -F '\t' '$1 == 401 && $6 == "mmlogd" && $8 == 0 &&
    $7 ~ /resized from 262144 to 1048576 bytes/ { ok = 1 } END { exit !ok }' ||
    fail "no note of the resize after the entries: $(sed -n 401p "$T/after")"
assert_eq "numbering goes on" "402 b 1" "$(cat "$T/acked")"

# Fill the bigger ring past a wrap, then shrink.
start_daemon
loadgen -t c -n 6000 -z 150 2>"$T/lg.err" || fail "loadgen failed"
stop_daemon
snapshot >"$T/full"
total=$(wc -l <"$T/full")
first=$(head -n 1 "$T/full" | cut -f 1)
[ "$first" -gt 1 ] || fail "the 1M ring did not wrap (first seq $first)"
sum=$(snapshot | sha256sum)

# Without --resize: refused, nothing lost.
run_refused "shrinking without --resize" --socket "$SOCK" --file "$RING" \
    --size 256K
assert_eq "exit status" 1 "$EXIT_CODE"
grep -q "refusing to discard" "$DERR" || fail "no reason given: $(cat "$DERR")"
grep -q "resize = yes" "$DERR" || fail "the way out is not named: $(cat "$DERR")"
assert_eq "capacity after refusing" 1048576 "$(header_field capacity)"
assert_eq "entries after refusing" "$sum" "$(snapshot | sha256sum)"
[ -e "$RING.resize" ] && fail "$RING.resize left behind after refusing"
[ -e "$SOCK" ] && fail "a refusing daemon left a socket behind"

# With resize = yes in the configuration: the newest that fit are kept.
echo "resize = yes" >"$MMLOGD_CONFIG"
start_daemon --size 256K
stop_daemon
: >"$MMLOGD_CONFIG"
assert_eq "capacity after shrinking" 262144 "$(header_field capacity)"
snapshot >"$T/shrunk"
# The note: how many went.  The daemon says which it kept.
n=$(tail -n 1 "$T/shrunk" | awk -F '\t' -v s=$(( $(tail -n 1 "$T/full" | cut -f 1) + 1 )) \
    '$1 == s && $6 == "mmlogd" && $7 ~ /^ring resized from 1048576 to 262144 bytes/ { print $8 }')
[ -n "$n" ] && [ "$n" -gt 0 ] || fail "no note of the resize: $(tail -n 1 "$T/shrunk")"
range="$(sed -n "$((n + 1))p" "$T/full" | cut -f 1)..$(tail -n 1 "$T/full" | cut -f 1)"
grep -q "entries $range kept, $n oldest discarded" "$DERR" ||
    fail "expected 'entries $range kept, $n oldest discarded': $(grep resized "$DERR")"
# What the ring holds is the newest of those, unchanged (the note, in a
# full ring, overwrites the oldest one or two as any entry would).
kept=$(( $(wc -l <"$T/shrunk") - 1 ))
[ "$kept" -gt 100 ] && [ "$kept" -le $((total - n)) ] &&
    [ "$kept" -ge $((total - n - 2)) ] || fail "kept $kept of $total, $n discarded"
head -n "$kept" "$T/shrunk" | cmp -s - <(tail -n "$kept" "$T/full") ||
    fail "the kept entries are not the newest, unchanged"
ctl --file "$RING" verify >/dev/null || fail "mmlogctl verify after shrinking"
note "shrinking kept $kept of $total entries"

# A crash once the new ring is built, before the rename: the old ring is
# still the ring; the next start resizes again over the leftover.
snapshot >"$T/pre"
DAEMON_N=$((DAEMON_N + 1))
DERR=$LOGS/mmlogd.$DAEMON_N.err
MMLOGD_TEST_RESIZE_EXIT=built "$MMLOGD" --socket "$SOCK" --file "$RING" \
    --size 512K 2>"$DERR" </dev/null
assert_eq "exit at the 'built' hook" 3 "$?"
[ -e "$RING.resize" ] || fail "no $RING.resize at the 'built' hook"
assert_eq "capacity after a crash before the rename" 262144 "$(header_field capacity)"
snapshot | cmp -s - "$T/pre" || fail "old ring changed by a crash before the rename"
start_daemon --size 512K
stop_daemon
assert_eq "capacity after the next start" 524288 "$(header_field capacity)"
[ -e "$RING.resize" ] && fail "$RING.resize left behind"
snapshot | head -n "$(wc -l <"$T/pre")" | cmp -s - "$T/pre" ||
    fail "entries lost by resizing after a crash"

# A crash just after the rename: the new ring is whole.
snapshot >"$T/pre"
DAEMON_N=$((DAEMON_N + 1))
DERR=$LOGS/mmlogd.$DAEMON_N.err
MMLOGD_TEST_RESIZE_EXIT=renamed "$MMLOGD" --socket "$SOCK" --file "$RING" \
    --size 768K 2>"$DERR" </dev/null
assert_eq "exit at the 'renamed' hook" 3 "$?"
assert_eq "capacity after a crash after the rename" 786432 "$(header_field capacity)"
# The entries, then the note of the resize, which the new ring carried
# before it took the name (a crash here left none before).
snapshot >"$T/crashed"
head -n "$(wc -l <"$T/pre")" "$T/crashed" | cmp -s - "$T/pre" ||
    fail "entries differ after a crash after the rename"
assert_eq "entries after a crash after the rename" \
    "$(( $(wc -l <"$T/pre") + 1 ))" "$(wc -l <"$T/crashed")"
tail -n 1 "$T/crashed" | awk -F '\t' '$6 == "mmlogd" && $8 == 0 &&
    $7 ~ /resized from 524288 to 786432 bytes/ { ok = 1 } END { exit !ok }' ||
    fail "no note of the resize after a crash after the rename: $(tail -n 1 "$T/crashed")"
start_daemon
loadgen -t d -n 1 -a >"$T/acked" 2>"$T/lg.err" || fail "loadgen after the crash"
stop_daemon
assert_eq "numbering after the crash" \
    "$(( $(tail -n 1 "$T/pre" | cut -f 1) + 2 )) d 1" "$(cat "$T/acked")"

# A shrink that discards entries, then a crash just after the rename:
# the discarded entries are counted in the log all the same.
start_daemon
loadgen -t e -n 6000 -z 150 2>"$T/lg.err" || fail "loadgen failed"
stop_daemon
DAEMON_N=$((DAEMON_N + 1))
DERR=$LOGS/mmlogd.$DAEMON_N.err
MMLOGD_TEST_RESIZE_EXIT=renamed "$MMLOGD" --socket "$SOCK" --file "$RING" \
    --size 256K --resize 2>"$DERR" </dev/null
assert_eq "exit at the 'renamed' hook, shrinking" 3 "$?"
assert_eq "capacity after a crash after shrinking" 262144 "$(header_field capacity)"
n=$(snapshot | tail -n 1 | awk -F '\t' '$6 == "mmlogd" &&
    $7 ~ /^ring resized from 786432 to 262144 bytes/ { print $8 }')
[ -n "$n" ] && [ "$n" -gt 0 ] ||
    fail "no MMLOG_DISCARDED note after a crash after shrinking: $(snapshot | tail -n 1)"
