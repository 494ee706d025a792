#!/bin/bash
# Build hardening, read back from the binaries themselves (readelf, nm):
# mmlogd, mmlogctl and mmlog-forward are position-independent executables (ELF type
# DYN with the PIE flag), every binary has full RELRO (a GNU_RELRO
# segment and BIND_NOW) and calls the stack protector's failure hook;
# outside sanitizer builds glibc's fortified functions (__*_chk) are
# used; the library exports nothing but mmlog_* (-fvisibility=hidden and
# the version script).
. "$(dirname "$0")/lib.sh"

command -v readelf >/dev/null || fail "readelf is not installed (binutils)"
command -v nm >/dev/null || fail "nm is not installed (binutils)"
san=0
grep -q __asan_init "$MMLOGD" && san=1

for b in mmlogd mmlogctl mmlog-forward libmmlogclient.so.0; do
	f=$IT_BUILD/$b
	[ -f "$f" ] || fail "$b is not built"
	readelf -hW "$f" >"$T/h" && readelf -dW "$f" >"$T/d" &&
	    readelf -lW "$f" >"$T/l" || fail "readelf $b"
	grep -q 'Type: *DYN' "$T/h" || fail "$b: ELF type is $(grep Type: "$T/h")"
	grep -q GNU_RELRO "$T/l" || fail "$b: no GNU_RELRO segment"
	grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' "$T/d" ||
	    fail "$b: not linked with -z now (no BIND_NOW)"
	case $b in
	*.so.*)	;;
	*)	grep -Eq '\(FLAGS_1\).*PIE' "$T/d" || fail "$b: not a PIE" ;;
	esac
	nm -D "$f" >"$T/syms" || fail "nm -D $b"
	grep -q ' U __stack_chk_fail' "$T/syms" ||
	    fail "$b: no stack protector (__stack_chk_fail not used)"
	if [ "$san" = 0 ]; then
		grep -Eq ' U __[a-z]+_chk(@|$)' "$T/syms" ||
		    fail "$b: no fortified calls (_FORTIFY_SOURCE)"
	fi
done

nm -D --defined-only "$IT_BUILD/libmmlogclient.so.0" |
    awk '$3 != "MMLOG_0" && $3 !~ /^mmlog_/' >"$T/foreign"
[ -s "$T/foreign" ] && fail "the library exports more than mmlog_*: $(head -n 5 "$T/foreign")"
n=$(nm -D --defined-only "$IT_BUILD/libmmlogclient.so.0" | grep -c ' mmlog_')
[ "$n" -ge 5 ] || fail "the library exports only $n mmlog_* symbols"
note "PIE, full RELRO, stack protector$([ "$san" = 0 ] && echo ", fortify"); library exports $n mmlog_* symbols only"
exit 0
