#!/bin/bash
# The ring truncated under a running daemon (truncate -s 8192: the
# header page and the first 4 KiB of records survive).  Writing into the
# lost part raises SIGBUS, which mmlogd turns into an error: it says on
# stderr that the ring was truncated, gives the file back its size, and
# keeps serving.  Later entries are ACKed and readable, before and after
# a restart; the records that survived are still shown; readers report
# the loss and nothing torn.
. "$(dirname "$0")/lib.sh"

need_ctl
# No timed sync: one flushing the cursor between the truncation and the
# next write would find the file short and restore it before the write
# faults (the sync threads check the size), and no SIGBUS would come.
start_daemon --size 1M --sync-interval 3600000
size=$(stat -c %s "$RING")
assert_eq "ring file size" "$(ring_file_size 1048576)" "$size"
loadgen -t before -n 2000 -z 100 >/dev/null 2>"$T/lg.err" ||
    fail "loadgen: $(cat "$T/lg.err")"
ring_entries | cut -f 1,5 >"$T/before"
# The entries whose records end within the 4 KiB of data that survive.
"$HELPERS/ringhack" recs "$RING" | awk '$2 + $3 <= 4096 { print $1 }' \
    >"$T/survivors.seq"
awk 'FILENAME == ARGV[1] { keep[$1] = 1; next } ($1 in keep)' \
    "$T/survivors.seq" "$T/before" >"$T/want"
nsurv=$(wc -l <"$T/want")
[ "$nsurv" -gt 10 ] || fail "only $nsurv entries in the first 4 KiB"

truncate -s 8192 "$RING"
# The first append into the lost part faults; whatever its client is
# told, it must not be an ACK for an entry that is not there.
loadgen -t hit -n 1 -a >"$T/hit" 2>"$T/hit.err"
note "first write after the truncation: exit $? $(cat "$T/hit" "$T/hit.err")"
alive "$DPID" || { wait "$DPID"; fail "mmlogd died ($?) when the ring was truncated"; }
grep -q "ring '$RING' was truncated to 8192 bytes" "$DERR" ||
    fail "mmlogd did not say the ring was truncated"
assert_eq "ring file size after the truncation" "$size" "$(stat -c %s "$RING")"
[ "$(stats_field bus_errors)" -ge 1 ] ||
    fail "bus_errors is $(stats_field bus_errors)"

loadgen -t after -n 100 -a >"$T/after.acked" 2>"$T/after.err" ||
    fail "loadgen after the truncation: $(cat "$T/after.err")"
assert_eq "ACKs after the truncation" 100 "$(wc -l <"$T/after.acked")"
sed 's/ /\t/' "$T/hit" "$T/after.acked" >>"$T/want"
first=$(head -n 1 "$T/after.acked" | cut -d ' ' -f 1)
[ "$first" -gt 2000 ] || fail "seq $first after the truncation reuses a number"

check_shown() {
	timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$RING" show -o json \
	    >"$T/show.json" 2>"$T/show.err" ||
	    fail "$1: show failed: $(tail -n 3 "$T/show.err")"
	json_fields __SEQNUM MESSAGE <"$T/show.json" >"$T/got"
	cmp -s "$T/want" "$T/got" ||
	    fail "$1: show is not the $nsurv surviving entries and the new" \
	    "ones: $(diff "$T/want" "$T/got" | head -n 6)"
	grep -q 'entries lost' "$T/show.err" ||
	    fail "$1: show does not report the lost entries: $(cat "$T/show.err")"
	timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$RING" verify \
	    >"$T/verify.out" 2>&1
	rc=$?
	[ "$rc" = 1 ] || fail "$1: verify exited $rc, expected 1 (damage)"
	grep -q '^problem: .*offset' "$T/verify.out" ||
	    fail "$1: verify does not report the damage: $(cat "$T/verify.out")"
}
check_shown "while running"
stop_daemon
start_daemon
check_shown "after a restart"
loadgen -t again -n 10 -a >"$T/again" 2>"$T/lg.err" ||
    fail "loadgen after the restart: $(cat "$T/lg.err")"
sed 's/ /\t/' "$T/again" >>"$T/want"
check_shown "after more entries"
stop_daemon
note "$nsurv old entries survived; $(grep -c . "$T/after.acked") ACKed after"
