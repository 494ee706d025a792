#!/bin/bash
# The sd_notify protocol, on a notification socket the test owns: READY=1
# (with MAINPID) once the daemon serves, WATCHDOG=1 several times a second
# with WATCHDOG_USEC=200000 for its own pid, STOPPING=1 on SIGTERM.  A
# watchdog meant for another pid is not kept.
. "$(dirname "$0")/lib.sh"

NOTIFY=$T/notify
"$HELPERS/notifylisten" "$NOTIFY" "$(tmo 60)" >"$T/notify.out" \
    2>"$T/notify.err" &
track $!
wait_for 5 test -S "$NOTIFY" || fail "notifylisten did not bind"

DAEMON_N=1
DERR=$LOGS/mmlogd.1.err
NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=200000 sh -c \
    'export WATCHDOG_PID=$$; exec "$@"' sh \
    "$MMLOGD" --socket "$SOCK" --file "$RING" --size 1M 2>"$DERR" </dev/null &
DPID=$!
track $DPID

has() {		# has ASSIGNMENT: a datagram from the daemon carries it
	awk -F '\t' -v pid="$DPID" -v a="$1" \
	    '$2 == pid { for (i = 3; i <= NF; i++) if ($i == a) f = 1 }
	    END { exit !f }' "$T/notify.out"
}
wait_for "$(tmo 10)" has READY=1 || fail "no READY=1: $(cat "$T/notify.out")"
grep -q ' ready: ' "$DERR" || fail "READY=1 before the daemon said it is ready"
has "MAINPID=$DPID" || fail "READY without MAINPID=$DPID"
# Ready means serving.
loadgen -t n -n 10 -a >/dev/null 2>"$T/lg.err" || fail "not serving after READY=1"

ready_ms=$(awk -F '\t' '/READY=1/ { print $1; exit }' "$T/notify.out")
sleep 1.3
n=$(awk -F '\t' -v pid="$DPID" -v t0="$ready_ms" \
    '$2 == pid && $1 >= t0 && $1 <= t0 + 1100 && /(^|\t)WATCHDOG=1(\t|$)/ { n++ }
    END { print n + 0 }' "$T/notify.out")
note "$n WATCHDOG=1 in the first 1.1 s"
[ "$n" -ge 4 ] || fail "only $n WATCHDOG=1 within 1.1 s (WATCHDOG_USEC=200000)"

kill -TERM "$DPID"
wait_exit "$DPID" "$(tmo 20)" || fail "mmlogd did not stop"
assert_eq "exit status" 0 "$EXIT_CODE"
wait_for 5 has STOPPING=1 || fail "no STOPPING=1: $(tail -n 3 "$T/notify.out")"
# STOPPING=1 is the last word.
last=$(awk -F '\t' -v pid="$DPID" '$2 == pid { l = $0 } END { print l }' "$T/notify.out")
case $last in *STOPPING=1*) ;; *) fail "after STOPPING=1 came: $last" ;; esac

# WATCHDOG_PID names someone else: no watchdog pings, but READY=1.
: >"$T/notify.out"
DAEMON_N=2
DERR=$LOGS/mmlogd.2.err
NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=200000 WATCHDOG_PID=1 \
    "$MMLOGD" --socket "$SOCK" --file "$RING" 2>"$DERR" </dev/null &
DPID=$!
track $DPID
wait_for "$(tmo 10)" has READY=1 || fail "second daemon: no READY=1"
sleep 0.6
has WATCHDOG=1 && fail "WATCHDOG=1 sent although WATCHDOG_PID is not ours"
kill -TERM "$DPID"
wait_exit "$DPID" "$(tmo 20)" || fail "second mmlogd did not stop"
assert_eq "exit status" 0 "$EXIT_CODE"
