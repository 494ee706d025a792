#!/bin/bash
# What one user may put in the ring (issue 16, finding 3 and the share
# of finding 2), the attacker being uid 65534 (setpriv) speaking the
# protocol itself (hog):
#   - frames that each claim 4294967295 dropped entries, one of two also
#     refused (--max-entry), from a sender limited to a burst of 100 a
#     second: the drop notes are bounded in value (10,000,000 at most),
#     coalesced, and count against the sender, so the ring holds a few
#     hundred records of it, not one per frame;
#   - a flood of 1000-byte entries with no rate limit: the user's share
#     of the ring (--uid-share, --uid-share-interval) bounds what it
#     stores, what is over is counted exactly in the daemon's notes, and
#     another user's entries written before the flood are all still
#     there.
. "$(dirname "$0")/lib.sh"

need_ctl
need_setpriv
chmod 0755 "$T"
HOG=$HELPERS/hog

# 1. Drop claims.
start_daemon --size 4M --rate-limit-interval 1000 --rate-limit-burst 100
as 65534 timeout -k 2 "$(tmo 60)" "$HOG" -s "$SOCK" dropflood 5 \
    >"$T/d.out" 2>&1 || fail "hog: $(cat "$T/d.out")"
read -r _ sent <"$T/d.out"
[ "$sent" -gt 10000 ] || fail "hog sent only $sent frames"
coalesced=$(stats_field drops_coalesced)
stop_daemon
ctl show -o json >"$T/d.json" || fail "show failed"
json_fields _UID SYSLOG_IDENTIFIER MMLOG_DROPPED MMLOG_SUPPRESSED \
    <"$T/d.json" >"$T/d"
recs=$(awk -F '\t' '$1 == 65534' "$T/d" | wc -l)
notes=$(awk -F '\t' '$1 == 65534 && $3 != "-"' "$T/d" | wc -l)
note "uid 65534 sent $sent frames claiming 4294967295 drops each: $recs records of it in the ring, $notes drop notes, $coalesced reports coalesced"
# Per second at most 100 entries and notes (the burst), one note of
# coalesced drops and one of suppressed entries: over about 6 s, 624.
[ "$recs" -le 700 ] || fail "$recs records of uid 65534 in the ring"
[ "$notes" -ge 1 ] || fail "no drop note at all"
awk -F '\t' '$3 != "-" && $3 > 10000000 { bad = 1 } END { exit bad }' "$T/d" ||
    fail "a drop note counts more than 10000000"
grep -q 'it claimed 4294967295; no more than 10000000 are counted per frame' \
    "$T/d.json" || fail "no note says the claim was bounded"
grep -q 'dropped [0-9]* entries before this point (reports coalesced' \
    "$T/d.json" || fail "no coalesced drop note"

# 2. The share: 10% of a 4 MiB ring per 10 s.
rm -f "$RING"
start_daemon --size 4M --uid-share 10 --uid-share-interval 10
loadgen -t keep -n 200 >/dev/null 2>"$T/k.err" || fail "loadgen: $(cat "$T/k.err")"
t0=$(date +%s%N)
as 65534 timeout -k 2 "$(tmo 60)" "$HOG" -s "$SOCK" flood 5 1000 \
    >"$T/f.out" 2>&1 || fail "hog: $(cat "$T/f.out")"
read -r _ sent _ bytes <"$T/f.out"
assert_eq "share in stats" 10 "$(stats_field uid_share)"
stop_daemon
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ctl show -o json >"$T/f.json" || fail "show failed"
json_fields _UID SYSLOG_IDENTIFIER MMLOG_SUPPRESSED <"$T/f.json" >"$T/f"
stored=$(awk -F '\t' '$1 == 65534 && $2 == "hog"' "$T/f" | wc -l)
supp=$(awk -F '\t' '$1 == 65534 && $3 != "-" { s += $3 } END { print s + 0 }' "$T/f")
assert_eq "uid 65534's entries: stored + suppressed" "$sent" $((stored + supp))
# A record of 1000 bytes of message, tag and comm "hog": 1072 bytes.
share=$(( 4194304 / 10 ))
limit=$(( share + share * (ms / 1000 + 1) / 10 + 1072 ))
note "uid 65534 flooded $sent entries ($bytes bytes) for 5 s: $stored stored ($((stored * 1072)) bytes in the ring, at most $limit allowed in $ms ms), $supp suppressed"
[ $((stored * 1072)) -le "$limit" ] ||
    fail "uid 65534 stored $((stored * 1072)) bytes, over its share ($limit)"
[ "$stored" -gt 0 ] || fail "uid 65534 stored nothing"
assert_eq "root's entries written before the flood" 200 \
    "$(awk -F '\t' '$2 == "keep"' "$T/f" | wc -l)"
grep -q 'suppressed [0-9]* entries ([0-9]* bytes) from uid 65534, the last from pid [0-9]* (hog): over its share of the ring (10% of 4194304 bytes per 10 s)' \
    "$T/f.json" || fail "no share note: $(grep -o '"MESSAGE":"suppressed[^"]*"' "$T/f.json" | head -n 2)"
