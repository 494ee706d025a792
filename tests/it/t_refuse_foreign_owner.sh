#!/bin/bash
# A file that is not a ring keeps its owner and mode as well as its
# bytes: mmlogd started as root with --file naming someone else's file
# (a typo, a wrong path) refuses it without taking it over.  Before the
# header was read, the owner check chowned such a file to root and
# narrowed its mode to 0640, and only then refused it: the file's owner
# could no longer read it.  Needs root (skipped otherwise).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	note "SKIP: needs root"
	exit 0
fi

refuse_keeps() {
	local desc=$1 file=$2 before sum
	before=$(stat -c '%u:%g %a' "$file")
	sum=$(sha256sum <"$file")
	run_refused "$desc" --socket "$SOCK" --file "$file"
	[ "$EXIT_CODE" = 1 ] || fail "$desc: exit $EXIT_CODE, expected 1"
	grep -q "refusing" "$DERR" || fail "$desc: no refusal: $(cat "$DERR")"
	assert_eq "$desc: bytes unchanged" "$sum" "$(sha256sum <"$file")"
	assert_eq "$desc: owner and mode unchanged" "$before" \
	    "$(stat -c '%u:%g %a' "$file")"
}

# Another user's text file, readable by all.
printf 'notes of another user\n' >"$T/notes"
chown 65534:65534 "$T/notes"
chmod 0664 "$T/notes"
refuse_keeps "another user's file" "$T/notes"

# Root's own file of 5000 random bytes, mode 0644.
head -c 5000 /dev/urandom >"$T/random"
chmod 0644 "$T/random"
refuse_keeps "root's file" "$T/random"
