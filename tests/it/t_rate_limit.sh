#!/bin/bash
# Per-sender rate limiting, journald-style (--rate-limit-interval,
# --rate-limit-burst, --rate-limit-by):
#   - by pid, one window longer than the test: exactly `burst` entries of
#     a flooding client are stored, and the rest become one record
#     "suppressed N entries from pid P (comm)" with MMLOG_SUPPRESSED=N,
#     on behalf of that client, when the window ends (here: at SIGTERM);
#   - by uid, short windows: two clients of one uid share the budget; the
#     records appear while the daemon runs, and stored entries plus the
#     suppressed counts add up exactly to what was sent, whatever the
#     timing;
#   - off by default: nothing is suppressed;
#   - a suppressed entry is never acknowledged: a client whose entries
#     were suppressed gets EBUSY from its next sync (issue 16, finding 4),
#     so each flooding loadgen below fails its final sync with it.
. "$(dirname "$0")/lib.sh"

need_ctl
# loadgen ARGS..., which must have had entries suppressed: it exits 1,
# its final sync refused with EBUSY; stderr in the file named first.
loadgen_suppressed() {
	local err=$1
	shift
	loadgen "$@" >/dev/null 2>"$err" &&
	    fail "loadgen $*: its sync said durable, entries were suppressed"
	grep -q 'sync: Device or resource busy' "$err" ||
	    fail "loadgen $*: $(cat "$err")"
}
start_daemon --size 4M --rate-limit-interval 3600000 --rate-limit-burst 10 \
    --rate-limit-by pid
loadgen_suppressed "$T/lg.err" -t flood -n 100
assert_eq "rate_suppressed" 90 "$(stats_field rate_suppressed)"
stop_daemon
ctl show -o json >"$T/1.json" || fail "show failed"
json_fields SYSLOG_IDENTIFIER _PID MMLOG_SUPPRESSED MESSAGE _COMM _MMLOG_DAEMON \
    <"$T/1.json" >"$T/1"
assert_eq "flood entries stored" 10 "$(awk -F '\t' '$1 == "flood"' "$T/1" | wc -l)"
fpid=$(awk -F '\t' '$1 == "flood" { print $2; exit }' "$T/1")
awk -F '\t' '$3 != "-"' "$T/1" >"$T/1.rec"
assert_eq "suppression records" 1 "$(wc -l <"$T/1.rec")"
IFS=$'\t' read -r tag rpid n msg comm daemon <"$T/1.rec"
assert_eq "record tag" mmlogd "$tag"
assert_eq "record count" 90 "$n"
assert_eq "record pid" "$fpid" "$rpid"
assert_eq "record comm" loadgen "$comm"
assert_eq "record flag" 1 "$daemon"
case $msg in
"suppressed 90 entries from pid $fpid (loadgen)"*) ;;
*) fail "record message: $msg" ;;
esac
note "$msg"

# By uid: two processes share one budget; windows of 300 ms.
rm -f "$RING"
start_daemon --size 4M --rate-limit-interval 300 --rate-limit-burst 5
loadgen_suppressed "$T/a.err" -t a -n 200 &
a=$!
loadgen_suppressed "$T/b.err" -t b -n 200 &
b=$!
wait $a || exit 1
wait $b || exit 1
sup=$(stats_field rate_suppressed)
[ "$sup" -gt 0 ] || fail "nothing suppressed"
# The records come when the windows end, without a restart.
sum_ok() {
	ctl show -o json >"$T/2.json" || return 1
	json_fields SYSLOG_IDENTIFIER MMLOG_SUPPRESSED _UID <"$T/2.json" >"$T/2"
	[ "$(awk -F '\t' '$2 != "-" { s += $2 } END { print s + 0 }' "$T/2")" = "$sup" ]
}
wait_for "$(tmo 10)" sum_ok || fail "suppressed counts in the ring do not reach $sup"
stored=$(awk -F '\t' '$1 == "a" || $1 == "b"' "$T/2" | wc -l)
assert_eq "stored + suppressed" 400 $((stored + sup))
awk -F '\t' -v u="$(id -u)" '$2 != "-" && $3 != u { bad = 1 } END { exit bad }' "$T/2" ||
    fail "a record is not on behalf of uid $(id -u)"
assert_eq "suppressed after the windows" "$sup" "$(stats_field rate_suppressed)"
note "by uid: $stored stored, $sup suppressed in $(awk -F '\t' '$2 != "-"' "$T/2" | wc -l) records"
stop_daemon

# Off by default.
rm -f "$RING"
start_daemon --size 4M
loadgen -t free -n 2000 >/dev/null 2>"$T/lg.err" || fail "loadgen failed"
assert_eq "suppressed without a limit" 0 "$(stats_field rate_suppressed)"
assert_eq "entries without a limit" 2000 "$(stats_field entries)"
stop_daemon

# From the configuration file, and changed live by SIGHUP: the windows so
# far are recorded first, then the new limit holds.
rm -f "$RING"
printf 'rate-limit-interval = 3600000\nrate-limit-burst = 3\nrate-limit-by = pid\n' \
    >"$T/mmlogd.conf"
start_daemon --size 4M --config "$T/mmlogd.conf"
assert_eq "burst from the file" 3 "$(stats_field rate_limit_burst)"
assert_eq "key from the file" pid "$(stats_field rate_limit_by)"
loadgen_suppressed "$T/lg.err" -t conf1 -n 10
sed -i 's/^rate-limit-burst = 3$/rate-limit-burst = 5/' "$T/mmlogd.conf"
kill -HUP "$DPID"
wait_for "$(tmo 10)" stats_is rate_limit_burst 5 || fail "SIGHUP did not apply the burst"
grep -q 'SIGHUP: rate-limit-burst changed from 3 to 5' "$DERR" ||
    fail "the change was not logged"
loadgen_suppressed "$T/lg.err" -t conf2 -n 10
ctl show -o json >"$T/3.json" || fail "show failed"
json_fields SYSLOG_IDENTIFIER MMLOG_SUPPRESSED <"$T/3.json" >"$T/3"
assert_eq "entries stored under burst 3, then 5" "3 5" \
    "$(grep -c '^conf1' "$T/3") $(grep -c '^conf2' "$T/3")"
assert_eq "the first window's record, at the reload" 7 \
    "$(awk -F '\t' '$2 != "-" { print $2; exit }' "$T/3")"
stop_daemon
