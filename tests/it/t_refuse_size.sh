#!/bin/bash
# An existing ring is never resized behind the user's back: an explicit
# --size other than the file's makes mmlogd refuse, naming both sizes,
# and leaves the file as it was.  Without --size, or with the same size,
# it opens the ring and keeps its entries.
. "$(dirname "$0")/lib.sh"

start_daemon --size 1M
loadgen -t keep -n 100 2>"$T/lg.err" || fail "loadgen failed"
stop_daemon
sum=$(sha256sum <"$RING")

for size in 2M 512K; do
	run_refused "--size $size on a 1M ring" --socket "$SOCK" --file "$RING" \
	    --size "$size"
	[ "$EXIT_CODE" = 1 ] || fail "--size $size: exit $EXIT_CODE, expected 1"
	case $size in 2M) want=2097152 ;; 512K) want=524288 ;; esac
	grep -q 1048576 "$DERR" || fail "--size $size: message does not name 1048576: $(cat "$DERR")"
	grep -q "$want" "$DERR" || fail "--size $size: message does not name $want: $(cat "$DERR")"
	assert_eq "ring after refusing --size $size" "$sum" "$(sha256sum <"$RING")"
	[ -e "$SOCK" ] && fail "a refusing daemon left a socket behind"
done

start_daemon --size 1M
stop_daemon
start_daemon
loadgen -t more -n 1 -a >/dev/null 2>"$T/lg.err" || fail "loadgen failed"
stop_daemon
assert_eq "capacity" 1048576 "$(header_field capacity)"
assert_eq "entries kept" 101 "$(ring_entries | wc -l)"
