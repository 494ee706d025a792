#!/bin/bash
# Socket activation: systemd-socket-activate listens (SOCK_SEQPACKET) and
# starts mmlogd on the first connection, passing the socket.  The daemon
# says it got the socket from systemd, tells the notification socket
# READY=1 with its pid, and the clients' entries land.
. "$(dirname "$0")/lib.sh"

command -v systemd-socket-activate >/dev/null ||
    fail "systemd-socket-activate is not installed"
NOTIFY=$T/notify
"$HELPERS/notifylisten" "$NOTIFY" "$(tmo 60)" >"$T/notify.out" \
    2>"$T/notify.err" &
track $!
wait_for 5 test -S "$NOTIFY" || fail "notifylisten did not bind"

DAEMON_N=1
DERR=$LOGS/mmlogd.1.err
# The daemon binds nothing itself: --socket names a path that must stay
# unused.  No timeout(1) in between: systemd-socket-activate execs mmlogd,
# so $DPID is the daemon (the trap kills it; run.sh bounds the test).
systemd-socket-activate --seqpacket -l "$SOCK" \
    -E NOTIFY_SOCKET="$NOTIFY" \
    "$MMLOGD" --socket "$T/unused.sock" --file "$RING" --size 1M \
    2>"$DERR" </dev/null &
DPID=$!
track $DPID
wait_for "$(tmo 10)" test -S "$SOCK" || fail "systemd-socket-activate did not listen"

# The first connection starts the daemon.
loadgen -t act -n 200 -a >"$T/acked" 2>"$T/lg.err" ||
    fail "loadgen through the activated socket: $(cat "$T/lg.err")"
assert_eq "acked entries" 200 "$(wc -l <"$T/acked")"
loadgen -t act2 -n 300 2>"$T/lg2.err" || fail "second client: $(cat "$T/lg2.err")"

grep -q ' ready: ' "$DERR" || fail "mmlogd did not get ready"
grep -q '(from systemd)' "$DERR" ||
    fail "mmlogd does not say the socket came from systemd"
[ -e "$T/unused.sock" ] && fail "mmlogd bound --socket although activated"
# READY=1 from the daemon itself (systemd-socket-activate execs it).
awk -F '\t' -v pid="$DPID" '$2 == pid { for (i = 3; i <= NF; i++) if ($i == "READY=1") f = 1 }
    END { exit !f }' "$T/notify.out" ||
    fail "no READY=1 from pid $DPID: $(cat "$T/notify.out")"

entries >"$T/shown" || exit 1
range=$(check_gapless "$T/shown") || fail "$range"
assert_eq "entries" "1 500 500" "$range"
awk -F '\t' '$3 == "act" && $5 == "act " NR { a++ } $3 == "act2" && $5 == "act2 " NR - 200 { b++ }
    END { exit !(a == 200 && b == 300) }' "$T/shown" ||
    fail "entries are not act 1..200, act2 1..300"

kill -TERM "$DPID"
wait_exit "$DPID" "$(tmo 20)" || fail "mmlogd did not stop"
assert_eq "exit status after SIGTERM" 0 "$EXIT_CODE"
grep -q 'ring closed clean' "$DERR" || fail "no clean close"
