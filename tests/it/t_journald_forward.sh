#!/bin/bash
# A real systemd-journald forwarding to mmlogd, as on a Debian host where
# mmlogd takes rsyslog's place (ForwardToSyslog=yes to syslog.socket):
# journald runs in a journal namespace of its own inside a private mount
# namespace (../shared/recipes/journald-in-a-namespace.md), with its
# syslog socket /run/systemd/journal.t/syslog being mmlogd's
# --syslog-socket.  What journald's clients log (systemd-cat, logger
# --journald, a syslog datagram to journald's /dev/log) reaches mmlogd
# with the original sender's pid (journald passes it on with
# SCM_CREDENTIALS), identifier and priority.  Nothing on the machine
# changes; everything lives in the namespace and $T.
. "$(dirname "$0")/lib.sh"

need_ctl
JD=/lib/systemd/systemd-journald
[ -x "$JD" ] || JD=/usr/lib/systemd/systemd-journald
[ -x "$JD" ] || fail "systemd-journald is not installed (package systemd)"
DAEMON_N=1
DERR=$LOGS/mmlogd.1.err

unshare -m --propagation private bash -c '
	T=$1 MMLOGD=$2 JD=$3 SOCK=$4 RING=$5 DERR=$6
	mount -t tmpfs -o mode=0755 tmpfs /run/systemd || exit 1
	mkdir -p /run/log && mount -t tmpfs -o mode=0755 tmpfs /run/log || exit 1
	mkdir -p /run/systemd/journald@t.conf.d /run/systemd/journal.t
	printf "[Journal]\nStorage=volatile\nForwardToSyslog=yes\n%s\n" \
	    "RateLimitIntervalSec=0
ReadKMsg=no
Audit=" >/run/systemd/journald@t.conf.d/test.conf
	# The receiver first, as syslog.socket is there before journald.
	"$MMLOGD" --socket "$SOCK" --file "$RING" --size 4M \
	    --syslog-socket /run/systemd/journal.t/syslog 2>"$DERR" &
	mpid=$!
	for i in $(seq 100); do
		grep -q " ready: " "$DERR" && break
		sleep 0.1
	done
	ln -s journal.t /run/systemd/journal
	SYSTEMD_LOG_TARGET=console "$JD" t >"$T/journald.out" 2>&1 &
	jpid=$!
	for i in $(seq 100); do
		[ -S /run/systemd/journal.t/stdout ] && break
		sleep 0.1
	done
	[ -S /run/systemd/journal.t/stdout ] || { echo "journald did not start"; exit 1; }
	systemd-cat -t demo -p warning sh -c "echo \"cat pid \$\$\"; sleep 1" || exit 1
	printf "MESSAGE=native\nSYSLOG_IDENTIFIER=nat\nPRIORITY=2\n" | logger --journald || exit 1
	logger -u /run/systemd/journal.t/dev-log -t viasyslog -p local5.err "syslog via journald" || exit 1
	python3 -c "
import socket, os, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b\"<13>pyfwd[%d]: python pid %d\" % (os.getpid(), os.getpid()), \"/run/systemd/journal.t/dev-log\")
time.sleep(1)
" || exit 1
	# journald forwards as it stores; mmlogd has them when it stops.
	sleep 1
	kill "$jpid"; wait "$jpid"
	kill "$mpid"; wait "$mpid"
	echo "mmlogd exited $?"
' bash "$T" "$MMLOGD" "$JD" "$SOCK" "$RING" "$DERR" >"$T/ns.out" 2>&1 ||
    fail "in the namespace: $(cat "$T/ns.out"; tail -n 5 "$T/journald.out")"
grep -q "mmlogd exited 0" "$T/ns.out" || fail "mmlogd: $(cat "$T/ns.out")"
grep -q 'ring closed clean' "$DERR" || fail "mmlogd did not stop in order"

ctl --file "$RING" show -o json >"$T/all.json" || fail "show -o json"
tag() { grep "\"SYSLOG_IDENTIFIER\":\"$1\"" "$T/all.json"; }
[ -n "$(tag demo)" ] || fail "nothing from systemd-cat: $(head -c 2000 "$T/all.json")"
tag demo | json_fields PRIORITY SYSLOG_FACILITY _PID SYSLOG_PID _TRANSPORT \
    _COMM MESSAGE >"$T/demo"
cpid=$(sed -n 's/.*\tcat pid \([0-9]*\)$/\1/p' "$T/demo")
assert_eq "systemd-cat through journald" "4	1	$cpid	$cpid	syslog	sh	cat pid $cpid" \
    "$(cat "$T/demo")"
tag nat | json_fields PRIORITY _TRANSPORT MESSAGE >"$T/nat"
assert_eq "logger --journald through journald" "2	syslog	native" "$(cat "$T/nat")"
tag viasyslog | json_fields PRIORITY SYSLOG_FACILITY MESSAGE >"$T/vs"
assert_eq "syslog through journald" "3	21	syslog via journald" "$(cat "$T/vs")"
tag pyfwd | json_fields _PID SYSLOG_PID _COMM MESSAGE >"$T/py"
ppid=$(sed -n 's/.*\tpython pid \([0-9]*\)$/\1/p' "$T/py")
assert_eq "the original sender's pid" "$ppid	$ppid	python3	python pid $ppid" \
    "$(cat "$T/py")"
note "journald (systemd $(systemctl --version | sed -n "1s/systemd \([0-9]*\).*/\1/p")) forwarded 4 entries with their senders' pids"
exit 0
