#!/bin/bash
# An orderly restart: after SIGTERM the daemon exits 0, the ring is
# marked clean (mmlogctl status says so, and the header), the old
# entries are still there after the restart, and the sequence numbers
# go on: the first seq after the restart is the last before it plus one.
. "$(dirname "$0")/lib.sh"

start_daemon --size 1M
loadgen -t one -n 500 2>"$T/lg.err" || fail "loadgen one: $(cat "$T/lg.err")"
assert_eq "state while running" dirty "$(header_field state)"
stop_daemon
assert_eq "state after SIGTERM" clean "$(header_field state)"

need_ctl
ctl --file "$RING" --socket "$SOCK" status >"$T/status" ||
    fail "mmlogctl status failed: $(tail -n 3 "$T/ctl.err")"
grep -i "^state:" "$T/status" | grep -qiw clean ||
    fail "status does not say clean: $(grep -i "^state" "$T/status")"
ctl --file "$RING" --socket "$SOCK" status -o json >"$T/status.json" ||
    fail "mmlogctl status -o json failed: $(tail -n 3 "$T/ctl.err")"
assert_eq "status -o json state" clean "$(json_fields state <"$T/status.json")"

entries >"$T/before" || exit 1
last_before=$(tail -n 1 "$T/before" | cut -f 1)
assert_eq "entries before" 500 "$(wc -l <"$T/before")"
assert_eq "last seq before" 500 "$last_before"

start_daemon
grep -q "next seq $((last_before + 1))\$" "$DERR" ||
    fail "the restarted daemon does not start at seq $((last_before + 1))"
grep -q "was not closed cleanly" "$DERR" &&
    fail "a clean ring was reported as not closed cleanly"
loadgen -t two -n 500 2>"$T/lg.err" || fail "loadgen two: $(cat "$T/lg.err")"

entries >"$T/after" || exit 1
range=$(check_gapless "$T/after") || fail "sequence numbers: $range"
assert_eq "seq range after the restart" "1 1000 1000" "$range"
head -n 500 "$T/after" | cmp -s - "$T/before" ||
    fail "the old entries changed across the restart"
first_two=$(awk -F '\t' '$3 == "two" { print $1; exit }' "$T/after")
assert_eq "first seq after the restart" "$((last_before + 1))" "$first_two"
awk -F '\t' 'NR > 500 && ($3 != "two" || $5 != "two " NR - 500) { exit 1 }' \
    "$T/after" || fail "entries after the restart are not two 1..500"
stop_daemon
assert_eq "opens counted in the header" 2 "$(header_field opens)"
assert_eq "dirty opens" 0 "$(header_field dirty_opens)"
