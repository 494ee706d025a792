#!/bin/sh
# run.sh: runs mmlogd's end-to-end tests, tests/it/t_*.sh, against the
# programs in BUILD_DIR (mmlogd, mmlogctl, and the helpers in it/).
#
#   sh tests/it/run.sh BUILD_DIR
#   IT_ONLY=t_wrap sh tests/it/run.sh build        one test (or a
#                                                   comma-separated list;
#                                                   the t_ may be left off)
#
# Prints "PASS name" or "FAIL name" per test (with the tail of a failing
# test's output), then "N passed, N failed"; exits 1 if any failed.  A
# test also fails if any stderr it kept (the daemon's included) holds an
# AddressSanitizer, LeakSanitizer or UBSan report.  Logs stay in
# BUILD_DIR/it-logs/NAME/.

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: sh tests/it/run.sh BUILD_DIR" >&2
	exit 2
fi
BUILD=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
LOGROOT=$BUILD/it-logs
SAN_RE='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|AddressSanitizer:DEADLYSIGNAL'

# Sanitizer builds are several times slower: stretch every timeout.
if grep -q __asan_init "$BUILD/mmlogd" 2>/dev/null; then
	IT_SLOW=${IT_SLOW:-4}
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	export ASAN_OPTIONS UBSAN_OPTIONS
else
	IT_SLOW=${IT_SLOW:-1}
fi
export IT_SLOW
IT_BUILD=$BUILD
export IT_BUILD

selected() {
	[ -z "${IT_ONLY:-}" ] && return 0
	for want in $(echo "$IT_ONLY" | tr ',' ' '); do
		case $want in
		"$1"|"t_$1"|"$1.sh") return 0 ;;
		esac
		[ "t_$want" = "$1" ] && return 0
	done
	return 1
}

mkdir -p "$LOGROOT"
passed=0
times=""
failed=0
start=$(date +%s)
for t in "$HERE"/t_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	selected "$name" || continue
	logdir=$LOGROOT/$name
	rm -rf "$logdir"
	mkdir -p "$logdir"
	t0=$(date +%s)
	IT_LOGDIR=$logdir timeout -k 5 $((150 * IT_SLOW)) \
	    bash "$t" "$BUILD" >"$logdir/output" 2>&1
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	times="$times $name=${secs}s"
	why=""
	[ $rc -eq 124 ] && why="timed out"
	[ $rc -ne 0 ] && [ -z "$why" ] && why="exit $rc"
	san=$(grep -El "$SAN_RE" "$logdir"/* 2>/dev/null | head -n 3)
	if [ -n "$san" ]; then
		why="${why:+$why, }sanitizer report in $(echo "$san" | tr '\n' ' ' |
		    sed "s|$logdir/||g")"
		rc=1
	fi
	if [ $rc -eq 0 ]; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		echo "    ($why)"
		tail -n 20 "$logdir/output" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
if [ $((passed + failed)) -eq 0 ]; then
	echo "no test matches IT_ONLY='${IT_ONLY:-}'" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
echo "# times:$times"
echo "# total $(( $(date +%s) - start ))s, logs in $LOGROOT"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
