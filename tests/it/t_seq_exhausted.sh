#!/bin/bash
# A ring whose numbering nears 2^63 (issue 16, finding 8): the header
# must keep seq_limit <= 2^63, or no reader and no later open accepts it.
# A ring whose header says the next seq is 2^63 - 2^24 - 5 (crafted: no
# writer gets there) takes five more entries, acknowledged and readable;
# the next ones are refused with EOVERFLOW (logged, with the way out),
# never acknowledged, and the ring stays readable.  `mmlogctl rotate-id`
# then restarts the numbering at 1 under a new id: entries are accepted
# again, readers and verify see a sound ring, a cursor of the old id is
# refused, and a restart keeps the new numbering.  A ring whose next seq
# is 2^63 - 10 already opens with a header readers accept, takes no entry,
# and is restarted the same way.
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 1M
stop_daemon
N=9223372036837998587	# 2^63 - 2^24 - 5
"$HELPERS/ringhack" poke64 "$RING" 72 $((N - 1)) || fail "poke durable_seq"
"$HELPERS/ringhack" poke64 "$RING" 88 "$N" || fail "poke tail_seq"
"$HELPERS/ringhack" poke64 "$RING" 104 "$N" || fail "poke head_seq"
"$HELPERS/ringhack" poke64 "$RING" 112 "$N" || fail "poke seq_limit"
start_daemon
grep -q "next seq $N" "$DERR" || fail "the daemon did not take the crafted numbering"
for i in 1 2 3 4 5; do
	ctl --socket "$SOCK" write --sync -t near "near $i" >"$T/w.out" ||
	    fail "write $i near the limit: $(tail -n 1 "$T/ctl.err")"
done
assert_eq "the last acknowledged" "durable up to seq $((N + 4))" "$(cat "$T/w.out")"
for i in 6 7; do
	ctl --socket "$SOCK" write --sync -t near "over $i" >"$T/o.out" &&
	    fail "an entry past the numbering's end was acknowledged: $(cat "$T/o.out")"
done
grep -q 'sync: Value too large for defined data type (the ring.s sequence numbers are exhausted' \
    "$T/ctl.err" || fail "write said: $(tail -n 1 "$T/ctl.err")"
grep -q "sequence numbers are exhausted (near 2^63): entries are refused until mmlogctl rotate-id restarts the numbering" \
    "$DERR" || fail "the refusal was not logged"
ctl --file "$RING" show -o json >"$T/n.json" ||
    fail "the ring is unreadable: $(tail -n 1 "$T/ctl.err")"
assert_eq "entries shown" "near 1 near 2 near 3 near 4 near 5" \
    "$(json_fields MESSAGE <"$T/n.json" | tr '\n' ' ' | sed 's/ $//')"
cur=$(ctl --file "$RING" show -n 1 --show-cursor -o cat | sed -n 's/^-- cursor: //p')
[ -n "$cur" ] || fail "no cursor"

ctl --socket "$SOCK" --file "$RING" rotate-id >"$T/r.out" ||
    fail "rotate-id: $(tail -n 2 "$T/ctl.err")"
ctl --socket "$SOCK" write --sync -t after "after 1" >"$T/a.out" ||
    fail "write after rotate-id: $(tail -n 1 "$T/ctl.err")"
assert_eq "numbering restarted" "durable up to seq 2" "$(cat "$T/a.out")"
grep -q "numbering restarted at 1 after seq $((N + 4)) (5 entries no longer shown)" \
    "$DERR" || fail "the restart was not logged"
ctl --file "$RING" verify >/dev/null || fail "verify: $(tail -n 3 "$T/ctl.err")"
ctl --file "$RING" show -o json >"$T/a.json" || fail "show failed"
json_fields __SEQNUM MMLOG_CONTROL_UID MESSAGE <"$T/a.json" >"$T/a"
assert_eq "entries after the restart" "1 2" "$(cut -f 1 "$T/a" | tr '\n' ' ' | sed 's/ $//')"
grep -q "sequence numbers had reached $((N + 4)), near the format's limit of 2^63: numbering restarts at 1" \
    "$T/a" || fail "the note of the restart: $(head -n 1 "$T/a")"
ctl --file "$RING" show --after-cursor "$cur" >/dev/null 2>&1 &&
    fail "a cursor of the old id was accepted"
stop_daemon
start_daemon
ctl --socket "$SOCK" write --sync -t after "after 2" >"$T/b.out" ||
    fail "write after a restart: $(tail -n 1 "$T/ctl.err")"
assert_eq "numbering after a restart" "durable up to seq 3" "$(cat "$T/b.out")"
stop_daemon
assert_eq "header seq_limit" 1 "$(( $(header_field seq_limit) < 1000000000 ))"

# Already past the last number the writer may give.
rm -f "$RING"
start_daemon --size 1M
stop_daemon
M=9223372036854775798	# 2^63 - 10
for o in "72 $((M - 1))" "88 $M" "104 $M" "112 $M"; do
	# shellcheck disable=SC2086
	"$HELPERS/ringhack" poke64 "$RING" $o || fail "poke $o"
done
start_daemon
assert_eq "header seq_limit at open" 9223372036854775808 "$(header_field seq_limit)"
ctl --file "$RING" show >/dev/null || fail "the ring is unreadable: $(tail -n 1 "$T/ctl.err")"
ctl --socket "$SOCK" write --sync -t past "past" >/dev/null &&
    fail "an entry numbered past the end was acknowledged"
ctl --socket "$SOCK" --file "$RING" rotate-id >/dev/null || fail "rotate-id failed"
ctl --socket "$SOCK" write --sync -t past "restarted" >"$T/p.out" ||
    fail "write after rotate-id: $(tail -n 1 "$T/ctl.err")"
assert_eq "numbering restarted" "durable up to seq 2" "$(cat "$T/p.out")"
stop_daemon
ctl --file "$RING" verify >/dev/null || fail "verify: $(tail -n 3 "$T/ctl.err")"
