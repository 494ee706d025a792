#!/bin/bash
# The documentation says what the code has:
#   - mmlog(3) names and declares every function of mmlog.h, names every
#     MMLOG_* constant, and the library exports nothing mmlog.h does not
#     declare;
#   - mmlog(3)'s example builds against the build tree with -Werror,
#     runs against a daemon, and its entries are in the ring;
#   - README's mmlogd synopsis ("The daemon") has every option of
#     mmlogd --help;
#   - HACKING.md's module map names every source file under proto/,
#     daemon/ and client/.
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$(dirname "$0")/../.." && pwd)
H=$REPO/client/lib/mmlog.h
MAN=$REPO/client/lib/mmlog.3

# mmlog.h's functions: NAME and SYNOPSIS of mmlog(3).
sed -n 's/^[a-z].*[ *]\(mmlog_[a-z_]*\)(.*/\1/p' "$H" | sort -u >"$T/funcs"
[ "$(wc -l <"$T/funcs")" -ge 20 ] || fail "functions of mmlog.h: $(cat "$T/funcs")"
sed -n '/^\.SH NAME/,/^\.SH SYNOPSIS/p' "$MAN" >"$T/name"
sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$MAN" >"$T/synopsis"
while read -r f; do
	grep -qw "$f" "$T/name" || fail "mmlog(3) NAME lacks $f"
	grep -q "[ *]$f(" "$T/synopsis" || fail "mmlog(3) SYNOPSIS lacks $f()"
done <"$T/funcs"

# Every MMLOG_* constant is named (the LOG_* options by either name).
grep -o '^#define MMLOG_[A-Z0-9_]*' "$H" | sed 's/^#define //' |
    grep -vx MMLOG_H >"$T/consts"
[ "$(wc -l <"$T/consts")" -ge 20 ] || fail "constants of mmlog.h: $(cat "$T/consts")"
while read -r c; do
	# (\fBNAME\fR: no word boundary before the name.)
	grep -qE "$c([^A-Z0-9_]|\$)" "$MAN" && continue
	case $c in
	MMLOG_LOG_*) grep -qE "(^|[^A-Z_])${c#MMLOG_}([^A-Z0-9_]|\$)" "$MAN" &&
	    continue ;;
	esac
	fail "mmlog(3) does not name $c"
done <"$T/consts"

# The library exports only what mmlog.h declares.
nm -D --defined-only "$IT_BUILD/libmmlogclient.so.0" |
    awk '$3 ~ /^mmlog_/ { sub(/@.*/, "", $3); print $3 }' | sort -u >"$T/exported"
[ -s "$T/exported" ] || fail "no mmlog_* symbol exported"
comm -23 "$T/exported" "$T/funcs" >"$T/undeclared"
[ -s "$T/undeclared" ] && fail "exported, not in mmlog.h: $(cat "$T/undeclared")"
note "$(wc -l <"$T/funcs") functions and $(wc -l <"$T/consts") constants in mmlog.h and mmlog(3)"

# mmlog(3)'s example: builds cleanly, runs, logs.
sed -n '/^\.SH EXAMPLES/,/^\.SH/p' "$MAN" | sed -n '/^\.nf/,/^\.fi/p' |
    sed '1d;$d' | sed 's/\\e/\\/g' >"$T/example.c"
grep -q 'mmlog_open' "$T/example.c" || fail "no example in mmlog(3)"
san=
nm "$IT_BUILD/libmmlogclient.a" 2>/dev/null | grep -q __asan &&
    san=-fsanitize=address,undefined
# shellcheck disable=SC2086
cc $san -std=c11 -Wall -Wextra -Werror -I"$REPO/client/lib" -o "$T/example" \
    "$T/example.c" "$IT_BUILD/libmmlogclient.a" -lpthread \
    >"$T/cc.err" 2>&1 || fail "mmlog(3) example: $(head -n 5 "$T/cc.err")"
start_daemon --size 1M
timeout "$(tmo 30)" "$T/example" || fail "mmlog(3) example exited $?"
n=$(ctl show -t example -o cat | grep -c '^row$')
assert_eq "the example's async rows in the ring" 1000 "$n"
ctl show -t example -o cat | grep -q '^started, pid [0-9]*$' ||
    fail "the example's first entry: $(ctl show -t example -n 3)"
stop_daemon

# README's synopsis of mmlogd has every option of --help.
sed -n '/^## The daemon/,/^Defaults:/p' "$REPO/README.md" >"$T/readme_synopsis"
"$MMLOGD" --help | sed -n 's/^ *\(-., \)\{0,1\}\(--[a-z-]*\).*/\2/p' >"$T/opts"
[ "$(wc -l <"$T/opts")" -ge 20 ] || fail "options from --help: $(cat "$T/opts")"
while read -r o; do
	case $o in
	--verbose) grep -q -- '\[-v\]' "$T/readme_synopsis" && continue ;;
	esac
	grep -q -- "$o\\b" "$T/readme_synopsis" ||
	    fail "README's mmlogd synopsis lacks $o"
done <"$T/opts"

# HACKING.md's module map names every source file.
sed -n '/^## The modules/,/^## How an entry travels/p' "$REPO/HACKING.md" >"$T/map"
(cd "$REPO" && find proto daemon client -name '*.[ch]' | sort) >"$T/sources"
while read -r f; do
	b=$(basename "$f")
	s=${b%.*}
	grep -q -e "$b" -e "$s\\.\\[ch\\]" "$T/map" ||
	    fail "HACKING.md's module map does not name $f"
done <"$T/sources"
note "$(wc -l <"$T/sources") source files in HACKING.md's module map"
