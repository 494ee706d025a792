#!/bin/bash
# An ACK means stored and durable, never "suppressed" (issue 16, finding
# 4).  With a burst of 2, five `mmlogctl write --sync` of uid 65534: the
# first two say "durable up to seq N", the other three fail with EBUSY
# (reason E_SUPPRESSED), and the ring holds exactly two of them and the
# daemon's count of the three.  The same for durable writes through the
# library (mmlog_write_durable(): -EBUSY), and for entries over the
# user's share of the ring.
. "$(dirname "$0")/lib.sh"

need_ctl
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 0755 "$T"
	as() {
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	}
	uid=65534
else
	note "not root: as uid $(id -u), without the share of the ring"
	as() {
		"$@"
	}
	uid=$(id -u)
fi
wr() {
	as timeout -k 2 "$(tmo 30)" "$MMLOGCTL" --socket "$SOCK" write --sync \
	    --timeout 10 -t five "$@"
}

start_daemon --size 1M --rate-limit-interval 3600000 --rate-limit-burst 2
for i in 1 2 3 4 5; do
	wr "write $i" >"$T/w$i.out" 2>"$T/w$i.err"
	echo $? >"$T/w$i.rc"
done
for i in 1 2; do
	assert_eq "write $i exit" 0 "$(cat "$T/w$i.rc")"
	grep -q '^durable up to seq [0-9]' "$T/w$i.out" || fail "write $i: $(cat "$T/w$i.out")"
done
for i in 3 4 5; do
	assert_eq "write $i exit" 1 "$(cat "$T/w$i.rc")"
	[ -s "$T/w$i.out" ] && fail "write $i printed $(cat "$T/w$i.out")"
	grep -q 'sync: Device or resource busy (mmlogd suppressed entries' \
	    "$T/w$i.err" || fail "write $i said: $(cat "$T/w$i.err")"
done
note "$(cat "$T/w3.err")"
# Durable writes through the library: each one refused, distinctly.
as timeout -k 2 "$(tmo 30)" "$HELPERS/loadgen" -s "$SOCK" -t durable -n 3 -a \
    >"$T/lg.out" 2>"$T/lg.err" && fail "loadgen -a: a suppressed entry was acknowledged"
grep -q 'loadgen: write 1: Device or resource busy' "$T/lg.err" ||
    fail "loadgen -a said: $(cat "$T/lg.err")"
[ -s "$T/lg.out" ] && fail "loadgen -a printed an acknowledged seq: $(cat "$T/lg.out")"
assert_eq "rate_suppressed" 4 "$(stats_field rate_suppressed)"
stop_daemon
ctl show -o json >"$T/a.json" || fail "show failed"
json_fields SYSLOG_IDENTIFIER MESSAGE MMLOG_SUPPRESSED _UID <"$T/a.json" >"$T/a"
assert_eq "entries stored" "write 1
write 2" "$(awk -F '\t' '$1 == "five" { print $2 }' "$T/a")"
assert_eq "suppressed, as the daemon counted them" 4 \
    "$(awk -F '\t' -v u="$uid" '$3 != "-" && $4 == u { s += $3 } END { print s + 0 }' "$T/a")"

# Over the share of the ring (1% of 1 MiB, about 10 KiB a minute).
[ "$uid" = 65534 ] || exit 0
rm -f "$RING"
start_daemon --size 1M --uid-share 1 --uid-share-interval 60
big=$(head -c 3000 /dev/zero | tr '\0' 's')
ok=0
busy=0
for i in 1 2 3 4 5 6 7 8; do
	if wr "$big" >/dev/null 2>"$T/s.err"; then
		ok=$((ok + 1))
	else
		grep -q 'Device or resource busy' "$T/s.err" || fail "share: $(cat "$T/s.err")"
		busy=$((busy + 1))
	fi
done
note "3000-byte entries over a 1% share: $ok acknowledged, $busy refused"
[ "$ok" -ge 3 ] && [ "$ok" -le 4 ] || fail "$ok entries of 3 KiB acknowledged in a share of 10 KiB"
assert_eq "share_suppressed" "$busy" "$(stats_field share_suppressed)"
stop_daemon
ctl show -o json >"$T/s.json" || fail "show failed"
assert_eq "entries of 65534 stored" "$ok" \
    "$(json_fields SYSLOG_IDENTIFIER <"$T/s.json" | grep -c '^five$')"
