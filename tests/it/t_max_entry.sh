#!/bin/bash
# --max-entry bounds tag + message + fields of an entry, exactly: at the
# limit an entry is stored whole; one byte over it, it is stored cut to
# the limit with MMLOG_ORIGINAL_SIZE, counted (mmlog_truncated), and a
# durable write says so (MMLOG_TRUNCATED).  Until issue 17 it was refused
# (EMSGSIZE) and nothing was stored, so that `mmlogctl write` of 600
# bytes exited 0 and lost the entry.  The largest limit takes a
# 65000-byte message whole.  A ring too small for four of the largest
# records is refused, new or existing.
. "$(dirname "$0")/lib.sh"

start_daemon --size 1M --max-entry 512
# loadgen's tag "t" is 1 byte: payload = 1 + message.
loadgen -t t -n 1 -z 511 -a >"$T/ok" 2>"$T/lg.err" ||
    fail "an entry of exactly --max-entry was refused: $(cat "$T/lg.err")"
grep -q truncated "$T/ok" && fail "an entry of exactly --max-entry was cut"
loadgen -t t -n 1 -z 512 -a >"$T/over" 2>"$T/lg.err" ||
    fail "an entry one byte over --max-entry failed: $(cat "$T/lg.err")"
assert_eq "durable write of an entry one byte over" "2 truncated" "$(cat "$T/over")"
ring_entries >"$T/shown"
assert_eq "entries stored" 2 "$(wc -l <"$T/shown")"
assert_eq "message length" 511 "$(head -n 1 "$T/shown" | cut -f 5 | tr -d '\n' | wc -c)"
need_ctl
ctl --file "$RING" show -o json >"$T/show.json" || fail "show -o json"
assert_eq "the whole entry: no MMLOG_ORIGINAL_SIZE" "-" \
    "$(head -n 1 "$T/show.json" | json_fields MMLOG_ORIGINAL_SIZE)"
assert_eq "the cut entry: its size as sent" "513" \
    "$(sed -n 2p "$T/show.json" | json_fields MMLOG_ORIGINAL_SIZE)"
len=$(sed -n 2p "$T/show.json" | json_fields MESSAGE | tr -d '\n' | wc -c)
[ "$len" -lt 511 ] && [ "$len" -gt 400 ] || fail "cut message of $len bytes"
assert_eq "_TRANSPORT: the mmlog protocol (from its metadata slot)" "mmlog" \
    "$(sed -n 2p "$T/show.json" | json_fields _TRANSPORT)"
msg=$(head -c 600 /dev/zero | tr '\0' 'm')
ctl --socket "$SOCK" write -t w --sync "$msg" >/dev/null 2>"$T/w.err" ||
    fail "mmlogctl write of 600 bytes failed: $(cat "$T/w.err")"
ctl --file "$RING" show -o json >"$T/show.json" || fail "show -o json"
assert_eq "mmlogctl write of 600 bytes: stored cut" "601" \
    "$(tail -n 1 "$T/show.json" | json_fields MMLOG_ORIGINAL_SIZE)"
assert_eq "counted" 2 "$(stats_field mmlog_truncated)"
assert_eq "no frame refused" 0 "$(stats_field bad_frames)"
stop_daemon

# The largest entry the protocol allows.
RING=$T/big
start_daemon --size 1M --max-entry 65472
loadgen -t t -n 3 -z 65000 -a >"$T/big.acked" 2>"$T/lg.err" ||
    fail "65000-byte entries: $(cat "$T/lg.err")"
ring_entries >"$T/shown"
awk -F '\t' 'length($5) != 65000 { exit 1 } END { exit NR != 3 }' "$T/shown" ||
    fail "65000-byte entries not stored whole"
stop_daemon

run_refused "--max-entry 20000 with --size 64K" --socket "$SOCK" \
    --file "$T/small" --size 64K --max-entry 20000
assert_eq "exit status (usage)" 2 "$EXIT_CODE"
grep -q 'too small' "$DERR" || fail "no 'too small': $(cat "$DERR")"
[ -e "$T/small" ] && fail "a ring was created although refused"

RING=$T/r64
start_daemon --size 64K
stop_daemon
sum=$(sha256sum <"$RING")
run_refused "existing 64K ring, --max-entry 30000" --socket "$SOCK" \
    --file "$RING" --max-entry 30000
grep -q 'too small' "$DERR" || fail "no 'too small': $(cat "$DERR")"
assert_eq "ring unchanged" "$sum" "$(sha256sum <"$RING")"
