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
# A cursor file that is not a cursor is an error and stays as it was.
echo garbage >"$T/bad"
"$MMLOGCTL" --file "$RING" show --cursor-file "$T/bad" >"$T/o" 2>"$T/e"
assert_eq "exit status on a bad cursor file" 1 "$?"
grep -q "$T/bad" "$T/e" || fail "no message naming the bad cursor file: $(cat "$T/e")"
assert_eq "bad cursor file unchanged" garbage "$(cat "$T/bad")"
stop_daemon
