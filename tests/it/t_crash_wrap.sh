#!/bin/bash
# Crashes on a ring that wraps: five times, clients write entries of
# mixed sizes into a 128 KiB ring (going round it many times) and the
# daemon is killed with SIGKILL mid-load.  After each restart the ring
# checks (mmlogctl verify), its sequence numbers are gapless and never
# repeat, every acknowledged entry that the ring still spans is there
# with its seq and message, and numbering continues above the old.
. "$(dirname "$0")/lib.sh"

: >"$T/acked"
prev_last=0
for round in 1 2 3 4 5; do
	start_daemon --size 128K --sync-interval 30
	if [ $round -gt 1 ]; then
		grep -q "was not closed cleanly" "$DERR" ||
		    fail "round $round: unclean shutdown not noticed"
		grep -q "next seq $((prev_last + 1))\$" "$DERR" ||
		    fail "round $round: does not continue at $((prev_last + 1)): $(grep ready "$DERR")"
	fi
	: >"$T/acked.r"
	loadgen -t "a$round" -n 1000000 -a -z 150 >>"$T/acked.r" 2>/dev/null &
	track $!
	loadgen -t "b$round" -n 1000000 -z 700 >/dev/null 2>&1 &
	track $!
	loadgen -t "c$round" -n 1000000 -z 20 >/dev/null 2>&1 &
	track $!
	enough() { [ "$(wc -l <"$T/acked.r")" -ge 200 ]; }
	wait_for "$(tmo 30)" enough || fail "round $round: too few ACKs"
	wraps=$(header_field wraps)
	kill_daemon
	sleep 0.1
	cat "$T/acked.r" >>"$T/acked"

	entries >"$T/shown" || exit 1
	range=$(check_gapless "$T/shown") || fail "round $round: $range"
	set -- $range
	first=$1 last=$2
	[ "$last" -gt "$prev_last" ] || fail "round $round: last seq $last <= $prev_last"
	# Acked entries the ring still spans are present, unchanged.
	awk -F '\t' -v first="$first" 'FILENAME == ARGV[1] { m[$1] = $5; next }
	{
		sp = index($0, " "); s = substr($0, 1, sp - 1) + 0
		if (s < first) next
		if (!(s in m) || m[s] != substr($0, sp + 1)) {
			printf "acked seq %d missing or changed\n", s; exit 1
		}
	}' "$T/shown" "$T/acked" >"$T/why" || fail "round $round: $(cat "$T/why")"
	if have_ctl; then
		ctl --file "$RING" verify >/dev/null ||
		    fail "round $round: verify failed after the crash: $(tail -n 3 "$T/ctl.err")"
	fi
	note "round $round: seq $first..$last, $wraps wraps before the kill"
	prev_last=$last
done
[ "$(header_field wraps)" -ge 20 ] || fail "the ring wrapped only $(header_field wraps) times"
start_daemon
stop_daemon
