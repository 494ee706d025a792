#!/bin/bash
# Torn writes, made by the test on disk with the daemon down:
# A. closed in order, then the newest record cut in half (its second
#    half zeroed): readers never show it and say that one entry is lost
#    where it lies; every entry before it is shown; mmlogd starts and
#    numbers on above it; verify reports exactly that record.
# B. a crash in the middle of writing the newest record, as the writer
#    leaves it: SIGKILL with nothing durable, then that record's CRC (it
#    is stored last) and second half zeroed, and the header's live head
#    put back to it (published only after a record is whole).  Recovery
#    stops there: every entry before it is kept, it is never shown, new
#    entries take its place and its seq (it was never visible), and the
#    ring verifies clean.
# C. as B, but the header's head still past the torn record: numbering
#    goes on above it, and its loss is reported (by readers, or by an
#    entry of the daemon's own in the ring).
. "$(dirname "$0")/lib.sh"

need_ctl

# shown FILE: the entries as "SEQ<TAB>MESSAGE" into FILE (stderr kept in
# FILE.err); fails unless show exits 0.
shown() {
	timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$RING" show -o json \
	    >"$T/shown.json" 2>"$1.err" ||
	    fail "show failed: $(tail -n 3 "$1.err")"
	json_fields __SEQNUM MESSAGE <"$T/shown.json" >"$1"
}

# tear SEQ [CRC]: zeroes the second half of the record carrying SEQ (and
# its CRC field with CRC); sets OFF and LEN to the record's.
tear() {
	local line rest
	line=$("$HELPERS/ringhack" recs "$RING" | awk -v s="$1" \
	    '$1 == s && $5 == "entry"')
	[ -n "$line" ] || fail "no record with seq $1"
	read -r _ OFF LEN rest <<<"$line"
	dd if=/dev/zero of="$RING" bs=1 seek=$((4096 + OFF + LEN / 2)) \
	    count=$((LEN - LEN / 2)) conv=notrunc 2>/dev/null
	if [ "${2:-}" = crc ]; then
		dd if=/dev/zero of="$RING" bs=1 seek=$((4096 + OFF)) count=4 \
		    conv=notrunc 2>/dev/null
	fi
	"$HELPERS/ringhack" recs "$RING" >/dev/null 2>&1 &&
	    fail "the torn record at $OFF still checks"
	return 0
}

# --- A: closed in order, newest record torn.
start_daemon --size 1M
loadgen -t torn -n 500 -z 60 >/dev/null 2>"$T/lg.err" ||
    fail "loadgen: $(cat "$T/lg.err")"
stop_daemon
ring_entries | cut -f 1,5 >"$T/orig"
assert_eq "entries written" 500 "$(wc -l <"$T/orig")"
tear 500
note "A: seq 500 torn at offset $OFF ($LEN bytes)"
head -n 499 "$T/orig" >"$T/want"
shown "$T/got"
cmp -s "$T/want" "$T/got" ||
    fail "A, daemon down: show is not seqs 1..499: $(diff "$T/want" "$T/got" | head -n 5)"
grep -q "1 entries lost (corrupt record at offset $(printf 0x%x "$OFF")" \
    "$T/got.err" || fail "A: show does not report the torn entry's loss" \
    "at offset $(printf 0x%x "$OFF"): $(cat "$T/got.err")"

start_daemon
grep ' ready: ' "$DERR" | grep -q 'next seq 501$' ||
    fail "A: numbering does not go on at 501: $(grep ' ready: ' "$DERR")"
loadgen -t new -n 20 -a >"$T/new.acked" 2>"$T/lg.err" ||
    fail "A: loadgen after the restart: $(cat "$T/lg.err")"
assert_eq "A: first new seq" "501 new 1" "$(head -n 1 "$T/new.acked")"
sed 's/ /\t/' "$T/new.acked" >>"$T/want"
shown "$T/got"
cmp -s "$T/want" "$T/got" ||
    fail "A, after new entries: show is not 1..499 and the new ones:" \
    "$(diff "$T/want" "$T/got" | head -n 5)"
grep -q "1 entries lost" "$T/got.err" ||
    fail "A: the torn entry's loss is not reported: $(cat "$T/got.err")"
ctl --file "$RING" verify >"$T/verify.out"
rc=$?
[ "$rc" = 1 ] || fail "A: verify exited $rc on a ring with a torn record"
grep '^problem:' "$T/verify.out" >"$T/problems"
assert_eq "A: verify's problems" 1 "$(wc -l <"$T/problems")"
grep -q "offset $(printf 0x%x "$OFF") .*seq 500 lost" "$T/problems" ||
    fail "A: verify does not report seq 500 at $(printf 0x%x "$OFF"): $(cat "$T/problems")"
stop_daemon

# --- B: a crash while the newest record was being written.
rm -f "$RING"
start_daemon --size 1M --sync-interval 3600000
loadgen -t crash -n 300 -z 60 -S 2>"$T/lg.err" || fail "loadgen: $(cat "$T/lg.err")"
wait_for "$(tmo 10)" stats_is entries 300 ||
    fail "B: the daemon did not take 300 entries"
kill_daemon
assert_eq "B: durable seq before the crash" 0 "$(header_field durable_seq)"
ring_entries | cut -f 1,5 >"$T/orig"
assert_eq "B: entries in the page cache" 300 "$(wc -l <"$T/orig")"
tear 300 crc
"$HELPERS/ringhack" poke64 "$RING" 96 "$OFF" || fail "poke64 failed"
"$HELPERS/ringhack" poke64 "$RING" 104 300 || fail "poke64 failed"
note "B: seq 300 half written at offset $OFF, header head back to it"
head -n 299 "$T/orig" >"$T/want"
shown "$T/got"
cmp -s "$T/want" "$T/got" ||
    fail "B, daemon down: show is not seqs 1..299: $(diff "$T/want" "$T/got" | head -n 5)"
start_daemon --sync-interval 3600000
grep -q "299 recovered past the durable cursor" "$DERR" ||
    fail "B: recovery did not keep the 299 whole entries: $(grep recovered "$DERR")"
loadgen -t new -n 20 -a >"$T/new.acked" 2>"$T/lg.err" ||
    fail "B: loadgen after the restart: $(cat "$T/lg.err")"
assert_eq "B: first new seq (the torn one was never visible)" "300 new 1" \
    "$(head -n 1 "$T/new.acked")"
sed 's/ /\t/' "$T/new.acked" >>"$T/want"
shown "$T/got"
cmp -s "$T/want" "$T/got" ||
    fail "B: show is not 1..299 and the new ones: $(diff "$T/want" "$T/got" | head -n 5)"
[ -s "$T/got.err" ] && fail "B: show reports a loss: $(cat "$T/got.err")"
grep -q "crash 300" "$T/shown.json" && fail "B: the torn entry is shown"
ctl --file "$RING" verify >"$T/verify.out" ||
    fail "B: verify: $(grep -E '^problem|problems' "$T/verify.out")"
stop_daemon

# --- C: torn, but the header's head already past it.
rm -f "$RING"
start_daemon --size 1M --sync-interval 3600000
loadgen -t crash -n 300 -z 60 -S 2>"$T/lg.err" || fail "loadgen: $(cat "$T/lg.err")"
wait_for "$(tmo 10)" stats_is entries 300 ||
    fail "C: the daemon did not take 300 entries"
kill_daemon
ring_entries | cut -f 1,5 >"$T/orig"
tear 300 crc
note "C: seq 300 torn at offset $OFF, header head at seq 301"
head -n 299 "$T/orig" >"$T/want"
start_daemon --sync-interval 3600000
next=$(grep ' ready: ' "$DERR" | sed -n 's/.*next seq \([0-9]*\)$/\1/p')
[ -n "$next" ] && [ "$next" -gt 300 ] ||
    fail "C: numbering does not go on above the torn seq: $(grep ' ready: ' "$DERR")"
loadgen -t new -n 20 -a >"$T/new.acked" 2>"$T/lg.err" ||
    fail "C: loadgen after the restart: $(cat "$T/lg.err")"
# The daemon may note the jump in the ring itself (an entry of its own)
# before the new entries.
first=$(head -n 1 "$T/new.acked" | cut -d ' ' -f 1)
[ "$first" -ge "$next" ] && [ "$first" -le $((next + 1)) ] ||
    fail "C: first new seq $first, the daemon said next seq $next"
sed 's/ /\t/' "$T/new.acked" >>"$T/want"
shown "$T/got"
grep -v '"_MMLOG_DAEMON" *: *"1"' "$T/shown.json" |
    json_fields __SEQNUM MESSAGE >"$T/got"
cmp -s "$T/want" "$T/got" ||
    fail "C: show is not 1..299 and the new ones: $(diff "$T/want" "$T/got" | head -n 5)"
grep -q "lost" "$T/got.err" || grep '"_MMLOG_DAEMON" *: *"1"' "$T/shown.json" |
    grep -q "lost" || fail "C: the torn entry's loss is reported neither by" \
    "show nor in the ring: $(cat "$T/got.err")"
grep -q "crash 300" "$T/shown.json" && fail "C: the torn entry is shown"
stop_daemon
