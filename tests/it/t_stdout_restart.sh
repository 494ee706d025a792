#!/bin/bash
# A restart of mmlogd, or a crash, does not cut the services' stdout
# streams: each is kept in the service manager's file descriptor store
# (svcmgr.py stands in for systemd: a socket, a notification socket, a
# store, Restart=always), and the next mmlogd goes on with it.
# - `mmlogctl run` writes a line, half a line, then (SIGTERM restart) the
#   rest of it, then (SIGKILL restart) one more: exactly three entries,
#   the split line whole, all with the writer's pid and one _STREAM_ID;
#   the writer never sees an error; once it ends, its descriptor leaves
#   the store and its state file is removed.
# - 40 more streams of one client cross a restart, each with its id.
# - A stored stream whose state file is gone is closed and taken out of
#   the store (its writer sees its end instead of blocking for ever).
# - Stopped for good (the store let go) with half a line kept: the next
#   start stores that half (_LINE_BREAK=eof) and removes the file.
# - Without a service manager, nothing is stored.
. "$(dirname "$0")/lib.sh"

need_ctl
M=$T/mgr
mkdir -p "$M"
SS=$T/stdout
STORE=$T/streams	# beside $SOCK

mgr_start() {
	DAEMON_N=$((DAEMON_N + 1))
	DERR=$LOGS/mmlogd.$DAEMON_N.err
	python3 "$(dirname "$0")/svcmgr.py" "$M" "$SS" "$MMLOGD" \
	    --socket "$SOCK" --file "$RING" --size 4M 2>>"$DERR" </dev/null &
	MPID=$!
	track "$MPID"
}
# readies N: the manager saw N READY=1 in all.
readies() {
	local n
	n=$(grep -c '^ready' "$M/log" 2>/dev/null)
	[ "${n:-0}" -ge "$1" ]
}
mgr_has() { grep -q "^$1" "$M/log"; }
daemon_pid() { cat "$M/pid"; }
# restart SIGNAL N: signals the daemon; the manager starts it again, the
# N-th to say READY=1.
restart() {
	kill "-$1" "$(daemon_pid)"
	wait_for "$(tmo 20)" readies "$2" || fail "no restart $2: $(cat "$M/log")"
}
# fdst ENTRIES: the entries tagged fdst, one per line: message, stream
# id, _LINE_BREAK, _PID.
fdst() {
	ctl --file "$RING" show -o json SYSLOG_IDENTIFIER=fdst |
	    json_fields MESSAGE _STREAM_ID _LINE_BREAK _PID
}
count_tag() {
	ctl --file "$RING" show -o json "SYSLOG_IDENTIFIER=$1" | wc -l
}

mgr_start
wait_for "$(tmo 20)" readies 1 || fail "mmlogd did not start: $(cat "$DERR")"

# The writer: a program run by `mmlogctl run`, writing what the test
# puts in a FIFO, "\n" as a newline, nothing else added.
mkfifo "$T/in"
"$MMLOGCTL" --socket "$SOCK" run --stdout-socket "$SS" -t fdst -- \
    python3 -u -c '
import os, sys
for l in open(sys.argv[1], "rb"):
    os.write(1, l.rstrip(b"\n").replace(b"\\n", b"\n"))
' "$T/in" 2>"$T/w.err" &
WPID=$!
track "$WPID"
exec 7>"$T/in"
echo 'one\n' >&7
wait_for "$(tmo 10)" eval '[ "$(count_tag fdst)" = 1 ]' || fail "no first line"
wait_for "$(tmo 10)" eval 'ls "$STORE"/stream-* >/dev/null 2>&1' ||
    fail "no state file in $STORE"
mgr_has "store stream-" || fail "not handed to the store: $(cat "$M/log")"
WRITER=$(fdst | cut -f4)
ID=$(fdst | cut -f2)

# Half a line, read by mmlogd before it stops; the rest after.
printf 'two-a\n' >&7
sleep 0.3
restart TERM 2
grep -q "1 of 1 stdout streams kept by systemd taken back" "$DERR" ||
    fail "not taken back: $(cat "$DERR")"
echo 'two-b\n' >&7
wait_for "$(tmo 10)" eval '[ "$(count_tag fdst)" = 2 ]' || fail "no line after SIGTERM"

restart KILL 3
echo 'three\n' >&7
wait_for "$(tmo 10)" eval '[ "$(count_tag fdst)" = 3 ]' || fail "no line after SIGKILL"
sleep 0.3
exec 7>&-
wait_exit "$WPID" "$(tmo 10)" || fail "the writer did not end"
assert_eq "the writer's exit status (stderr: $(cat "$T/w.err"))" 0 "$EXIT_CODE"
untrack "$WPID"
fdst >"$T/fdst"
printf '%s\t%s\t-\t%s\n' one "$ID" "$WRITER" two-atwo-b "$ID" "$WRITER" \
    three "$ID" "$WRITER" >"$T/want"
diff "$T/want" "$T/fdst" >&2 || fail "entries after two restarts differ"
wait_for "$(tmo 10)" eval '! ls "$STORE"/stream-* >/dev/null 2>&1' ||
    fail "the state file stayed: $(ls "$STORE")"
wait_for "$(tmo 10)" eval 'grep -Eq "^(hup|remove) stream-" "$M/log"' ||
    fail "the ended stream stayed in the store: $(cat "$M/log")"

# --- 40 streams of one client across a restart.
python3 - "$SS" "$T/many.ctl" <<'EOP' &
import os, socket, sys, time
socks = []
for i in range(40):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(b"many\n\n6\n0\n0\n0\n0\nbefore %d\n" % i)
    socks.append(s)
open(sys.argv[2] + ".1", "w").close()
while not os.path.exists(sys.argv[2] + ".2"):
    time.sleep(0.05)
for i, s in enumerate(socks):
    s.sendall(b"after %d\n" % i)
for s in socks:
    s.close()
EOP
MANY=$!
track "$MANY"
wait_for "$(tmo 10)" test -e "$T/many.ctl.1" || fail "the 40 streams did not connect"
wait_for "$(tmo 10)" eval '[ "$(count_tag many)" = 40 ]' || fail "not 40 first lines"
wait_for "$(tmo 10)" eval '[ "$(grep -c "^store stream-" "$M/log")" -ge 41 ]' ||
    fail "not 40 more streams stored: $(cat "$M/log")"
restart TERM 4
grep -q "40 of 40 stdout streams kept by systemd taken back" "$DERR" ||
    fail "not 40 taken back: $(cat "$DERR")"
: >"$T/many.ctl.2"
wait_exit "$MANY" "$(tmo 10)" || fail "the 40-stream client did not end"
untrack "$MANY"
wait_for "$(tmo 10)" eval '[ "$(count_tag many)" = 80 ]' ||
    fail "not 80 entries: $(count_tag many)"
ctl --file "$RING" show -o json SYSLOG_IDENTIFIER=many |
    json_fields _STREAM_ID MESSAGE | sed 's/\t\(before\|after\) /\t/' |
    sort -u | wc -l >"$T/n"
# Each of the 40 ids has the same number before and after.
assert_eq "distinct (stream id, number) pairs" 40 "$(cat "$T/n")"

# stream_peer NAME BYTES [end]: a stream connected to mmlogd that sends
# BYTES (Python escapes), then waits for $T/NAME.go; with "end", it then
# waits for its end (EOF or an error: the reader gone) and exits 0 if it
# came within 10 s.  Its pid in $PEER; returns once BYTES are sent.
stream_peer() {
	python3 - "$SS" "$T/$1" "$2" "${3:-}" <<'EOP' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.argv[3].encode().decode("unicode_escape").encode("latin-1"))
open(sys.argv[2] + ".sent", "w").close()
while not os.path.exists(sys.argv[2] + ".go"):
    time.sleep(0.05)
if sys.argv[4] != "end":
    sys.exit(0)
s.settimeout(10)
try:
    end = s.recv(1) == b""
except OSError:
    end = True
sys.exit(0 if end else 3)
EOP
	PEER=$!
	track "$PEER"
	wait_for "$(tmo 10)" test -e "$T/$1.sent" || fail "stream $1 did not connect"
}

# --- A stored stream whose state file is gone is closed and let go.
stream_peer lost 'lost\n\n6\n0\n0\n0\n0\nfirst\n' end
LOST=$PEER
wait_for "$(tmo 10)" eval '[ "$(count_tag lost)" = 1 ]' || fail "no line of the lost stream"
wait_for "$(tmo 10)" eval '[ "$(ls "$STORE" | wc -l)" = 1 ]' ||
    fail "not one state file: $(ls "$STORE")"
rm -f "$STORE"/stream-*
restart KILL 5
grep -q "its state file is missing; closing it" "$DERR" ||
    fail "no word of the missing state: $(cat "$DERR")"
wait_for "$(tmo 10)" eval 'grep -Eq "^(remove|hup) stream-" <(sed -n "/^start 5/,\$p" "$M/log")' ||
    fail "the stream stayed in the store: $(cat "$M/log")"
: >"$T/lost.go"
wait_exit "$LOST" "$(tmo 15)" || fail "the lost stream's writer saw no end"
assert_eq "the lost stream's writer saw its end" 0 "$EXIT_CODE"
untrack "$LOST"

# --- Stopped for good with half a line kept.
stream_peer half 'half\n\n6\n0\n0\n0\n0\nwhole\nhalf a li'
HALF=$PEER
wait_for "$(tmo 10)" eval '[ "$(count_tag half)" = 1 ]' || fail "no whole line"
sleep 0.3
kill -TERM "$MPID"
wait_exit "$MPID" "$(tmo 20)" || fail "the manager did not stop"
untrack "$MPID"
mgr_has stop || fail "the manager did not stop in order: $(cat "$M/log")"
grep -q "^kept 9$" "$STORE"/stream-* || fail "the half line is not kept: $(cat "$STORE"/stream-*)"
: >"$T/half.go"
wait_exit "$HALF" "$(tmo 10)" || fail "the half stream did not end"
untrack "$HALF"
assert_eq "entries tagged half while stopped" 1 "$(count_tag half)"
: >"$M/log"
mgr_start
wait_for "$(tmo 20)" readies 1 || fail "mmlogd did not start again: $(cat "$DERR")"
ctl --file "$RING" show -o json SYSLOG_IDENTIFIER=half |
    json_fields MESSAGE _LINE_BREAK >"$T/half"
printf 'whole\t-\nhalf a li\teof\n' >"$T/want"
diff "$T/want" "$T/half" >&2 || fail "the kept half line is not stored"
[ -z "$(ls -A "$STORE")" ] || fail "state files left: $(ls -A "$STORE")"
kill -TERM "$MPID"
wait_exit "$MPID" "$(tmo 20)" || fail "the manager did not stop"
untrack "$MPID"

# --- Without a service manager nothing is stored.
rm -rf "$STORE"
start_daemon --size 4M --stdout-socket "$SS"
"$MMLOGCTL" --socket "$SOCK" run --stdout-socket "$SS" -t plain -- echo plain ||
    fail "mmlogctl run without a manager"
wait_for "$(tmo 10)" eval '[ "$(count_tag plain)" = 1 ]' || fail "no plain line"
[ -e "$STORE" ] && fail "a store directory without a service manager"
stop_daemon
note "stdout streams kept across SIGTERM and SIGKILL restarts, lost state and a stop for good"
