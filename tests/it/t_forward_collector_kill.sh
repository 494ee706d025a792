#!/bin/bash
# rsyslogd is SIGKILLed while mmlog-forward sends it 100,000 entries,
# and started again on the same port.  The forwarder retries with
# backoff and catches up: every entry is in rsyslog's file; an entry is
# there twice only when it was sent again after the failure, which
# starts at most one window (128 frames) back, and both copies are the
# same line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fwd_lib.sh"

N=100000
W=128
start_daemon --size 32M
rs_start
seq 1 $N | ctl write -t fwdtest || fail "write failed"
fwd_start --once --window $W

# Kill it a fifth of the way in, then bring it back.
wait_for "$(tmo 60)" eval '[ "$(out_count)" -ge $((N / 5)) ]' ||
    fail "rsyslog did not get $((N / 5)) lines"
rs_kill
at_kill=$(wc -l <"$RS_OUT")
note "rsyslogd killed with $at_kill lines written"
wait_for "$(tmo 20)" eval '[ "$(stat_get failures)" -ge 1 ] 2>/dev/null' ||
    fail "the forwarder did not notice"
rs_start
fwd_wait_exit
note "forwarder: $(tr '\n' ' ' <"$T/stats")"
[ "$at_kill" -lt "$N" ] || fail "rsyslog had everything before the kill"

# rsyslog may have been killed in the middle of writing a line: such a
# torn line was never acknowledged, and the one after it is glued to
# it.  Split glued lines at the RFC 5424 header.
sed 's/\(.\)\(<[0-9]*>1 [0-9]\{4\}-\)/\1\n\2/g' "$RS_OUT" >"$T/out"
out_lines "$T/out" >"$T/lines"
ring_seq_msg >"$T/want"
assert_eq "entries in the ring" "$N" "$(wc -l <"$T/want")"

# Every entry is there, and every copy of it is the same line.
awk -F '\t' '
	FILENAME == ARGV[1] { want[$1] = $2; next }
	$2 == "-" { next }
	!($2 in want) { printf "unknown seq %s\n", $2; bad = 1; next }
	$3 != want[$2] {
		# A torn line: the copy sent again must follow.
		torn[$2] = 1; next }
	{ seen[$2]++ }
	END {
		for (s in want)
			if (!(s in seen)) { printf "seq %s missing\n", s; bad = 1 }
		exit bad
	}' "$T/want" "$T/lines" || fail "entries missing from rsyslog's file"

# The seqs rise by one, except where a retry went back, by less than
# the window; each such step back is a failure the forwarder counted.
backs=$(awk -F '\t' -v w=$W '
	$2 == "-" { next }
	prev != "" && $2 != prev + 1 {
		if ($2 > prev || prev - $2 >= w) {
			printf "seq %s after %s\n", $2, prev > "/dev/stderr"
			exit 1
		}
		n++
	}
	{ prev = $2 }
	END { print n + 0 }' "$T/lines") || fail "a step in the seqs is not a retry within the window"
dups=$(( $(awk -F '\t' '$2 != "-"' "$T/lines" | wc -l) - N ))
note "$dups lines sent twice, $backs retries"
[ "$backs" -le "$(stat_get failures)" ] ||
    fail "$backs steps back but $(stat_get failures) failures"
[ "$dups" -le $((backs * W)) ] || fail "$dups duplicates for $backs retries"
assert_eq "lost" 0 "$(stat_get lost)"
assert_eq "cursor" "$N" "$(cursor_seq)"
rs_stop
stop_daemon
