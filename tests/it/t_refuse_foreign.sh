#!/bin/bash
# mmlogd never overwrites a file it does not recognise as its ring:
# random bytes, an empty file, a ring with a damaged static header, and a
# ring of a future version are refused, and each file is left unchanged.
. "$(dirname "$0")/lib.sh"

refuse() {
	local desc=$1 file=$2 sum
	sum=$(sha256sum <"$file")
	run_refused "$desc" --socket "$SOCK" --file "$file"
	[ "$EXIT_CODE" = 1 ] || fail "$desc: exit $EXIT_CODE, expected 1"
	grep -q "refusing" "$DERR" || fail "$desc: no refusal message: $(cat "$DERR")"
	grep -qF "$file" "$DERR" || fail "$desc: message does not name the file"
	assert_eq "$desc: file unchanged" "$sum" "$(sha256sum <"$file")"
	[ -e "$SOCK" ] && fail "$desc: socket left behind"
	ls "$file".new-* >/dev/null 2>&1 && fail "$desc: temporary file left"
	return 0
}

head -c 200000 /dev/urandom >"$T/random"
refuse "random bytes" "$T/random"
head -c 100 /dev/urandom >"$T/small"
refuse "100 random bytes" "$T/small"
: >"$T/empty"
refuse "empty file" "$T/empty"

# A real ring, damaged in different ways.
start_daemon --size 64K
loadgen -t t -n 10 2>"$T/lg.err" || fail "loadgen failed"
stop_daemon
cp "$RING" "$T/crc"
printf '\377' | dd of="$T/crc" bs=1 seek=44 conv=notrunc 2>/dev/null
refuse "capacity changed, static CRC wrong" "$T/crc"
cp "$RING" "$T/version"
printf '\007' | dd of="$T/version" bs=1 seek=8 conv=notrunc 2>/dev/null
refuse "version 7" "$T/version"
cp "$RING" "$T/magic"
printf 'X' | dd of="$T/magic" bs=1 seek=0 conv=notrunc 2>/dev/null
refuse "bad magic" "$T/magic"
