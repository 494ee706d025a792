#!/bin/bash
# A crash: SIGKILL while clients write, some asking for every entry to
# be acknowledged as durable.  The daemon starts again on the same ring;
# every entry it acknowledged is there with the same seq and message, no
# seq appears twice, the numbering is gapless (the page cache survived,
# so nothing accepted is lost), and new entries continue above every
# old one.
. "$(dirname "$0")/lib.sh"

start_daemon --size 16M --sync-interval 50
for c in 1 2 3; do
	loadgen -t "ack$c" -n 1000000 -a >"$T/acked$c" 2>"$T/lg$c.err" &
	track $!
done
loadgen -t plain -n 60000 -z 100 >/dev/null 2>"$T/plain.err" &
track $!

# Let them run until a few hundred entries were acknowledged.
acked() {
	[ "$(cat "$T"/acked1 "$T"/acked2 "$T"/acked3 | wc -l)" -ge 300 ]
}
wait_for "$(tmo 30)" acked || fail "fewer than 300 ACKs in $(tmo 30) s"
sleep 0.2
kill_daemon
note "killed the daemon after $(cat "$T"/acked? | wc -l) ACKs"
sleep 0.2
assert_eq "state after SIGKILL" dirty "$(header_field state)"

cat "$T"/acked1 "$T"/acked2 "$T"/acked3 | sort -n >"$T/acked"
# An ACK is sent only after the durable cursor covers the entry.
max_acked=$(tail -n 1 "$T/acked" | cut -d ' ' -f 1)
[ "$(header_field durable_seq)" -ge "$max_acked" ] ||
    fail "acked seq $max_acked, but the header's durable_seq is $(header_field durable_seq)"
start_daemon --sync-interval 50
grep -q "was not closed cleanly" "$DERR" ||
    fail "the daemon did not notice the unclean shutdown"
grep -q "may have been lost" "$DERR" &&
    fail "same boot, yet the daemon claims entries may have been lost"

entries >"$T/shown" || exit 1
range=$(check_gapless "$T/shown") || fail "after the crash: $range"
note "after the crash the ring holds $range"
set -- $range
old_last=$2
[ "$1" = 1 ] || fail "the oldest entry is seq $1, not 1"

# Every ACKed "SEQ MESSAGE" is there, with that seq.
awk -F '\t' 'FILENAME == ARGV[1] { m[$1] = $5; next }
{
	sp = index($0, " "); s = substr($0, 1, sp - 1); msg = substr($0, sp + 1)
	if (!(s in m)) { printf "acked seq %s (%s) is missing\n", s, msg; exit 1 }
	if (m[s] != msg) { printf "seq %s is \"%s\", acked as \"%s\"\n", s, m[s], msg; exit 1 }
}' "$T/shown" "$T/acked" >"$T/why" || fail "$(cat "$T/why")"
last_acked=$(tail -n 1 "$T/acked" | cut -d ' ' -f 1)
[ "$last_acked" -le "$old_last" ] || fail "acked $last_acked > last $old_last"

# New entries are numbered above everything old.
loadgen -t after -n 100 -a >"$T/after.acked" 2>"$T/after.err" ||
    fail "loadgen after the restart: $(cat "$T/after.err")"
first_new=$(head -n 1 "$T/after.acked" | cut -d ' ' -f 1)
assert_eq "first seq after the restart" $((old_last + 1)) "$first_new"
entries >"$T/shown2" || exit 1
range=$(check_gapless "$T/shown2") || fail "after new writes: $range"
cut -f 1 "$T/shown2" | sort | uniq -d | head -n 1 >"$T/dups"
[ -s "$T/dups" ] && fail "seq $(cat "$T/dups") appears twice"
stop_daemon
note "$(wc -l <"$T/acked") acked entries all present; new seqs from $first_new"
