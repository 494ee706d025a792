#!/bin/bash
# The manuals, mmlogd(8), mmlogctl(1), mmlog(3) and mmlog-forward(8):
# `man --warnings -l` renders each without a single warning, and so does
# groff with every warning on; each has an EXAMPLES section; mmlogd(8)
# and mmlog-forward(8) document every option their --help lists.
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$(dirname "$0")/../.." && pwd)
command -v man >/dev/null || fail "man is not installed (man-db)"
command -v groff >/dev/null || fail "groff is not installed (groff-base)"
export LC_ALL=C.UTF-8 MANWIDTH=80
for page in daemon/mmlogd.8 client/ctl/mmlogctl.1 client/lib/mmlog.3 \
    client/forward/mmlog-forward.8; do
	man --warnings -l -Tutf8 "$REPO/$page" >"$T/out" 2>"$T/warn" ||
	    fail "man -l $page failed: $(cat "$T/warn")"
	[ -s "$T/warn" ] && fail "man --warnings $page: $(head -n 5 "$T/warn")"
	groff -ww -z -Tutf8 -mandoc "$REPO/$page" 2>"$T/warn"
	[ -s "$T/warn" ] && fail "groff -ww $page: $(head -n 5 "$T/warn")"
	grep -q '^\.S[Hh] EXAMPLES$' "$REPO/$page" || fail "$page has no EXAMPLES section"
	note "$page: $(wc -l <"$T/out") lines, no warnings"
done

# Every option of mmlogd --help in mmlogd(8) (as \-\-option).
"$MMLOGD" --help | sed -n 's/^ *\(-., \)\{0,1\}--\([a-z-]*\).*/\2/p' >"$T/opts"
[ "$(wc -l <"$T/opts")" -ge 10 ] || fail "options from --help: $(cat "$T/opts")"
while read -r o; do
	pat=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
	grep -q -- "\\\\-\\\\-$pat" "$REPO/daemon/mmlogd.8" ||
	    fail "mmlogd(8) does not document --$o"
done <"$T/opts"

# Every option of mmlog-forward --help in mmlog-forward(8).
"$IT_BUILD/mmlog-forward" --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$T/fopts"
[ "$(wc -l <"$T/fopts")" -ge 20 ] || fail "options from --help: $(cat "$T/fopts")"
while read -r o; do
	pat=$(printf '%s' "${o#--}" | sed 's/-/\\\\-/g')
	grep -q -- "\\\\-\\\\-$pat" "$REPO/client/forward/mmlog-forward.8" ||
	    fail "mmlog-forward(8) does not document $o"
done <"$T/fopts"
