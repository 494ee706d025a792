#!/bin/bash
# The ring truncated to nothing under a running daemon: the header page
# goes too.  Two ways of meeting it:
# 1. the loop thread appends into the lost map: mmlogd must survive, give
#    the file back its size and keep serving, and what it then ACKs must
#    be readable, so the header has to be a ring header again;
# 2. the sync thread meets it first (a sync held by the stall hook while
#    the file is truncated, then let go): the durable cursor it stores in
#    the header page must not kill the daemon with SIGBUS.
# Both also after a restart: the daemon must start on the file it kept
# writing.
. "$(dirname "$0")/lib.sh"

need_ctl
STALL=$T/stall
FAILED=
flag() {
	echo "FAIL: $*" >&2
	FAILED="${FAILED:+$FAILED; }$1"
}

# --- 1. The loop thread meets it.
start_daemon_env "MMLOGD_TEST_SYNC_STALL_FILE=$STALL" --size 1M \
    --sync-interval 50
loadgen -t before -n 500 -z 100 >/dev/null 2>"$T/lg.err" ||
    fail "loadgen: $(cat "$T/lg.err")"
truncate -s 0 "$RING"
loadgen -t hit -n 1 -a >/dev/null 2>&1
alive "$DPID" || { wait "$DPID"; fail "loop: mmlogd died ($?)"; }
grep -q "ring '$RING' was truncated to 0 bytes" "$DERR" ||
    flag "loop: mmlogd did not say the ring was truncated"
assert_eq "loop: file size" "$(ring_file_size 1048576)" "$(stat -c %s "$RING")"
loadgen -t loop -n 10 -a >"$T/acked" 2>"$T/lg.err" ||
    fail "loop: loadgen after the truncation: $(cat "$T/lg.err")"
if ctl --file "$RING" show -o cat -t loop >"$T/shown"; then
	assert_eq "loop: ACKed entries shown" 10 "$(wc -l <"$T/shown")"
else
	flag "loop: 10 entries ACKed after the truncation are unreadable:" \
	    "$(tail -n 1 "$T/ctl.err")"
fi
stop_daemon
restarted=
timeout -k 2 "$(tmo 20)" "$MMLOGD" --socket "$SOCK" --file "$RING" \
    2>"$LOGS/restart1.err" </dev/null &
p=$!
track $p
ready_or_gone() {
	grep -q ' ready: ' "$LOGS/restart1.err" || ! alive "$p"
}
wait_for "$(tmo 10)" ready_or_gone
if grep -q ' ready: ' "$LOGS/restart1.err"; then
	kill -TERM "$p"
	restarted=1
fi
wait "$p"
untrack "$p"
[ -n "$restarted" ] || flag "loop: mmlogd does not start on its" \
    "own ring afterwards: $(tail -n 1 "$LOGS/restart1.err")"

# --- 2. The sync thread meets it.
rm -f "$RING"
start_daemon_env "MMLOGD_TEST_SYNC_STALL_FILE=$STALL" --size 1M \
    --sync-interval 50
loadgen -t before -n 500 -z 100 >/dev/null 2>"$T/lg.err" ||
    fail "loadgen: $(cat "$T/lg.err")"
touch "$STALL"
"$HELPERS/loadgen" -s "$SOCK" -t held -n 1 -a >/dev/null 2>&1 &
track $!
held_in() { [ "$(stats_field entries)" = 501 ]; }
wait_for "$(tmo 10)" held_in || fail "sync: the held entry did not arrive"
truncate -s 0 "$RING"
rm -f "$STALL"
sleep 0.3
if ! alive "$DPID"; then
	wait "$DPID"
	fail "sync: mmlogd died ($?) when its sync thread met the truncated" \
	    "ring: $(tail -n 2 "$DERR")"
fi
loadgen -t sync -n 10 -a >"$T/acked" 2>"$T/lg.err" ||
    fail "sync: loadgen after the truncation: $(cat "$T/lg.err")"
assert_eq "sync: file size" "$(ring_file_size 1048576)" "$(stat -c %s "$RING")"
if ctl --file "$RING" show -o cat -t sync >"$T/shown"; then
	assert_eq "sync: ACKed entries shown" 10 "$(wc -l <"$T/shown")"
else
	flag "sync: 10 entries ACKed after the truncation are unreadable:" \
	    "$(tail -n 1 "$T/ctl.err")"
fi
stop_daemon
[ -z "$FAILED" ] || fail "$FAILED"
