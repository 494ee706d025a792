#!/bin/sh
# layout.sh: the size limits HACKING.md sets for the code outside tests/:
# no source file over 1,600 lines, no function over 120 lines (from its
# opening brace to its closing one, house style: both alone on a line).
# Prints each file or function over its limit; exits 1 if there is any.
#
#	sh tests/layout.sh [FILE...]	(default: daemon/ client/ proto/)

cd "$(dirname "$0")/.." || exit 2
[ $# -gt 0 ] || set -- $(find daemon client proto -name '*.[ch]' | sort)
awk -v file_max=1600 -v fn_max=120 '
FNR == 1 {
	if (prev != "" && lines > file_max) {
		printf "%s: %d lines (at most %d)\n", prev, lines, file_max
		bad = 1
	}
	prev = FILENAME; name = ""; start = 0
}
{ lines = FNR }
/^[A-Za-z_][A-Za-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name) }
/^\{$/ { start = FNR }
/^\}/ && start > 0 {
	if (FNR - start + 1 > fn_max) {
		printf "%s:%d: %s() is %d lines (at most %d)\n", FILENAME,
		    start, name, FNR - start + 1, fn_max
		bad = 1
	}
	start = 0
}
END {
	if (prev != "" && lines > file_max) {
		printf "%s: %d lines (at most %d)\n", prev, lines, file_max
		bad = 1
	}
	exit bad
}' "$@"
