#!/bin/bash
# systemd/mmlogd.service.in, made as `make install` makes it:
#   - systemd-analyze verify accepts it with mmlogd.socket;
#   - systemd-analyze security --offline=yes rates its exposure at most
#     2.0 ("OK" or better);
#   - its SystemCallFilter= lets mmlogd do its work: a real mmlogd runs
#     under strace, socket-activated, with a notification socket and a
#     watchdog, serves writers that ask for ACKs, STATS and a follower,
#     takes SIGHUP and stops on SIGTERM; every system call it made (sync
#     thread included) must be in the set the unit allows, expanded
#     with systemd-analyze syscall-filter.  Under a sanitizer build the
#     runtime's own calls would not be the daemon's: that part is left
#     out there.
# Needs no running systemd.  Skipped only where systemd-analyze lacks
# --offline (systemd < 250).
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$T/units"
sed -e "s|@SBINDIR@|$IT_BUILD|g" "$REPO/systemd/mmlogd.service.in" \
    >"$T/units/mmlogd.service"
cp "$REPO/systemd/mmlogd.socket" "$T/units/"
unit_rate "$T/units" mmlogd.service mmlogd.socket

grep -q __asan_init "$MMLOGD" && { note "sanitizer build: no syscall check"; exit 0; }
command -v strace >/dev/null || fail "strace is not installed (tests/deps.sh)"
command -v systemd-socket-activate >/dev/null ||
    fail "systemd-socket-activate is not installed"


NOTIFY=$T/notify
"$HELPERS/notifylisten" "$NOTIFY" "$(tmo 60)" >"$T/notify.out" \
    2>"$T/notify.err" &
track $!
wait_for 5 test -S "$NOTIFY" || fail "notifylisten did not bind"
DAEMON_N=1
DERR=$LOGS/mmlogd.1.err
systemd-socket-activate --seqpacket -l "$SOCK" \
    -E NOTIFY_SOCKET="$NOTIFY" -E WATCHDOG_USEC=400000 \
    strace -ff -qq -o "$T/trace" sh -c 'LISTEN_PID=$$ exec "$@"' sh \
    "$MMLOGD" --socket "$T/unused.sock" --file "$RING" --size 1M \
    --sync-interval 50 --idle-timeout 1 2>"$DERR" </dev/null &
act=$!
track $act
# It says so once it listens (the socket file exists a moment earlier).
wait_for "$(tmo 10)" grep -qs 'Listening on' "$DERR" ||
    fail "systemd-socket-activate did not listen"
loadgen -t unit -n 300 -a >/dev/null 2>"$T/lg.err" ||
    fail "not served under strace: $(cat "$T/lg.err")"
DPID=$(pgrep -f "^$MMLOGD --socket $T/unused.sock" | head -n 1)
[ -n "$DPID" ] || fail "cannot find the daemon's pid"
badpeer subscribe 1 >"$T/sub.out" 2>&1 || fail "subscribe: $(cat "$T/sub.out")"
stats_field entries >/dev/null
kill -HUP "$DPID"
loadgen -t unit2 -n 10 -a >/dev/null 2>"$T/lg.err" || fail "not served after SIGHUP"
sleep 1.5	# idle sweep and watchdog pings, both on timers
# The daemon is strace's child: strace exits with its status.
kill -TERM "$DPID"
wait_exit "$act" "$(tmo 20)" || fail "mmlogd did not stop on SIGTERM"
assert_eq "exit status under strace" 0 "$EXIT_CODE"
grep -q 'ring closed clean' "$DERR" || fail "no clean close"
# One file per thread (-ff); in the main one, only what follows the
# exec of mmlogd (strace runs sh, which sets LISTEN_PID to its own pid,
# the daemon's pid once it execs).
calls_allowed "$T/units/mmlogd.service" "$MMLOGD" "$T"/trace.*
exit 0
