#!/bin/bash
# One user must not take the stdout streams of the others, above all
# those PID 1 connects as root for the services' output: an ordinary uid
# (65534, setpriv, with intakepeer) holds at most --max-clients-per-uid
# streams, and ordinary uids together all but --reserved-clients of
# --max-streams.  Each stream refused is counted (stdout_errors) and
# logged; another user's streams, and root's, are taken meanwhile.
. "$(dirname "$0")/lib.sh"

need_ctl
need_setpriv
chmod 0755 "$T"		# the socket must be reachable for other uids
SS=$T/stdout.sock
peer() {
	timeout -k 2 "$(tmo 60)" "$HELPERS/intakepeer" "$@"
}
# stored N: the ring holds N lines of intakepeer's streams.
stored() {
	ctl --file "$RING" show -o json -t streams >"$T/streams.json" &&
	    [ "$(wc -l <"$T/streams.json")" = "$1" ]
}

# 1. Per uid: 65534 asks for 12 streams and may hold 5; 65533 still
# gets its own.
start_daemon --size 4M --stdout-socket "$SS" --max-streams 20 \
    --max-clients-per-uid 5 --reserved-clients 4 --idle-timeout 600
as 65534 "$HELPERS/intakepeer" -w "$(tmo 4)" streams "$SS" 12 \
    >"$T/h1.out" 2>&1 &
h=$!
track $h
wait_for "$(tmo 10)" stats_is stdout_errors 7 ||
    fail "streams of uid 65534 refused: $(stats_field stdout_errors) of 7"
as 65533 "$HELPERS/intakepeer" streams "$SS" 3 >"$T/o1.out" 2>&1 ||
    fail "uid 65533: $(cat "$T/o1.out")"
wait_for "$(tmo 10)" stored 8 ||
    fail "lines stored: $(wc -l <"$T/streams.json") of 5 + 3"
wait $h
untrack $h
assert_eq "uid 65534's streams closed" "streams 12 closed 7" "$(cat "$T/h1.out")"
assert_eq "refusals" 7 "$(stats_field stdout_errors)"
grep -q 'uid 65534 .* refusing its stream' "$DERR" ||
    fail "the refusal was not logged"
stop_daemon

# 2. A per-uid limit above the table: 65534 holds all but the reserve,
# and root's streams (the services') still come in.
rm -f "$RING"
start_daemon --size 4M --stdout-socket "$SS" --max-streams 20 \
    --max-clients-per-uid 1000 --reserved-clients 4 --idle-timeout 600
as 65534 "$HELPERS/intakepeer" -w "$(tmo 4)" streams "$SS" 30 \
    >"$T/h2.out" 2>&1 &
h=$!
track $h
wait_for "$(tmo 10)" stats_is stdout_errors 14 ||
    fail "streams of uid 65534 refused: $(stats_field stdout_errors) of 14"
peer streams "$SS" 3 >"$T/o2.out" 2>&1 || fail "root: $(cat "$T/o2.out")"
wait_for "$(tmo 10)" stored 19 ||
    fail "lines stored: $(wc -l <"$T/streams.json") of 16 + 3"
wait $h
untrack $h
assert_eq "uid 65534's streams closed" "streams 30 closed 14" "$(cat "$T/h2.out")"
assert_eq "refusals" 14 "$(stats_field stdout_errors)"
stop_daemon
note "one uid holds at most its share of the stdout streams; others and root get in"
