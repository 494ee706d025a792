#!/bin/bash
# Seeks on a ring that has gone round many times (64 KiB, 20000 entries
# of 120 bytes: the oldest kept entry is far from seq 1 and from offset
# 0): -n, --since, --until, --after-cursor and their combinations print
# exactly what a plain walk from the tail says they must, and a cursor
# whose entry was overwritten says how many entries were lost.
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 64K
loadgen -t w -n 20000 -z 120 2>"$T/lg.err" >/dev/null || fail "loadgen: $(cat "$T/lg.err")"
wraps=$(header_field wraps)
[ "$wraps" -ge 20 ] || fail "the ring went round only $wraps times"

show() { ctl --file "$RING" show "$@"; }
# The plain walk from the tail, checked against the independent reader.
show -o json >"$T/all.json" || fail "show: $(tail -n 3 "$T/ctl.err")"
json_fields __SEQNUM __REALTIME_TIMESTAMP __CURSOR <"$T/all.json" >"$T/all.tsv"
ring_entries | cut -f 1 >"$T/rc.seqs"
cut -f 1 "$T/all.tsv" | cmp -s - "$T/rc.seqs" ||
    fail "show and ringcat disagree on the seqs in the ring"
check_gapless "$T/all.tsv" >"$T/range" || fail "show: $(cat "$T/range")"
read -r first last n <"$T/range"
assert_eq "newest seq" 20000 "$last"
[ "$first" -gt 19000 ] || fail "oldest kept seq is $first"
note "$n entries kept, seq $first..$last, $wraps wraps"

seqs() { json_fields __SEQNUM | tr '\n' ' '; }
# expect DESC AWK-COND ARGS...: show ARGS prints the seqs of the rows of
# the walk ($1 seq, $2 time in usec) for which AWK-COND holds; a
# trailing "tail N" keeps the last N of them.
expect() {
	local desc=$1 cond=$2 want got
	shift 2
	want=$(awk -F '\t' "$cond { print \$1 }" "$T/all.tsv" | tail -n "${TAILN:-+1}" | tr '\n' ' ')
	got=$(show "$@" -o json | seqs)
	[ "$got" = "$want" ] ||
	    fail "$desc (show $*): expected '$(echo "$want" | cut -c 1-80)...' ($(echo "$want" | wc -w) seqs), got '$(echo "$got" | cut -c 1-80)...' ($(echo "$got" | wc -w))"
}
usec_at() { awk -F '\t' -v k="$1" 'NR == k { print $2 }' "$T/all.tsv"; }
# "@SECONDS.USEC", the exact time of an entry.
at() { printf '@%d.%06d' $(( $1 / 1000000 )) $(( $1 % 1000000 )); }

TAILN=7 expect "-n 7" 1 -n 7
TAILN=1 expect "-n 1" 1 -n 1
expect "-n $n (all)" 1 -n "$n"
expect "-n 100000 (more than there are)" 1 -n 100000
for k in 2 $((n / 4)) $((n / 2)) $((n - 3)); do
	t=$(usec_at "$k")
	expect "--since the time of entry $k" "\$2 >= $t" --since "$(at "$t")"
	expect "--until the time of entry $k" "\$2 <= $t" --until "$(at "$t")"
	TAILN=5 expect "--since the time of entry $k, -n 5" "\$2 >= $t" \
	    --since "$(at "$t")" -n 5
done
t1=$(usec_at $((n / 3))) t2=$(usec_at $((2 * n / 3)))
expect "--since --until, a third of the ring" "\$2 >= $t1 && \$2 <= $t2" \
    --since "$(at "$t1")" --until "$(at "$t2")"
t0=$(usec_at 1)
expect "--since before the oldest" 1 --since "$(at $((t0 - 1000000)))"
tn=$(usec_at "$n")
expect "--since after the newest" 0 --since "$(at $((tn + 1)))"
# After a cursor in the middle; then one whose entry is long gone.
cm=$(awk -F '\t' -v k=$((n / 2)) 'NR == k { print $3 }' "$T/all.tsv")
sm=$(awk -F '\t' -v k=$((n / 2)) 'NR == k { print $1 }' "$T/all.tsv")
expect "--after-cursor (middle)" "\$1 > $sm" --after-cursor "$cm"
# -n after a cursor: the first N after it, as in journalctl.
expect "--after-cursor -n 3" "\$1 > $sm && \$1 <= $((sm + 3))" --after-cursor "$cm" -n 3
old=$(echo "$cm" | sed 's/;i=[0-9a-f]*/;i=a/')
: >"$T/ctl.err"
expect "--after-cursor of seq 10, overwritten" 1 --after-cursor "$old"
grep -q "^mmlogctl: -- $((first - 11)) entries lost" "$T/ctl.err" ||
    fail "a cursor into the overwritten part: no '$((first - 11)) entries lost': $(cat "$T/ctl.err")"
# status: the same ring in numbers, and the daemon's counters.
ctl --file "$RING" status >"$T/st" || fail "status: $(tail -n 3 "$T/ctl.err")"
ctl --file "$RING" status -o json >"$T/st.json" || fail "status -o json"
assert_eq "status: entries" "$n (seq $first..$last)" "$(sed -n 's/^entries: *//p' "$T/st")"
assert_eq "status: wraps" "$(header_field wraps)" "$(sed -n 's/^wraps: *//p' "$T/st")"
assert_eq "status -o json: wraps, entries, tail_seq, state" \
    "$(header_field wraps)	$n	$first	dirty" "$(json_fields wraps entries tail_seq state <"$T/st.json")"
grep -Eq '^rate: +[0-9.]+ entries/s over the last [0-9]+ s$' "$T/st" ||
    fail "status shows no rate: $(cat "$T/st")"
grep -q '"rate":{"entries_per_s":[0-9.]*,"window_s":[0-9.]*}' "$T/st.json" ||
    fail "status -o json has no rate: $(cat "$T/st.json")"
grep -Eq '^  (clients|entries|bad_frames|client_drops|append_errors): [0-9]+$' "$T/st" ||
    fail "status shows no daemon counters: $(cat "$T/st")"
grep -q '"reachable":true' "$T/st.json" || fail "status -o json: daemon not reachable"
assert_eq "short output says it inline" "-- $((first - 11)) entries lost (overwritten before they were read) --" \
    "$(show --after-cursor "$old" | head -n 1)"
stop_daemon
