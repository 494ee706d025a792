#!/bin/bash
# Hostile ring files (issue 16, finding 5): work bounded by the ring's
# size, never by its damage.
# - A header claiming 1 TiB over a sparse file (a few pages allocated):
#   every mmlogctl command and mmlogd refuse it at once, saying the file
#   has holes, and allocate or read nothing of what it claims.
# - A ring of 8000 entries each followed by 8 zero bytes (a break in the
#   chain per entry), which no writer holds: show, status, verify and
#   show -n each finish in a few seconds (they used to pause for a live
#   writer at every break: 15 s for show, 30 s for status).
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 1M
stop_daemon
cp "$RING" "$T/clean"

# bounded SECONDS WHAT COMMAND...: COMMAND must end within SECONDS.
bounded() {
	local s=$1 what=$2 t0 rc
	shift 2
	t0=$(date +%s%N)
	timeout -k 2 "$(tmo "$s")" "$@" >"$T/b.out" 2>"$T/b.err"
	rc=$?
	[ "$rc" = 124 ] || [ "$rc" = 137 ] &&
	    fail "$what: still running after $(tmo "$s")s"
	note "$what: exit $rc in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	return "$rc"
}

# --- 1 TiB claimed over a sparse file.
cp "$T/clean" "$T/big"
"$HELPERS/ringhack" poke64 "$T/big" 40 $((1 << 40)) &&
"$HELPERS/ringhack" seal "$T/big" || fail "ringhack"
truncate -s $((4096 + (1 << 40) + (1 << 21))) "$T/big"
for cmd in show status verify dump "show -n 10" "show -r"; do
	# shellcheck disable=SC2086
	bounded 10 "sparse: $cmd" "$MMLOGCTL" --file "$T/big" $cmd &&
	    fail "sparse: $cmd accepted the file"
	grep -q "holes" "$T/b.out" "$T/b.err" ||
	    fail "sparse: $cmd does not say why: $(cat "$T/b.err")"
done
bounded 10 "sparse: mmlogd" "$MMLOGD" --socket "$SOCK" --file "$T/big" &&
    fail "mmlogd accepted a sparse ring"
grep -q "refusing ring.*holes" "$T/b.err" ||
    fail "mmlogd does not say why: $(cat "$T/b.err")"
[ "$(stat -c %b "$T/big")" -lt 4096 ] ||
    fail "something allocated the sparse file: $(stat -c %b "$T/big") blocks"
rm -f "$T/big"

# --- A break after every entry, no writer.
cp "$T/clean" "$RING"
"$HELPERS/ringhack" gaps "$RING" 8000 || fail "ringhack gaps"
bounded 5 "gaps: show" "$MMLOGCTL" --file "$RING" show ||
    fail "gaps: show failed: $(tail -n 2 "$T/b.err")"
n=$(wc -l <"$T/b.out")
[ "$n" -ge 4000 ] || fail "gaps: show printed $n entries"
bounded 5 "gaps: show -o json" "$MMLOGCTL" --file "$RING" show -o json ||
    fail "gaps: show -o json failed"
bounded 5 "gaps: status" "$MMLOGCTL" --file "$RING" status ||
    fail "gaps: status failed: $(tail -n 2 "$T/b.err")"
bounded 10 "gaps: verify" "$MMLOGCTL" --file "$RING" verify
[ $? -le 1 ] || fail "gaps: verify failed"
bounded 5 "gaps: show -n 20" "$MMLOGCTL" --file "$RING" show -n 20 ||
    fail "gaps: show -n failed"
bounded 5 "gaps: show -r" "$MMLOGCTL" --file "$RING" show -r ||
    fail "gaps: show -r failed"
# mmlogd opens it, and readers stay bounded while it holds the ring.
start_daemon
bounded 10 "gaps, mmlogd running: show" "$MMLOGCTL" --file "$RING" show ||
    fail "gaps: show with mmlogd running failed"
bounded 10 "gaps, mmlogd running: status" "$MMLOGCTL" --file "$RING" status ||
    fail "gaps: status with mmlogd running failed"
stop_daemon
