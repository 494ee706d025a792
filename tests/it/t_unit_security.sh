#!/bin/bash
# systemd/mmlogd.service.in, made as `make install` makes it:
#   - systemd-analyze verify accepts it with mmlogd.socket and the
#     intakes' socket units (mmlogd-syslog, -devlog, -journal, -stdout,
#     -kmsg.socket, and -stream.socket, mmlogctl run's);
#   - systemd-analyze security --offline=yes rates its exposure at most
#     2.0 ("OK" or better);
#   - its SystemCallFilter= lets mmlogd do its work: a real mmlogd runs
#     under strace, socket-activated, with a notification socket and a
#     watchdog, serves writers that ask for ACKs, STATS and a follower,
#     takes SIGHUP and stops on SIGTERM; every system call it made (sync
#     thread included) must be in the set the unit allows, expanded
#     with systemd-analyze syscall-filter; and so must a mmlogd passed
#     the intakes' sockets and /dev/kmsg (activate.c, as the socket
#     units pass them), fed by each.  Under a sanitizer build the
#     runtime's own calls would not be the daemon's: that part is left
#     out there.
# Needs no running systemd.  Skipped only where systemd-analyze lacks
# --offline (systemd < 250).
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$T/units"
sed -e "s|@SBINDIR@|$IT_BUILD|g" "$REPO/systemd/mmlogd.service.in" \
    >"$T/units/mmlogd.service"
cp "$REPO/systemd/mmlogd.socket" "$REPO"/systemd/mmlogd-*.socket "$T/units/"
unit_rate "$T/units" mmlogd.service mmlogd.socket mmlogd-syslog.socket \
    mmlogd-devlog.socket mmlogd-journal.socket mmlogd-stdout.socket \
    mmlogd-kmsg.socket mmlogd-stream.socket

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

# The intakes: every socket unit's descriptor and /dev/kmsg, as systemd
# passes them, each fed by a client, under strace.
DAEMON_N=2
DERR=$LOGS/mmlogd.2.err
"$HELPERS/activate" mmlogd:seqpacket:"$T/s2" syslog:dgram:"$T/sl" \
    journal:dgram:"$T/js" stdout:stream:"$T/ss" kmsg:kmsg -- \
    strace -ff -qq -o "$T/itrace" sh -c 'LISTEN_PID=$$ exec "$@"' sh \
    "$MMLOGD" --socket "$T/unused2.sock" --file "$T/ring2" --size 1M \
    --sync-interval 50 2>"$DERR" </dev/null &
act=$!
track $act
wait_for "$(tmo 20)" grep -qs ' ready: ' "$DERR" || fail "mmlogd with the intakes did not get ready"
logger -u "$T/sl" -t unit-syslog "to the syslog socket" || fail "logger"
python3 - "$T/js" "$T/ss" <<'EOP' || fail "journal and stdout clients"
import array, fcntl, os, socket, sys
j = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
j.sendto(b"MESSAGE=datagram\nSYSLOG_IDENTIFIER=unit-journal\n", sys.argv[1])
fd = os.memfd_create("t", os.MFD_ALLOW_SEALING)
os.write(fd, b"MESSAGE=memfd\nSYSLOG_IDENTIFIER=unit-memfd\n")
fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW |
    fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL)
j.sendmsg([b""], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))],
    0, sys.argv[1])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[2])
s.sendall(b"unit-stdout\n\n6\n1\n0\n0\n0\nto the stdout socket\n")
s.close()
EOP
printf '<5>unit-kmsg: to the kernel log %s\n' "$$" >/dev/kmsg
DPID=$(pgrep -f "^$MMLOGD --socket $T/unused2.sock" | head -n 1)
[ -n "$DPID" ] || fail "cannot find the daemon's pid"
got() {
	"$MMLOGCTL" --file "$T/ring2" show -o json 2>/dev/null >"$T/u.json" &&
	    for t in unit-syslog unit-journal unit-memfd unit-stdout unit-kmsg; do
		grep -q "\"SYSLOG_IDENTIFIER\":\"$t\"" "$T/u.json" || return 1
	    done
}
wait_for "$(tmo 10)" got || fail "the intakes did not store: $(json_fields SYSLOG_IDENTIFIER <"$T/u.json" | sort -u | tr '\n' ' ')"
kill -HUP "$DPID"
sleep 0.5
kill -TERM "$DPID"
wait_exit "$act" "$(tmo 20)" || fail "mmlogd with the intakes did not stop"
assert_eq "exit status under strace, with the intakes" 0 "$EXIT_CODE"
calls_allowed "$T/units/mmlogd.service" "$MMLOGD" "$T"/itrace.*
exit 0
