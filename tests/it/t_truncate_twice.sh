#!/bin/bash
# The ring truncated under the daemon again and again: each SIGBUS is
# turned into an error (the handler leaves by siglongjmp, so SIGBUS must
# not stay blocked after the first), the size is restored each time, and
# the daemon keeps serving.  No sync runs unasked (a long interval), so
# each truncation is met by the append of the next entry, as a SIGBUS; a
# sync that met it first would find the file short and repair it without
# one (t_truncate_header covers that).
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 1M --sync-interval 600000
loadgen -t before -n 500 -z 100 >/dev/null 2>"$T/lg.err" ||
    fail "loadgen: $(cat "$T/lg.err")"
for round in 1 2 3; do
	truncate -s 4096 "$RING"
	loadgen -t "hit$round" -n 1 -a >/dev/null 2>&1
	alive "$DPID" || { wait "$DPID"; fail "round $round: mmlogd died ($?)"; }
	loadgen -t "after$round" -n 20 -a >"$T/after$round" 2>"$T/lg.err" ||
	    fail "round $round: loadgen: $(cat "$T/lg.err")"
	assert_eq "round $round: ACKs" 20 "$(wc -l <"$T/after$round")"
done
[ "$(stats_field bus_errors)" -ge 3 ] ||
    fail "bus_errors is $(stats_field bus_errors), expected 3 or more"
assert_eq "truncations repaired" 3 \
    "$(grep -c 'was truncated to 4096 bytes under mmlogd' "$DERR")"
ctl --file "$RING" show -o json >"$T/show.json" 2>/dev/null ||
    fail "show failed"
# Each truncation took every record with it; the last round's are there.
n=$(grep -c '"MESSAGE" *: *"after3 ' "$T/show.json")
assert_eq "entries of the last round shown" 20 "$n"
stop_daemon
