#!/bin/bash
# Sockets handed over by systemd are told apart by FileDescriptorName=
# (activate.c stands in for the socket units): mmlogd, syslog, journal,
# stdout and kmsg, each served without a path configured, none unlinked
# by the daemon; two of a role (mmlogd-stdout.socket and the plain
# install's mmlogd-stream.socket, whose /run/mmlogd/stdout is where
# `mmlogctl run` goes by default, beside the daemon's socket) each
# served; a role systemd passes replaces the configured path; an
# unknown name or a descriptor of the wrong kind is refused at start.
# The sockets mmlogd binds itself are mode 0666 from the start whatever
# the umask, and only in a directory root or mmlogd controls.
. "$(dirname "$0")/lib.sh"

need_ctl
ACT=$HELPERS/activate

# --- Every role from "systemd".
DAEMON_N=1
DERR=$LOGS/mmlogd.1.err
"$ACT" mmlogd:seqpacket:"$SOCK" syslog:dgram:"$T/sl" journal:dgram:"$T/js" \
    stdout:stream:"$T/ss" stdout:stream:"$(dirname "$SOCK")/stdout" kmsg:kmsg -- \
    "$MMLOGD" --socket "$T/unused.sock" --file "$RING" --size 4M \
    --syslog-socket "$T/configured.sock" 2>"$DERR" </dev/null &
DPID=$!
track "$DPID"
wait_for "$(tmo 20)" _daemon_ready || fail "mmlogd did not get ready"
alive "$DPID" || fail "mmlogd exited at start: $(cat "$DERR")"
for r in syslog journal stdout kmsg; do
	grep -q "$r intake on a descriptor from systemd" "$DERR" ||
	    fail "no $r intake from systemd: $(cat "$DERR")"
done
grep -q "(from systemd)" "$DERR" || fail "our own socket not from systemd"
[ -e "$T/unused.sock" ] && fail "--socket bound although passed"
[ -e "$T/configured.sock" ] && fail "--syslog-socket bound although passed"
logger -u "$T/sl" -t act-syslog "via the syslog descriptor" || fail "logger"
python3 - "$T/js" "$T/ss" <<'EOP' || fail "python clients"
import socket, sys
j = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
j.sendto(b"MESSAGE=via the journal descriptor\nSYSLOG_IDENTIFIER=act-journal\n", sys.argv[1])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[2])
s.sendall(b"act-stdout\n\n6\n0\n0\n0\n0\nvia the stdout descriptor\n")
s.close()
EOP
ID="act$$x$RANDOM"
printf '<5>act-kmsg: %s\n' "$ID" >/dev/kmsg
loadgen -t act-mmlog -n 1 -a >/dev/null 2>"$T/lg.err" || fail "loadgen: $(cat "$T/lg.err")"
[ "$(grep -c "stdout intake on a descriptor from systemd" "$DERR")" = 2 ] ||
    fail "not two stdout intakes: $(cat "$DERR")"
"$MMLOGCTL" --socket "$SOCK" run -t act-run -- sh -c 'echo via mmlogctl run' \
    2>"$T/run.err" || fail "mmlogctl run to the default stream socket: $(cat "$T/run.err")"
got() {
	ctl --file "$RING" show -o json >"$T/all.json" &&
	    for t in act-syslog act-journal act-stdout act-kmsg act-mmlog act-run; do
		grep -q "\"SYSLOG_IDENTIFIER\":\"$t\"" "$T/all.json" || return 1
	    done
}
wait_for "$(tmo 10)" got || fail "not every intake stored: $(json_fields SYSLOG_IDENTIFIER <"$T/all.json" | sort | uniq -c)"
stop_daemon
for f in "$SOCK" "$T/sl" "$T/js" "$T/ss" "$(dirname "$SOCK")/stdout"; do
	[ -S "$f" ] || fail "$f was unlinked: systemd's, not the daemon's"
done

# --- Refused: an unknown name, a descriptor of the wrong kind.
# activated DESC ACTIVATE-ARGS...: mmlogd under activate must exit 1.
activated() {
	local desc=$1
	shift
	DAEMON_N=$((DAEMON_N + 1))
	DERR=$LOGS/mmlogd.$DAEMON_N.err
	timeout -k 2 "$(tmo 20)" "$ACT" "$@" 2>"$DERR" </dev/null
	EXIT_CODE=$?
	assert_eq "$desc: exit status" 1 "$EXIT_CODE"
}
activated "unknown name" mmlogd:seqpacket:"$T/s2" bogus:dgram:"$T/b" -- \
    "$MMLOGD" --file "$T/r2" --size 1M
grep -q "named 'bogus', which mmlogd does not know" "$DERR" ||
    fail "unknown name: $(cat "$DERR")"
activated "wrong kind" journal:stream:"$T/b2" -- \
    "$MMLOGD" --socket "$T/s3" --file "$T/r3" --size 1M
grep -q "passed as 'journal' is not a SOCK_DGRAM" "$DERR" ||
    fail "wrong kind: $(cat "$DERR")"

# --- Our own sockets: 0666 whatever the umask; the directory checked.
mkdir -m 0700 "$T/own"
(umask 0077 && exec "$MMLOGD" --socket "$T/own/m.sock" --file "$T/r4" \
    --size 1M --syslog-socket "$T/own/sl" --journal-socket "$T/own/js" \
    --stdout-socket "$T/own/ss") 2>"$LOGS/umask.err" </dev/null &
DPID=$!
track "$DPID"
DERR=$LOGS/umask.err
wait_for "$(tmo 20)" _daemon_ready || fail "mmlogd did not get ready"
for f in m.sock sl js ss; do
	assert_eq "mode of $f under umask 077" 666 "$(stat -c %a "$T/own/$f")"
done
stop_daemon
mkdir -m 0777 "$T/ww"
run_refused "world-writable directory" --socket "$T/s5" --file "$T/r5" \
    --size 1M --syslog-socket "$T/ww/sl"
grep -q "writable by anyone and not sticky" "$DERR" || fail "ww: $(cat "$DERR")"
mkdir -m 0755 "$T/other"
chown nobody "$T/other"
run_refused "directory of another user" --socket "$T/other/s" \
    --file "$T/r6" --size 1M
grep -q "belongs to uid" "$DERR" || fail "other: $(cat "$DERR")"
mkdir -m 1777 "$T/sticky"
start_daemon --size 1M --syslog-socket "$T/sticky/sl"
[ -S "$T/sticky/sl" ] || fail "no socket in a sticky directory"
stop_daemon
exit 0
