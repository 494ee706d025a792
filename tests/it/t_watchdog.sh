#!/bin/bash
# The watchdog and STATUS= on a notification socket the test owns.  With
# WATCHDOG_USEC=1000000 the loop sends WATCHDOG=1 about twice a second:
# counted over the daemon's first six seconds, at least one per period
# (what systemd needs) and not more than three (no flood).  STATUS= says
# how many clients are connected, the entries, a rate in entries/s and
# the durable sequence number.
. "$(dirname "$0")/lib.sh"

NOTIFY=$T/notify
"$HELPERS/notifylisten" "$NOTIFY" "$(tmo 60)" >"$T/notify.out" \
    2>"$T/notify.err" &
track $!
wait_for 5 test -S "$NOTIFY" || fail "notifylisten did not bind"

DAEMON_N=1
DERR=$LOGS/mmlogd.1.err
NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=1000000 sh -c \
    'export WATCHDOG_PID=$$; exec "$@"' sh \
    "$MMLOGD" --socket "$SOCK" --file "$RING" --size 1M 2>"$DERR" </dev/null &
DPID=$!
track $DPID

from_daemon() {	# from_daemon REGEX: lines the daemon sent that match
	awk -F '\t' -v pid="$DPID" -v re="$1" '$2 == pid && $0 ~ re' "$T/notify.out"
}
sent() { from_daemon "$1" | grep -q .; }
wait_for "$(tmo 10)" sent 'READY=1' || fail "no READY=1"

# A follower stays connected; 500 acknowledged entries.
timeout -k 2 "$(tmo 60)" "$MMLOGCTL" show -f -o cat >"$T/follow.out" 2>"$T/follow.err" &
track $!
loadgen -t wd -n 500 -a >/dev/null 2>"$T/lg.err" || fail "loadgen failed"
want='STATUS=1 clients, 500 entries, [0-9]+ entries/s, durable up to seq 500'
wait_for "$(tmo 15)" sent "$want" ||
    fail "no '$want': $(from_daemon STATUS | tail -n 3)"
from_daemon 'STATUS=.* [1-9][0-9]* entries/s' | grep -q . ||
    fail "no STATUS with a rate: $(from_daemon STATUS)"

ready_ms=$(from_daemon 'READY=1' | head -n 1 | cut -f 1)
end_ms=$((ready_ms + 6000))
past_end() { [ "$(tail -n 1 "$T/notify.out" | cut -f 1)" -gt "$end_ms" ]; }
wait_for "$(tmo 15)" past_end ||
    fail "notifications stopped"
n=$(from_daemon '(^|\t)WATCHDOG=1(\t|$)' | awk -F '\t' -v a="$ready_ms" \
    -v b="$end_ms" '$1 >= a && $1 < b { n++ } END { print n + 0 }')
note "$n WATCHDOG=1 in 6 s with WatchdogSec=1s"
[ "$n" -ge 6 ] || fail "$n WATCHDOG=1 in 6 s: fewer than one per period"
[ "$n" -le 18 ] || fail "$n WATCHDOG=1 in 6 s: more than three per period"

kill -TERM "$DPID"
wait_exit "$DPID" "$(tmo 20)" || fail "mmlogd did not stop"
assert_eq "exit status" 0 "$EXIT_CODE"
