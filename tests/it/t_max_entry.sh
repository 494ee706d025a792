#!/bin/bash
# --max-entry bounds tag + message + fields of an entry, exactly: at the
# limit an entry is stored, one byte over it is refused (EMSGSIZE back to
# the client, nothing stored).  The largest limit takes a 65000-byte
# message whole.  A ring too small for four of the largest records is
# refused, new or existing.
. "$(dirname "$0")/lib.sh"

start_daemon --size 1M --max-entry 512
# loadgen's tag "t" is 1 byte: payload = 1 + message.
loadgen -t t -n 1 -z 511 -a >"$T/ok" 2>"$T/lg.err" ||
    fail "an entry of exactly --max-entry was refused: $(cat "$T/lg.err")"
loadgen -t t -n 1 -z 512 -a >"$T/over" 2>"$T/lg.err" &&
    fail "an entry one byte over --max-entry was accepted"
grep -q 'too long' "$T/lg.err" || fail "refusal is not EMSGSIZE: $(cat "$T/lg.err")"
ring_entries >"$T/shown"
assert_eq "entries stored" 1 "$(wc -l <"$T/shown")"
assert_eq "message length" 511 "$(cut -f 5 "$T/shown" | tr -d '\n' | wc -c)"
if have_ctl; then
	msg=$(head -c 600 /dev/zero | tr '\0' 'm')
	ctl --socket "$SOCK" write --sync "$msg" >/dev/null 2>"$T/w.err" &&
	    fail "mmlogctl write of 600 bytes succeeded with --max-entry 512"
fi
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
