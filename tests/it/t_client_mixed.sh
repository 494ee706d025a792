#!/bin/bash
# One handle, 8 threads, a random mix of every kind of call at once
# (clientmix: mmlog_write, mmlog_write_durable, mmlog_write_async with
# mmlog_wait on a ticket or on 0, mmlog_sync; window 16, timeout 5 s):
#   - the daemon up all along (2 s): every call returns 0;
#   - the daemon killed (SIGKILL) and started again on the same ring
#     twice during a 4 s run: every call returns 0 or one of the errors
#     a restart may cause (EPIPE, ECONNREFUSED, ENOENT, ECONNRESET),
#     never ETIMEDOUT or another one, and no call hangs;
# and in both runs:
#   - each durable write that returned 0 has its own nonzero seq;
#   - every entry the client believes durable (a durable write, or an
#     async entry a wait or sync of its thread covered, that returned 0)
#     is in the ring, a durable write's under the seq it was given.
# The helper's random mix comes from IT_SEED, if set.
. "$(dirname "$0")/lib.sh"

need_ctl
SEED=${IT_SEED:-$(( $(date +%s%N) % 1000000007 ))}
note "seed $SEED"

mix() {
	timeout -k 2 "$(tmo 40)" "$HELPERS/clientmix" -s "$SOCK" -t 8 \
	    -T $((5000 * IT_SLOW)) -w 16 -r "$SEED" "$@"
}

# check_believed NAME: every line "SEQ<TAB>MESSAGE" of $T/NAME.dur is
# in the ring (with that seq unless it is 0).
check_believed() {
	local n
	n=$(wc -l <"$T/$1.dur")
	[ "$n" -gt 0 ] || fail "$1: no entry believed durable: the test did not test"
	ctl --file "$RING" show -o json -t mix >"$T/$1.json" ||
	    fail "$1: show: $(tail -n 3 "$T/ctl.err")"
	json_fields __SEQNUM MESSAGE <"$T/$1.json" >"$T/$1.ring"
	awk -F '\t' '
	FILENAME == ARGV[1] { seq[$2] = $1; next }
	!($2 in seq) { printf "believed durable, not in the ring: \"%s\" (seq %s)\n", $2, $1; bad++ }
	($2 in seq) && $1 != 0 && seq[$2] != $1 {
		printf "\"%s\" was given seq %s, the ring has it at %s\n", $2, $1, seq[$2]; bad++ }
	bad >= 10 { exit 1 }
	END { if (bad) exit 1 }' "$T/$1.ring" "$T/$1.dur" >"$T/why" ||
	    fail "$1: $(cat "$T/why")"
	assert_eq "$1: ring wraps (the check needs every entry)" 0 \
	    "$(header_field wraps)"
	note "$1: $n entries believed durable, all in the ring"
}

# 1. No restart: every call returns 0.
start_daemon --size 32M
mix -d 2 -N -o "$T/calm.dur" >"$T/calm.out" 2>"$T/calm.err"
rc=$?
[ "$rc" = 0 ] || fail "clientmix, daemon up (exit $rc): $(cat "$T/calm.err")"
note "calm: $(tail -n 1 "$T/calm.out")"
check_believed calm
stop_daemon

# 2. Two crashes and restarts during the run.
rm -f "$RING"
start_daemon --size 32M
mix -d 4 -o "$T/crash.dur" >"$T/crash.out" 2>"$T/crash.err" &
cpid=$!
track $cpid
sleep 1.2
kill_daemon
untrack "$DPID"
sleep 0.1
start_daemon --size 32M
sleep 1.2
kill_daemon
untrack "$DPID"
sleep 0.1
start_daemon --size 32M
wait_exit $cpid "$(tmo 40)" || fail "clientmix did not finish (a hang?)"
untrack $cpid
[ "$EXIT_CODE" = 124 ] && fail "clientmix timed out (a hang): $(cat "$T/crash.err")"
[ "$EXIT_CODE" = 0 ] ||
    fail "clientmix, daemon restarted (exit $EXIT_CODE): $(cat "$T/crash.err")"
note "crash: $(tail -n 1 "$T/crash.out")"
errs=$(tail -n 1 "$T/crash.out" | awk '{ for (i = 1; i < NF; i++)
	if ($i == "errors") print $(i + 2) + $(i + 4) + $(i + 6) + $(i + 8) }')
[ "${errs:-0}" -gt 0 ] ||
    fail "no call failed: the restarts did not happen during the run"
check_believed crash
stop_daemon
