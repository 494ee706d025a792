#!/bin/bash
# --cursor-file resume while a writer is writing: runs of
# `mmlogctl show --cursor-file F` during the writes and one after them
# print, all together, every entry exactly once and in order; the file
# is replaced atomically (no run ever reads a partial cursor, and no
# temporary file is left behind).
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 8M
N=6000
# Each entry acknowledged: a slower writer, so that runs overlap it.
"$HELPERS/loadgen" -s "$SOCK" -t c -n $N -a >/dev/null 2>"$T/lg.err" &
lg=$!
track $lg
runs=0
: >"$T/seen"
while alive $lg || [ $runs -lt 2 ]; do
	ctl --file "$RING" show --cursor-file "$T/cur" -o json >"$T/run.json" ||
	    fail "run $runs: $(tail -n 3 "$T/ctl.err")"
	json_fields __SEQNUM <"$T/run.json" >>"$T/seen"
	runs=$((runs + 1))
	[ -s "$T/cur" ] && { grep -Eqx 's=[0-9a-f]{32};i=[0-9a-f]+' "$T/cur" ||
	    fail "cursor file holds '$(cat "$T/cur")'"; }
done
wait $lg || fail "loadgen: $(cat "$T/lg.err")"
untrack $lg
ctl --file "$RING" show --cursor-file "$T/cur" -o json >"$T/run.json" ||
    fail "last run: $(tail -n 3 "$T/ctl.err")"
json_fields __SEQNUM <"$T/run.json" >>"$T/seen"
runs=$((runs + 1))
seq 1 $N | cmp -s - "$T/seen" ||
    fail "$runs runs together did not print seq 1..$N once each: $(seq 1 $N | diff - "$T/seen" | head -n 4)"
# The last run stored the newest seq; one more prints nothing.
assert_eq "cursor after the last run" "$(printf 'i=%x' $N)" "$(sed 's/.*;//' "$T/cur")"
# ... but journalctl's remark on a terminal's formats (-q: nothing at all).
assert_eq "a run with nothing new" "-- No entries --" "$(ctl --file "$RING" show --cursor-file "$T/cur")"
assert_eq "a run with nothing new, -q" "" "$(ctl --file "$RING" show -q --cursor-file "$T/cur")"
assert_eq "a run with nothing new, -o json" "" "$(ctl --file "$RING" show -o json --cursor-file "$T/cur")"
ls "$T" | grep -q '^cur\.' && fail "temporary cursor files left: $(ls "$T")"
note "$runs runs printed seq 1..$N once each"
# After a cursor, -n counts from it, as in journalctl: runs of
# --cursor-file -n take the entries in turn (they took the newest -n,
# and skipped the rest); --cursor and --after-cursor -n the first ones.
ring_id=$(sed 's/^s=\([0-9a-f]*\);.*/\1/' "$T/cur")
printf 's=%s;i=%x\n' "$ring_id" 100 >"$T/cur_n"
: >"$T/seen_n"
runs=0
while :; do
	ctl --file "$RING" show -n 1000 --cursor-file "$T/cur_n" -o json \
	    >"$T/run.json" || fail "-n run $runs: $(tail -n 3 "$T/ctl.err")"
	[ -s "$T/run.json" ] || break
	json_fields __SEQNUM <"$T/run.json" >>"$T/seen_n"
	runs=$((runs + 1))
	[ $runs -le 10 ] || fail "-n 1000 --cursor-file: more than 10 runs"
done
seq 101 $N | cmp -s - "$T/seen_n" ||
    fail "$runs runs of -n 1000 --cursor-file did not print seq 101..$N once each: $(seq 101 $N | diff - "$T/seen_n" | head -n 4)"
assert_eq "--after-cursor -n 3" "$(seq 101 103)" "$(ctl --file "$RING" show \
    -n 3 --after-cursor "s=$ring_id;i=64" -o json | json_fields __SEQNUM)"
assert_eq "--cursor -n 2" "$(seq 100 101)" "$(ctl --file "$RING" show \
    -n 2 --cursor "s=$ring_id;i=64" -o json | json_fields __SEQNUM)"
# -r still shows the newest after the cursor, newest first.
assert_eq "--after-cursor -r -n 2" "$(seq $N -1 $((N - 1)))" "$(ctl --file \
    "$RING" show -r -n 2 --after-cursor "s=$ring_id;i=64" -o json |
    json_fields __SEQNUM)"
# A cursor file that is not a cursor is an error and stays as it was.
echo garbage >"$T/bad"
"$MMLOGCTL" --file "$RING" show --cursor-file "$T/bad" >"$T/o" 2>"$T/e"
assert_eq "exit status on a bad cursor file" 1 "$?"
grep -q "$T/bad" "$T/e" || fail "no message naming the bad cursor file: $(cat "$T/e")"
assert_eq "bad cursor file unchanged" garbage "$(cat "$T/bad")"

# The ring renumbered under a new id (rotate-id empties it): a cursor
# file of the old ring goes on from the oldest entry of the new one, with
# a word of it, rather than failing every run from then on; an explicit
# --after-cursor of the old ring is still refused.
ctl --file "$RING" show --cursor-file "$T/rot" -n 1 >/dev/null ||
    fail "first run: $(tail -n 3 "$T/ctl.err")"
old=$(cat "$T/rot")
ctl --socket "$SOCK" rotate-id >/dev/null || fail "rotate-id: $(tail -n 3 "$T/ctl.err")"
loadgen -t rot -n 3 -a >/dev/null 2>"$T/lg.err" || fail "loadgen: $(cat "$T/lg.err")"
"$MMLOGCTL" --file "$RING" show --cursor-file "$T/rot" -o json >"$T/o" 2>"$T/e"
assert_eq "exit status with a cursor file of a replaced ring" 0 "$?"
grep -q "is from another ring" "$T/e" || fail "no word of the replaced ring: $(cat "$T/e")"
assert_eq "entries of the new ring shown" 3 "$(json_fields SYSLOG_IDENTIFIER <"$T/o" |
    grep -c '^rot$')"
[ "$(cat "$T/rot")" != "$old" ] || fail "the cursor file still names the old ring"
"$MMLOGCTL" --file "$RING" show --cursor-file "$T/rot" -o json >"$T/o" 2>"$T/e"
assert_eq "exit status of the next run" 0 "$?"
assert_eq "entries the next run shows" "" "$(cat "$T/o")"
[ -s "$T/e" ] && fail "the next run still complains: $(cat "$T/e")"
"$MMLOGCTL" --file "$RING" show --after-cursor "$old" >"$T/o" 2>"$T/e"
assert_eq "exit status of --after-cursor of the old ring" 1 "$?"
stop_daemon
