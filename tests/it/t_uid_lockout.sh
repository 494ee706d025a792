#!/bin/bash
# One user must not lock the others out (issue 16, finding 2).  The
# attacker is uid 65534 (setpriv), speaking the protocol itself (hog):
#   - it opens ten times more connections than it may, keeping each
#     alive with a SYNC every second and opening again what the daemon
#     closes: it holds at most --max-clients-per-uid, and another user's
#     `mmlogctl write --sync` succeeds meanwhile;
#   - with --max-clients-per-uid above the table, it fills the part of
#     the table open to ordinary users (all but --reserved-clients):
#     another user still gets in, by closing the attacker's least
#     recently active connection (clients_evicted), root by the reserve;
#   - while it also keeps connecting in a loop from several threads (the
#     listen queue full), another user's durable writes complete, and
#     their latency is reported;
#   - a listener whose queue is full and who never accepts cannot hang a
#     client: libmmlogclient's connect gives up (ETIMEDOUT) within its
#     bound, and so does `mmlogctl write --timeout`.
. "$(dirname "$0")/lib.sh"

need_ctl
need_setpriv
chmod 0755 "$T"		# the socket must be reachable for other uids
HOG=$HELPERS/hog
# Ends a hog started in the background with `as` (its pid is the
# subshell's; the hog is the subshell's child) before its -w is over: the
# attack only has to last while the victim's writes are made.
hog_stop() {
	local p
	for p in "$@"; do
		pkill -USR1 -P "$p"
	done
}
victim_write() {
	as 65533 timeout -k 2 "$(tmo 30)" "$MMLOGCTL" --socket "$SOCK" write \
	    --sync --timeout 10 -t victim "$@"
}

# 1. Per uid: 65534 asks for 200 connections and may hold 16.
start_daemon --size 4M --max-clients 64 --max-clients-per-uid 16 \
    --reserved-clients 4
as 65534 "$HOG" -s "$SOCK" -w "$(tmo 4)" hold 200 1 >"$T/h1.out" \
    2>"$T/h1.err" &
h=$!
track $h
wait_for "$(tmo 20)" grep -qs '^held' "$T/h1.out" || fail "hog did not start"
held=$(awk '/^held/ { print $2 }' "$T/h1.out")
assert_eq "connections uid 65534 holds" 16 "$held"
victim_write "while 65534 holds its share" >"$T/v1.out" 2>"$T/v1.err" ||
    fail "another user's write --sync failed: $(cat "$T/v1.err")"
grep -q '^durable up to seq' "$T/v1.out" || fail "victim: $(cat "$T/v1.out")"
hog_stop $h
wait $h
untrack $h
grep -q '^end held 16 ' "$T/h1.out" || fail "hog: $(cat "$T/h1.out")"
[ "$(stats_field clients_refused)" -gt 100 ] ||
    fail "refusals: $(stats_field clients_refused)"
grep -q 'refusing a client of uid 65534 .*--max-clients-per-uid' "$DERR" ||
    fail "the refusal was not logged"
stop_daemon

# 2. The table full of one user's connections: others still get in.
rm -f "$RING"
start_daemon --size 4M --max-clients 40 --max-clients-per-uid 1000 \
    --reserved-clients 4 --idle-timeout 600
as 65534 "$HOG" -s "$SOCK" -w "$(tmo 5)" hold 100 1 >"$T/h2.out" \
    2>"$T/h2.err" &
h=$!
track $h
wait_for "$(tmo 20)" grep -qs '^held' "$T/h2.out" || fail "hog did not start"
assert_eq "connections uid 65534 holds" 36 "$(awk '/^held/ { print $2 }' "$T/h2.out")"
for i in 1 2 3; do
	victim_write "full table $i" >"$T/v2.out" 2>"$T/v2.err" ||
	    fail "another user was locked out: $(cat "$T/v2.err")"
done
# Root through the reserve, without displacing anyone.
# The first write found the table full and must have closed one of the
# hog's; a later one may find the slot the last one left, before the hog
# opens it again (seen: 2 evictions for 3 writes), and needs none.
ev=$(stats_field clients_evicted)
[ "$ev" -ge 1 ] || fail "clients_evicted is $ev after three other-user writes"
ctl --socket "$SOCK" write --sync -t root "root gets in" >/dev/null ||
    fail "root was locked out: $(tail -n 2 "$T/ctl.err")"
note "table full: $ev of uid 65534's connections closed to make room"
hog_stop $h
wait $h
untrack $h

# 3. The same, with the listen queue kept full too: another user's
# durable writes complete, within a bound; their latency is reported.
as 65534 "$HOG" -s "$SOCK" -w "$(tmo 8)" hold 100 1 >"$T/h3.out" \
    2>"$T/h3.err" &
h=$!
track $h
c0=$(date +%s%N)
as 65534 "$HOG" -s "$SOCK" connect 4 "$(tmo 6)" >"$T/c3.out" 2>&1 &
cn=$!
track $cn
wait_for "$(tmo 20)" grep -qs '^held' "$T/h3.out" || fail "hog did not start"
as 65533 timeout -k 2 "$(tmo 60)" "$HOG" -s "$SOCK" lat 30 >"$T/lat.out" \
    2>&1 || fail "latency probe: $(cat "$T/lat.out")"
read -r _ n ok p50 p99 max <"$T/lat.out"
note "uid 65533's durable writes (connect included) while 65534 holds the table and connects in a loop: $n $ok $p50 $p99 $max us"
assert_eq "victim's writes" "ok=30" "$ok"
hog_stop $cn $h
wait $cn
untrack $cn
note "uid 65534: $(cat "$T/c3.out") in $(( ($(date +%s%N) - c0) / 1000000 )) ms"
wait $h
untrack $h
alive "$DPID" || fail "mmlogd died"
stop_daemon

# 4. Nobody accepts and the queue is full: clients give up, bounded.
"$HOG" -w "$(tmo 30)" listen "$T/fake" 1 >"$T/l.out" 2>&1 &
l=$!
track $l
wait_for "$(tmo 10)" grep -qs listening "$T/l.out" || fail "fake listener"
"$HOG" -w "$(tmo 30)" fill "$T/fake" >"$T/f.out" 2>&1 &
f=$!
track $f
wait_for "$(tmo 10)" grep -qs filled "$T/f.out" || fail "fill: $(cat "$T/f.out")"
t0=$(date +%s%N)
timeout -k 2 30 "$HELPERS/loadgen" -s "$T/fake" -n 1 >/dev/null 2>"$T/lg4.err" &
lg=$!
timeout -k 2 30 "$MMLOGCTL" --socket "$T/fake" write --timeout 1 x \
    >/dev/null 2>"$T/w4.err" && fail "a write to a full queue succeeded"
[ $? -lt 124 ] || fail "mmlogctl write hung on a full listen queue"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
grep -q 'timed out' "$T/w4.err" || fail "write said: $(cat "$T/w4.err")"
[ "$ms" -lt 9000 ] || fail "mmlogctl write took $ms ms to give up"
note "a full listen queue: mmlogctl write gave up after $ms ms: $(cat "$T/w4.err")"
wait $lg && fail "loadgen got through a full queue"
grep -q 'open: Connection timed out' "$T/lg4.err" ||
    fail "loadgen said: $(cat "$T/lg4.err")"
