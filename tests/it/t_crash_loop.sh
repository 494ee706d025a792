#!/bin/bash
# The crash loop: a real daemon under load is killed with SIGKILL at
# random moments and started again, IT_CRASH_ROUNDS times (default 50,
# 25 under a sanitizer).
# Each round, 3 clients write entries each acknowledged as durable
# (loadgen -a prints "SEQ MESSAGE" per ACK) and 2 write without asking;
# every fifth round or so the daemon is instead killed within 40 ms of
# its start, during recovery, and in another fifth the sync is held
# (the stall hook) from a random moment on, so that the crash finds the
# durable cursor far behind the accepted entries.  After each kill, with the daemon down,
# mmlogctl shows the 4 MiB ring (which goes round every few rounds) and:
# - every ACKed seq of every round is there with its exact message,
#   unless the ring is full and it is older than the oldest entry;
# - the seqs are consecutive, none twice, continuing exactly after the
#   previous round's newest, and the ready line of the next daemon says
#   so too: nothing accepted is lost, no number is used twice;
# - every entry is whole: its message is "TAG N" padded to 100 bytes,
#   its tag one of ours, and each client's N count up by one;
# - what an earlier round showed is unchanged;
# - the header's durable seq covers every ACK; verify finds no problem.
# The random sequence comes from IT_SEED (printed), for reproduction.
. "$(dirname "$0")/lib.sh"

need_ctl
# Under a sanitizer (IT_SLOW > 1) a round takes several times as long:
# half the rounds there, every one of them still checked.
ROUNDS=${IT_CRASH_ROUNDS:-$((IT_SLOW > 1 ? 25 : 50))}
SEED=${IT_SEED:-$(( $(date +%s%N) % 32768 ))}
RANDOM=$SEED
note "seed $SEED, $ROUNDS rounds"
CAP=$((4 * 1048576))
# Every record is 64 + 7 ("loadgen") + 6 (tag) + 100, padded: 184 bytes.
# A full ring holds at least this many (a WRAP and a partial record
# aside).
FULL_MIN=$((CAP / 184 - 2))

: >"$T/acked.all"	# every ACK of every round: "SEQ MESSAGE"
: >"$T/prev"		# what the last check showed: "SEQ<TAB>TAG<TAB>MESSAGE"
last=0			# the newest seq shown so far
early=0
acks_total=0

STALL=$T/stall
stalled=0

spawn_daemon() {
	DAEMON_N=$((DAEMON_N + 1))
	DERR=$LOGS/mmlogd.$DAEMON_N.err
	MMLOGD_TEST_SYNC_STALL_FILE=$STALL "$MMLOGD" --socket "$SOCK" --file "$RING" --size 4M \
	    --sync-interval "$1" 2>"$DERR" </dev/null &
	DPID=$!
	track "$DPID"
}

crash() {
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	untrack "$1"
}

# check ROUND: everything the header comment promises, on the ring as
# the killed daemon left it.
check() {
	local r=$1 rc first n dseq maxack bytes
	timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$RING" show -o json \
	    >"$T/show.json" 2>"$T/show.err"
	rc=$?
	[ "$rc" = 0 ] || fail "round $r: show exited $rc: $(tail -n 3 "$T/show.err")"
	[ -s "$T/show.err" ] && fail "round $r: show reports: $(head -n 3 "$T/show.err")"
	json_fields __SEQNUM SYSLOG_IDENTIFIER MESSAGE <"$T/show.json" >"$T/cur"
	n=$(wc -l <"$T/cur")
	[ "$n" -gt 0 ] || fail "round $r: the ring is empty"
	awk -F '\t' -v prev="$last" '
	NR == 1 { if (prev > 0 && $1 > prev) {
		printf "the oldest entry is seq %s, after the newest before (%s)\n", $1, prev
		exit 1 } }
	NR > 1 && $1 != p + 1 { printf "seq %s follows seq %s\n", $1, p; exit 1 }
	{ p = $1 }
	$2 !~ /^[au][1-3]r[0-9][0-9][0-9]$/ { printf "seq %s: foreign tag \"%s\"\n", $1, $2; exit 1 }
	length($3) != 100 || index($3, $2 " ") != 1 {
		printf "seq %s: torn or foreign message \"%s\"\n", $1, $3; exit 1 }
	{
		c = substr($3, length($2) + 2); sub(/x*$/, "", c)
		if (c !~ /^[0-9]+$/) { printf "seq %s: torn message \"%s\"\n", $1, $3; exit 1 }
		if (($2 in cnt) && c != cnt[$2] + 1) {
			printf "seq %s: %s %s follows %s %s\n", $1, $2, c, $2, cnt[$2]; exit 1 }
		cnt[$2] = c
	}
	END { if (p < prev) { printf "the newest entry is seq %s, below %s shown before\n", p, prev; exit 1 } }
	' "$T/cur" >"$T/why" || fail "round $r: $(cat "$T/why")"
	first=$(head -n 1 "$T/cur" | cut -f 1)
	# The bytes the shown records take (-o raw: each as stored, padded):
	# a full ring is one whose records leave less than a record's room.
	# The records of a loop iteration (up to 256 KiB, gathered for one
	# pwrite()) take no room if the kill comes before their pwrite: the
	# tail moves past what they overwrite only then (check_ring asserts
	# it).  A kill during the pwrite, which the kernel ends short at a
	# page, leaves the tail past all they would overwrite and only some
	# of them written: up to 256 KiB of the oldest entries gone a little
	# early, none acknowledged among the new.  Counting entries is not
	# enough: records vary in size (the sender's metadata goes inline
	# when every slot is still named).
	bytes=$(timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$RING" show -o raw |
	    wc -c)
	# Every ACK is there, word for word, or overwritten in a full ring.
	awk -F '\t' -v first="$first" -v n="$n" -v full="$FULL_MIN" \
	    -v bytes="$bytes" -v room=$((CAP - 262144 - 4096)) '
	FILENAME == ARGV[1] { m[$1] = $3; next }
	{
		sp = index($0, " "); s = substr($0, 1, sp - 1); msg = substr($0, sp + 1)
		if (s in m) {
			if (m[s] != msg) { printf "seq %s is \"%s\", ACKed as \"%s\"\n", s, m[s], msg; exit 1 }
		} else if (s + 0 >= first + 0) {
			printf "ACKed seq %s (%s) is missing\n", s, msg; exit 1
		} else if (n < full && bytes + 0 < room + 0) {
			printf "ACKed seq %s is gone, though the ring holds only %d entries (%d bytes)\n", s, n, bytes; exit 1
		}
	}' "$T/cur" "$T/acked.all" >"$T/why" || fail "round $r: $(cat "$T/why")"
	# What was shown before is unchanged.
	awk -F '\t' 'FILENAME == ARGV[1] { m[$1] = $3; next }
	($1 in m) && m[$1] != $3 { printf "seq %s was \"%s\", now \"%s\"\n", $1, m[$1], $3; exit 1 }
	' "$T/prev" "$T/cur" >"$T/why" || fail "round $r: $(cat "$T/why")"
	# ACKs below the oldest entry were overwritten for good: forget them.
	awk -v first="$first" '$1 + 0 >= first + 0' "$T/acked.all" >"$T/acked.keep"
	mv "$T/acked.keep" "$T/acked.all"
	maxack=$(sort -n "$T/acked.all" | tail -n 1 | cut -d ' ' -f 1)
	dseq=$(header_field durable_seq)
	[ -z "$maxack" ] || [ "$dseq" -ge "$maxack" ] ||
	    fail "round $r: seq $maxack was ACKed, the header's durable seq is $dseq"
	timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$RING" verify \
	    >"$T/verify.out" 2>&1 ||
	    fail "round $r: verify: $(grep -E '^problem|problems' "$T/verify.out")"
	last=$(tail -n 1 "$T/cur" | cut -f 1)
	mv "$T/cur" "$T/prev"
}

t0=$(date +%s%N)
for r in $(seq 1 "$ROUNDS"); do
	rr=$(printf '%03d' "$r")
	si=$(( (RANDOM % 3 == 0) ? 20 : (RANDOM % 2 ? 50 : 200) ))
	spawn_daemon "$si"
	if [ "$r" -gt 1 ] && [ $((RANDOM % 5)) = 0 ]; then
		# Killed during its start, most likely in recovery.
		sleep "0.0$(printf '%02d' $((RANDOM % 40)))"
		crash "$DPID"
		early=$((early + 1))
		check "$r"
		continue
	fi
	wait_for "$(tmo 20)" _daemon_ready || fail "round $r: mmlogd did not get ready"
	alive "$DPID" || fail "round $r: mmlogd exited at start"
	grep ' ready: ' "$DERR" | grep -q "next seq $((last + 1))\$" ||
	    fail "round $r: numbering does not go on at $((last + 1)):" \
	    "$(grep ' ready: ' "$DERR")"
	clients=
	for c in 1 2 3; do
		"$HELPERS/loadgen" -s "$SOCK" -t "a${c}r$rr" -n 1000000 -a -z 100 \
		    >"$T/acked.$c" 2>/dev/null &
		clients="$clients $!"
		track $!
	done
	for c in 1 2; do
		"$HELPERS/loadgen" -s "$SOCK" -t "u${c}r$rr" -n 4000 -z 100 \
		    >/dev/null 2>&1 &
		clients="$clients $!"
		track $!
	done
	if [ $((RANDOM % 5)) = 0 ]; then
		sleep "0.$(printf '%03d' $((RANDOM % 150)))"
		touch "$STALL"
		stalled=$((stalled + 1))
		sleep "0.$(printf '%03d' $((RANDOM % 150)))"
	else
		sleep "0.$(printf '%03d' $((RANDOM % 250)))"
	fi
	crash "$DPID"
	rm -f "$STALL"
	for p in $clients; do
		crash "$p"
	done
	cat "$T"/acked.? >>"$T/acked.all"
	acks_total=$((acks_total + $(cat "$T"/acked.? | wc -l)))
	check "$r"
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))

# The last state once more, read by the independent reader.
ring_entries | cut -f 1,3,5 | cmp -s - "$T/prev" ||
    fail "ringcat and mmlogctl disagree on the ring after the last round"
# A last start: the ring is taken, numbering goes on.
start_daemon --size 4M
grep ' ready: ' "$DERR" | grep -q "next seq $((last + 1))\$" ||
    fail "the last start does not number on at $((last + 1))"
stop_daemon
note "$ROUNDS rounds ($early killed while starting, $stalled with the sync" \
    "held) in $ms ms:" \
    "$acks_total ACKs checked, newest seq $last," \
    "$(header_field wraps) wraps"
