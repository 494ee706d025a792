#!/bin/bash
# A stalled msync does not stop ingestion.  A durable write starts a
# sync, which the stall hook (MMLOGD_TEST_SYNC_STALL_FILE) holds; while
# it is held, 20,000 unsynced entries from another client are taken and
# are all visible in mmlogctl show, and the durable cursor does not move.
# Once the file goes, the held client gets its ACK and everything
# becomes durable (header, mmlogctl status, the daemon's counters).
. "$(dirname "$0")/lib.sh"

need_ctl
STALL=$T/stall
start_daemon_env "MMLOGD_TEST_SYNC_STALL_FILE=$STALL" -v --size 16M \
    --sync-interval 50
loadgen -t pre -n 10 -a >/dev/null 2>"$T/lg.err" || fail "loadgen: $(cat "$T/lg.err")"
touch "$STALL"
"$HELPERS/loadgen" -s "$SOCK" -t held -n 1 -a >"$T/held" 2>"$T/held.err" &
held=$!
track $held
wait_for "$(tmo 10)" stats_is entries 11 ||
    fail "the held entry did not arrive"
durable=$(header_field durable_seq)
assert_eq "durable seq before the stall" 10 "$durable"

# 20,000 entries while the sync is held: loadgen -S hands them all to
# the kernel and exits without waiting for a sync.
loadgen -t flow -n 20000 -z 80 -S 2>"$T/flow.err" ||
    fail "loadgen during the stall: $(cat "$T/flow.err")"
flowed() {
	[ "$(stats_field entries)" = 20011 ]
}
wait_for "$(tmo 20)" flowed ||
    fail "only $(stats_field entries) of 20011 entries taken during the stall"
ctl --file "$RING" show -o json -t flow >"$T/flow.json" ||
    fail "show: $(tail -n 3 "$T/ctl.err")"
json_fields __SEQNUM MESSAGE <"$T/flow.json" >"$T/flow"
assert_eq "flow entries visible during the stall" 20000 "$(wc -l <"$T/flow")"
awk -F '\t' '$1 != NR + 11 || $2 !~ "^flow " NR "x*$" || length($2) != 80 {
	printf "line %d: %s\n", NR, $0; exit 1 }' "$T/flow" >"$T/why" ||
    fail "flow entries are not seqs 12..20011 in order: $(cat "$T/why")"
# The sync really was held all along.
[ -s "$T/held" ] && fail "the held client got an ACK during the stall"
alive "$held" || fail "the held client exited during the stall: $(cat "$T/held.err")"
assert_eq "header durable_seq during the stall" "$durable" "$(header_field durable_seq)"
assert_eq "daemon's durable_seq during the stall" "$durable" "$(stats_field durable_seq)"

rm -f "$STALL"
wait_exit "$held" "$(tmo 10)" || fail "no ACK after the stall"
[ "$EXIT_CODE" = 0 ] || fail "held client: $(cat "$T/held.err")"
assert_eq "held ACK" "11 held 1" "$(cat "$T/held")"
all_durable() {
	[ "$(header_field durable_seq)" = 20011 ]
}
wait_for "$(tmo 10)" all_durable ||
    fail "not durable after the stall: header durable_seq $(header_field durable_seq)"
assert_eq "daemon's durable_seq" 20011 "$(stats_field durable_seq)"
ctl --file "$RING" --socket "$SOCK" status -o json >"$T/status.json" ||
    fail "status: $(tail -n 3 "$T/ctl.err")"
assert_eq "status durable_seq" 20011 "$(json_fields durable_seq <"$T/status.json")"
stop_daemon
