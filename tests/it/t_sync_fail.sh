#!/bin/bash
# A failing msync is reported, and durability is never claimed while it
# fails.  With MMLOGD_TEST_SYNC_FAIL_FILE present every sync fails with
# EIO: a durable write gets an I/O error (loadgen -a, mmlogctl write
# --sync), mmlogctl status shows sync_state failing and sync_errors > 0,
# the durable cursor stays where it was, the daemon logs the failure and
# keeps taking entries.  Once the file goes, the next durable write
# succeeds, everything is durable and sync_state is ok again.
. "$(dirname "$0")/lib.sh"

need_ctl
FAILF=$T/fail
start_daemon_env "MMLOGD_TEST_SYNC_FAIL_FILE=$FAILF" -v --size 4M \
    --sync-interval 50
loadgen -t pre -n 5 -a >/dev/null 2>"$T/lg.err" || fail "loadgen: $(cat "$T/lg.err")"
assert_eq "durable seq before the failure" 5 "$(header_field durable_seq)"

touch "$FAILF"
loadgen -t bad -n 1 -a >"$T/bad" 2>"$T/bad.err" &&
    fail "loadgen -a succeeded while every sync fails: $(cat "$T/bad")"
[ -s "$T/bad" ] && fail "loadgen -a printed an ACK while syncs fail: $(cat "$T/bad")"
grep -q 'Input/output error' "$T/bad.err" ||
    fail "loadgen -a did not get an I/O error: $(cat "$T/bad.err")"
ctl --socket "$SOCK" write --sync -t badctl 'not durable' >"$T/badctl" &&
    fail "write --sync succeeded while every sync fails: $(cat "$T/badctl")"
grep -q 'durable up to' "$T/badctl" && fail "write --sync claimed durability"

status_field() {
	ctl --file "$RING" --socket "$SOCK" status | awk -v k="$1:" \
	    '$1 == k { print $2 }'
}
assert_eq "status sync_state while syncs fail" failing "$(status_field sync_state)"
errs=$(status_field sync_errors)
[ "${errs:-0}" -gt 0 ] || fail "status sync_errors while syncs fail: '$errs'"
ctl --file "$RING" --socket "$SOCK" status -o json >"$T/status.json" ||
    fail "status -o json: $(tail -n 3 "$T/ctl.err")"
grep -q '"sync_state":"failing"' "$T/status.json" ||
    fail "status -o json does not say failing: $(cat "$T/status.json")"
grep -Eq '^<3>mmlogd: msync .*failed.*Input/output error' "$DERR" ||
    fail "the daemon did not log the failed sync"

# It keeps taking entries, and claims none of them durable.
loadgen -t during -n 100 -S 2>"$T/during.err" ||
    fail "loadgen while syncs fail: $(cat "$T/during.err")"
wait_for "$(tmo 10)" stats_is entries 107 ||
    fail "the daemon took $(stats_field entries) of 107 entries"
ctl --file "$RING" show -o cat -t during >"$T/during" ||
    fail "show: $(tail -n 3 "$T/ctl.err")"
assert_eq "entries taken while syncs fail" 100 "$(wc -l <"$T/during")"
sleep 0.2
assert_eq "header durable_seq while syncs fail" 5 "$(header_field durable_seq)"
assert_eq "daemon's durable_seq while syncs fail" 5 "$(stats_field durable_seq)"
alive "$DPID" || fail "mmlogd died"

rm -f "$FAILF"
loadgen -t after -n 1 -a >"$T/after" 2>"$T/after.err" ||
    fail "loadgen -a after the failure ended: $(cat "$T/after.err")"
assert_eq "ACK after the failure ended" "108 after 1" "$(cat "$T/after")"
assert_eq "header durable_seq after the failure ended" 108 \
    "$(header_field durable_seq)"
assert_eq "status sync_state after the failure ended" ok "$(status_field sync_state)"
grep -q 'syncs again' "$DERR" || fail "the daemon did not log that it syncs again"
entries >"$T/all" || exit 1
range=$(check_gapless "$T/all") || fail "$range"
assert_eq "entries" "1 108 108" "$range"
stop_daemon
