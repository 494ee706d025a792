#!/bin/bash
# mmlogctl show's selections, alone and combined, against a ring whose
# every entry the test wrote and knows: four groups of eight entries,
# written by a real mmlogd whose clock (libfaketime) stood at the day
# before yesterday at noon (A), yesterday at noon (B), two hours ago (C)
# and now (D).  Each selection's seqs must be exactly those the test's
# own table says: --since/--until (absolute, @epoch, "N ago", today,
# yesterday), -p (names, numbers, ranges), -t (repeatable), --pid,
# --uid, -g (smart case), -n, -r, --after-cursor, --cursor-file,
# --show-cursor; and a user who may not read the ring is told so.
. "$(dirname "$0")/lib.sh"

need_ctl
need_faketime
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
# A user other than ours writes some entries; the socket is 0666, but
# its directory must be reachable.
chmod 755 "$T"
NOBODY=65534

# The noon of the day before yesterday, yesterday's, and two hours ago
# (moved off midnight, so that each group is clearly on one side of it).
tA=$(date -d "$(date -d '2 days ago' +%F) 12:00:00" +%s)
tB=$(date -d "$(date -d yesterday +%F) 12:00:00" +%s)
tC=$(( $(date +%s) - 7200 ))
today=$(date -d "$(date +%F) 00:00:00" +%s)
yesterday=$(date -d "$(date -d yesterday +%F) 00:00:00" +%s)
if [ $((tC - today)) -gt -300 ] && [ $((tC - today)) -lt 300 ]; then
	tC=$((today - 600))
fi
# C is today unless it is before midnight (a test run between 00:00 and
# 02:10).
c_today=0
[ "$tC" -ge "$today" ] && c_today=1

# The table: seq group prio tag uid pid message.  Seqs are given by the
# order of writing on a fresh ring: each write waits for its entry
# (--sync), as entries of two connections one after the other may be
# stored in either order.
: >"$T/model"
seq_n=0
add() {
	seq_n=$((seq_n + 1))
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$seq_n" "$@" >>"$T/model"
}

write_group() {
	local g=$1 lg
	ctl write --sync -p err -t web "$g err one" >/dev/null || fail "write $g"
	add "$g" 3 web 0 - "$g err one"
	ctl write --sync -p warning -t web "$g Warning Two" >/dev/null || fail "write $g"
	add "$g" 4 web 0 - "$g Warning Two"
	ctl write --sync -p 6 -t db "$g info three" >/dev/null || fail "write $g"
	add "$g" 6 db 0 - "$g info three"
	ctl write --sync -p debug -t db "$g debug four" >/dev/null || fail "write $g"
	add "$g" 7 db 0 - "$g debug four"
	"$HELPERS/loadgen" -s "$SOCK" -t batch -n 3 -p 5 >/dev/null 2>"$T/lg.err" &
	lg=$!
	wait $lg || fail "loadgen $g: $(cat "$T/lg.err")"
	for i in 1 2 3; do
		add "$g" 5 batch 0 "$lg" "batch $i"
	done
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
	    "$MMLOGCTL" --socket "$SOCK" write --sync -p crit -t nob \
	    "$g from nobody" >/dev/null 2>>"$T/ctl.err" ||
	    fail "write as uid $NOBODY: $(tail -n 2 "$T/ctl.err")"
	add "$g" 2 nob $NOBODY - "$g from nobody"
}

# One daemon per group, its clock set back to the group's time (an
# offset in seconds; it ticks from there).  ASan would refuse a library
# preloaded before its own.
fake() {
	start_daemon_env "LD_PRELOAD=$FAKETIME_LIB FAKETIME=-$(( $(date +%s) - $1 )) \
FAKETIME_DONT_FAKE_MONOTONIC=1 ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0" --size 1M
}
fake "$tA"
write_group A
stop_daemon
fake "$tB"
write_group B
stop_daemon
fake "$tC"
write_group C
stop_daemon
start_daemon
tD=$(date +%s)
write_group D

show() { ctl --file "$RING" show "$@"; }
# What was written is what is there, at the times the groups say.
show -o json >"$T/all.json" || fail "show -o json: $(tail -n 3 "$T/ctl.err")"
json_fields __SEQNUM PRIORITY SYSLOG_IDENTIFIER _UID MESSAGE __REALTIME_TIMESTAMP \
    <"$T/all.json" >"$T/all.tsv"
cut -f 1,3,4,5,7 "$T/model" >"$T/want.tsv"
cut -f 1-5 "$T/all.tsv" | cmp -s - "$T/want.tsv" ||
    fail "the ring does not hold what was written: $(cut -f 1-5 "$T/all.tsv" | diff - "$T/want.tsv" | head -n 5)"
awk -F '\t' -v A="$tA" -v B="$tB" -v C="$tC" -v D="$tD" -v slack=$((60 * IT_SLOW)) '
FILENAME == ARGV[1] { g[$1] = $2; next }
{
	t = int($6 / 1000000); n = g[$1] == "A" ? A : g[$1] == "B" ? B : g[$1] == "C" ? C : D
	if (t < n - 2 || t > n + slack) { print "seq", $1, "of group", g[$1], "at", t, "not near", n; exit 1 }
}' "$T/model" "$T/all.tsv" >"$T/why" || fail "entry times: $(cat "$T/why")"

# check DESC AWK-CONDITION ARGS...: show ARGS prints exactly the seqs
# of the table's rows for which the condition on g (group), p, tag,
# uid, pid, msg holds, in order.
check() {
	local desc=$1 cond=$2 want got
	shift 2
	want=$(awk -F '\t' -v c_today="$c_today" "{ g = \$2; p = \$3; tag = \$4; uid = \$5; pid = \$6; msg = \$7 }
	    $cond { print \$1 }" "$T/model" | tr '\n' ' ')
	got=$(show "$@" -o json | json_fields __SEQNUM | tr '\n' ' ')
	[ "$got" = "$want" ] ||
	    fail "$desc (show $*): expected seqs '$want', got '$got' ($(tail -n 2 "$T/ctl.err"))"
}

check "everything" 1
# Times.
check "--since today" 'g == "D" || (g == "C" && c_today)' --since today
check "--since yesterday --until today" 'g == "B" || (g == "C" && !c_today)' \
    --since yesterday --until today
check "--until yesterday" 'g == "A"' --until yesterday
check "--since '1h ago'" 'g == "D"' --since '1h ago'
check "--since '3h ago'" 'g == "C" || g == "D"' --since '3h ago'
check "--until '1h ago'" 'g != "D"' --until '1h ago'
check "--since -3h --until -1h" 'g == "C"' --since -3h --until -1h
check "--since '6h ago'" 'g == "C" || g == "D"' --since '6h ago'
check "--since '3 days ago'" 1 --since '3 days ago'
yday=$(date -d "@$tB" +%F)
check "--since 'yesterday 11:00' (absolute)" 'g != "A"' --since "$yday 11:00"
check "--until 'yesterday 13:00:00' (absolute)" 'g == "A" || g == "B"' \
    --until "$yday 13:00:00"
check "--since @epoch --until @epoch" 'g == "B"' --since "@$((tB - 60))" \
    --until "@$((tB + 600))"
check "--since tomorrow" 0 --since tomorrow
# Priorities: a level means it and more urgent; a range both ends.
check "-p err" 'p <= 3' -p err
check "-p 3" 'p <= 3' -p 3
check "-p warning..notice" 'p >= 4 && p <= 5' -p warning..notice
check "-p 7..6 (either order)" 'p >= 6' -p 7..6
check "-p crit..crit" 'p == 2' -p crit..crit
# Tags, repeatable: any of them.
check "-t db" 'tag == "db"' -t db
check "-t web -t nob" 'tag == "web" || tag == "nob"' -t web -t nob
check "-t none" 0 -t none
# Sender: the kernel's pid and uid.
pidC=$(awk -F '\t' '$2 == "C" && $6 != "-" { print $6; exit }' "$T/model")
check "--pid" "pid == $pidC" --pid "$pidC"
check "--uid $NOBODY" "uid == $NOBODY" --uid "$NOBODY"
check "--uid 0" 'uid == 0' --uid 0
# -g: extended regex; ignoring case unless the pattern has a capital.
check "-g 'warning'" 'msg ~ /Warning/' -g warning
check "-g 'Warning'" 'msg ~ /Warning/' -g Warning
check "-g 'WARNING'" 0 -g WARNING
check "-g '^[AB] (err|info)'" 'msg ~ /^[AB] (err|info)/' -g '^[AB] (err|info)'
# Combined: every selection must hold.
check "-p err -t web --since yesterday" \
    'p <= 3 && tag == "web" && g != "A"' -p err -t web --since yesterday
check "-t batch -t db -p 5..6 --until '1h ago' -g 'i'" \
    '(tag == "batch" || tag == "db") && p >= 5 && p <= 6 && g != "D" && msg ~ /i/' \
    -t batch -t db -p 5..6 --until '1h ago' -g i
check "--uid 0 -t web -g two" 'uid == 0 && tag == "web" && msg ~ /Two/' \
    --uid 0 -t web -g two
# -n: the newest N that match; -r newest first.
check "-n 3" '$1 > 29' -n 3
check "-n 2 -t db" '$1 == 27 || $1 == 28' -n 2 -t db
check "-n 4 -p err --until yesterday" 'g == "A" && p <= 3' -n 4 -p err --until yesterday
check "-n 0" 0 -n 0
check "-n 1000 (more than there are)" 1 -n 1000
# -n +N: the oldest N, as journalctl counts a "+" (it took the newest);
# -g then implies no -r.
check "-n +3" '$1 <= 3' -n +3
check "-n +2 -t db" '$1 == 3 || $1 == 4' -n +2 -t db
check "-n +2 -g warning" '$1 == 2 || $1 == 10' -n +2 -g warning
check "-n +2 --since yesterday" '$1 == 9 || $1 == 10' -n +2 --since yesterday
assert_eq "-r -n +2 (the newest, as journalctl)" "32 31 " \
    "$(show -r -n +2 -o json | json_fields __SEQNUM | tr '\n' ' ')"
assert_eq "-r" "$(seq 32 -1 1 | tr '\n' ' ')" \
    "$(show -r -o json | json_fields __SEQNUM | tr '\n' ' ')"
assert_eq "-r -n 3 -t web" "26 25 18 " \
    "$(show -r -n 3 -t web -o json | json_fields __SEQNUM | tr '\n' ' ')"
# Cursors.
c12=$(awk -F '\t' '$1 == 12 { print $2 }' <(json_fields __SEQNUM __CURSOR <"$T/all.json"))
check "--after-cursor (seq 12)" '$1 > 12' --after-cursor "$c12"
check "--after-cursor -t db" '$1 > 12 && tag == "db"' --after-cursor "$c12" -t db
check "--after-cursor -n 2 (the first two after it, as journalctl)" '$1 == 13 || $1 == 14' --after-cursor "$c12" -n 2
check "--after-cursor --since yesterday --until yesterday-noon" '$1 > 12 && g == "B"' \
    --after-cursor "$c12" --since yesterday --until "$yday 13:00"
# --show-cursor: the cursor of the newest entry shown, after them.
show -t web --until yesterday --show-cursor >"$T/sc" || fail "--show-cursor"
assert_eq "--show-cursor (newest web of group A is seq 2)" "-- cursor: $(awk -F '\t' '$1 == 2 { print $2 }' <(json_fields __SEQNUM __CURSOR <"$T/all.json"))" \
    "$(tail -n 1 "$T/sc")"
assert_eq "--show-cursor lines" 3 "$(wc -l <"$T/sc")"
# --cursor-file: with a selection, the next run starts after the newest
# entry the last one showed.
check "--cursor-file, first run" 'g == "A" && tag == "db"' --cursor-file "$T/cf" --until yesterday -t db
assert_eq "--cursor-file content" "$(awk -F '\t' '$1 == 4 { print $2 }' <(json_fields __SEQNUM __CURSOR <"$T/all.json"))" "$(cat "$T/cf")"
check "--cursor-file, second run" '$1 > 4 && tag == "db"' --cursor-file "$T/cf" -t db
check "--cursor-file, third run" 0 --cursor-file "$T/cf" -t db
[ -z "$(ls "$T" | grep '^cf\.')" ] || fail "temporary cursor files left: $(ls "$T")"

# Bad input changes nothing and says why.
expect_usage() {
	local rc
	"$MMLOGCTL" --file "$RING" show "$@" >"$T/u.out" 2>"$T/u.err"
	rc=$?
	[ "$rc" = 2 ] || fail "show $*: exit $rc, expected 2"
	[ -s "$T/u.err" ] || fail "show $*: no message"
	[ -s "$T/u.out" ] && fail "show $*: output on stdout"
	return 0
}
expect_usage --since yesterdayy
expect_usage --until 25:00
expect_usage -p urgent
expect_usage -p 3..9
expect_usage --pid -1
expect_usage --uid x
expect_usage -g '('
expect_usage --after-cursor 's=1;i=2'
cp "$T/cf" "$T/cf.before"
"$MMLOGCTL" --file "$RING" show --cursor-file "$T/cf" -p nonsense >/dev/null 2>&1
cmp -s "$T/cf" "$T/cf.before" || fail "a bad option changed the cursor file"

# A user who may not read the ring is told so, with status 1.
setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$MMLOGCTL" \
    --file "$RING" show >"$T/p.out" 2>"$T/p.err"
rc=$?
assert_eq "show as a user who may not read the ring, exit status" 1 "$rc"
grep -q 'Permission denied' "$T/p.err" && grep -qF "$RING" "$T/p.err" ||
    fail "no clear message on permission: $(cat "$T/p.err")"
[ -s "$T/p.out" ] && fail "output on stdout without permission"
stop_daemon
