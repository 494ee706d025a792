#!/bin/bash
# The seek index.  On a 4 MiB ring written round several times, show -n,
# --since and --after-cursor begin where the index sends them
# (MMLOGCTL_DEBUG=seek says how each seek was answered) and print exactly
# what a walk of the whole ring selects.  With every index slot damaged
# they say so, bisect the data instead, and still print the same; the
# next mmlogd clears the damaged slots and the index fills again.
. "$(dirname "$0")/lib.sh"

need_ctl
CAP=$((4 * 1048576))
start_daemon --size 4M
for t in a b c d; do
	loadgen -t "$t" -n 10000 -z 200 2>"$T/lg.err" ||
	    fail "loadgen failed: $(cat "$T/lg.err")"
done
wraps=$(header_field wraps)
[ "$wraps" -ge 2 ] || fail "the ring went round only $wraps times"

ctl --file "$RING" show -n all -o json >"$T/all.json" ||
    fail "show -n all failed"
json_fields __SEQNUM __REALTIME_TIMESTAMP __CURSOR <"$T/all.json" >"$T/all.tsv"
total=$(wc -l <"$T/all.tsv")
[ "$total" -gt 10000 ] || fail "only $total entries in the ring"
mid=$(sed -n "$((total / 2))p" "$T/all.tsv")
mid_usec=$(printf '%s\n' "$mid" | cut -f 2)
mid_cursor=$(printf '%s\n' "$mid" | cut -f 3)
since=$((mid_usec / 1000000))

# dctl ARGS...: mmlogctl with seek tracing, its stderr left to the caller.
dctl() {
	MMLOGCTL_DEBUG=seek timeout -k 2 "$(tmo 60)" "$MMLOGCTL" "$@"
}

# seeks HOW WHAT: the three seeks, each compared with the full walk;
# HOW is what MMLOGCTL_DEBUG=seek must report.
seeks() {
	local how=$1 what=$2
	dctl --file "$RING" show -n 100 -o json \
	    >"$T/n.json" 2>"$T/n.err" || fail "$what: show -n 100 failed"
	tail -n 100 "$T/all.json" | cmp -s - "$T/n.json" ||
	    fail "$what: show -n 100 differs from the last 100 of the ring"
	dctl --file "$RING" show -n all --since "@$since" \
	    -o json >"$T/s.json" 2>"$T/s.err" || fail "$what: --since failed"
	awk -v t="$since" -F '"__REALTIME_TIMESTAMP":"' \
	    '{ split($2, v, "\""); if (v[1] >= t * 1000000) print }' \
	    "$T/all.json" | cmp -s - "$T/s.json" ||
	    fail "$what: --since @$since differs from the full walk's"
	dctl --file "$RING" show -n all \
	    --after-cursor "$mid_cursor" -o json >"$T/c.json" 2>"$T/c.err" ||
	    fail "$what: --after-cursor failed"
	tail -n "$((total - total / 2))" "$T/all.json" | cmp -s - "$T/c.json" ||
	    fail "$what: --after-cursor differs from the full walk's"
	for f in n s c; do
		grep -q "seek: $how at seq" "$T/$f.err" ||
		    fail "$what: seek $f was not answered by '$how':" \
		    "$(cat "$T/$f.err")"
	done
}

seeks index "live ring"
grep -q "warning" "$T/n.err" && fail "warning with a sound index: $(cat "$T/n.err")"
stop_daemon
seeks index "stopped daemon"

# Damage every slot's CRC.
idx_off=$(( (CAP + 4096 + 4095) / 4096 * 4096 ))
slots=$(( (CAP + 65535) / 65536 ))
for i in $(seq 0 $((slots - 1))); do
	"$HELPERS/ringhack" xor "$RING" $((idx_off + i * 32 + 24)) 0x5a ||
	    fail "ringhack failed"
done
seeks "index damaged" "damaged index"
grep -q "seek index is damaged" "$T/n.err" ||
    fail "no warning about the damaged index: $(cat "$T/n.err")"
ctl --file "$RING" verify >"$T/verify.out" 2>&1 &&
    fail "verify passed a ring whose index is damaged"
grep -q "index" "$T/verify.out" ||
    fail "verify did not name the index: $(cat "$T/verify.out")"

start_daemon --size 4M
grep -q "$slots of $slots seek index slots did not match" "$DERR" ||
    fail "mmlogd did not clear the damaged slots: $(tail -n 5 "$DERR")"
# A few entries fill a few slots: the index covers only the newest part
# of the ring, and seeks into the rest bisect the data.
loadgen -t e -n 200 -z 200 2>"$T/lg.err" || fail "loadgen failed"
dctl --file "$RING" show -n all --after-cursor "$mid_cursor" -o json \
    >"$T/p.json" 2>"$T/p.err" || fail "partial index: --after-cursor failed"
grep -q "seek: index partial at seq" "$T/p.err" ||
    fail "partial index: seek not answered by bisection: $(cat "$T/p.err")"
ctl --file "$RING" show -n all -o json | awk -v c="$mid_cursor" '
    f { print } index($0, "\"__CURSOR\":\"" c "\"") { f = 1 }' |
    cmp -s - "$T/p.json" || fail "partial index: --after-cursor differs"
loadgen -t e -n 20000 -z 200 2>"$T/lg.err" || fail "loadgen failed"
ctl --file "$RING" show -n all -o json >"$T/all.json" || fail "show failed"
json_fields __SEQNUM __REALTIME_TIMESTAMP __CURSOR <"$T/all.json" >"$T/all.tsv"
total=$(wc -l <"$T/all.tsv")
mid=$(sed -n "$((total / 2))p" "$T/all.tsv")
mid_usec=$(printf '%s\n' "$mid" | cut -f 2)
mid_cursor=$(printf '%s\n' "$mid" | cut -f 3)
since=$((mid_usec / 1000000))
seeks index "refilled index"
ctl --file "$RING" verify >"$T/verify.out" 2>&1 ||
    fail "verify fails after the index refilled: $(cat "$T/verify.out")"
stop_daemon
