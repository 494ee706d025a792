#!/bin/bash
# A simulated power loss.  The daemon is killed with entries that were
# never made durable; then the file is made to look as after a power cut
# in an earlier boot: every byte past the durable cursor is gone (zeros)
# and the header names another boot.  The restarted daemon keeps every
# durable (acknowledged) entry, presents nothing of the lost ones, warns
# that sequence numbers may have been lost, and numbers on from the
# persisted seq_limit, so no number a reader may have seen is reused.
. "$(dirname "$0")/lib.sh"

start_daemon --size 1M --sync-interval 3600000
loadgen -t durable -n 100 -a >"$T/acked" 2>"$T/lg.err" || fail "loadgen -a failed"
badpeer write 6 100 || fail "badpeer write failed"
wait_for "$(tmo 10)" stats_is entries 200 ||
    fail "the daemon did not take 200 entries"
assert_eq "durable_seq before the cut" 100 "$(header_field durable_seq)"
kill_daemon

doff=$(header_field durable_off)
hoff=$(header_field head_off)
limit=$(header_field seq_limit)
[ "$hoff" -gt "$doff" ] || fail "nothing past the durable cursor ($doff, $hoff)"
dd if=/dev/zero of="$RING" bs=1 seek=$((4096 + doff)) count=$((hoff - doff)) \
    conv=notrunc 2>/dev/null
dd if=/dev/zero of="$RING" bs=1 seek=128 count=16 conv=notrunc 2>/dev/null
note "zeroed $((hoff - doff)) bytes past the durable cursor; seq_limit $limit"

start_daemon
grep -q "may have been lost" "$DERR" || fail "no warning about lost sequence numbers"
# The seq_limit itself goes to the daemon's record of the jump.
grep ' ready: ' "$DERR" | grep -q "next seq $((limit + 1))\$" ||
    fail "numbering does not continue at seq_limit $limit: $(grep ' ready: ' "$DERR")"
ring_entries >"$T/shown" 2>"$T/ringcat.err"
awk -F '\t' -v L="$limit" '$1 == L && $5 ~ /never became durable/ { n++ } END { exit n != 1 }' "$T/shown" ||
    fail "no record of the jump at seq $limit"
awk -F '\t' -v L="$limit" '$1 < L { print $1, $5 }' "$T/shown" | cmp -s - "$T/acked" ||
    fail "after the cut the ring is not exactly the 100 acknowledged entries"
loadgen -t after -n 1 -a >"$T/new" 2>"$T/lg.err" || fail "loadgen after the restart"
assert_eq "first seq after the cut" "$((limit + 1)) after 1" "$(cat "$T/new")"
ring_entries >"$T/shown" 2>"$T/ringcat.err"
assert_eq "entries in the ring (independent reader)" 102 "$(wc -l <"$T/shown")"
assert_eq "the jump, as the independent reader sees it" \
    "ringcat: gap of $((limit - 101)) seqs at offset $doff" "$(cat "$T/ringcat.err")"
need_ctl
# mmlogctl must cross the jump too (proto/FORMAT.md, Reading) and say so.
entries >"$T/shown2" || exit 1
assert_eq "entries shown by mmlogctl" 102 "$(wc -l <"$T/shown2")"
assert_eq "newest entry (show -n 1)" "$((limit + 1))	after 1" \
    "$(ctl --file "$RING" show -n 1 -o json | json_fields __SEQNUM MESSAGE)"
grep -q "$((limit - 101))" "$T/ctl.err" ||
    fail "mmlogctl show does not report the gap of $((limit - 101)) seqs: $(cat "$T/ctl.err")"
ctl --file "$RING" verify >"$T/verify.out" ||
    fail "verify after the cut: $(grep -i 'problem' "$T/verify.out")"
stop_daemon
