#!/bin/bash
# Control operations over the socket (mmlogctl clear, rotate-id,
# reset-counters):
#   - a uid that is neither 0 nor the daemon's (setpriv to 65534) is
#     refused with EPERM and a message saying why, and nothing changes:
#     entries, ring id, counters;
#   - clear empties the ring for readers and says so in a daemon record
#     (MMLOG_CLEARED=N, on behalf of the requester); numbering goes on,
#     also across a restart (the clear is durable);
#   - rotate-id gives the ring a new id: a cursor of the old one is
#     refused as from another ring;
#   - reset-counters zeroes the daemon's live counters;
#   - a daemon running as an unprivileged uid accepts them from that
#     uid, and still refuses a third one.
# The permission parts need root (to change uid); as another user they
# are skipped with a note.
. "$(dirname "$0")/lib.sh"

need_ctl
chmod 0755 "$T"		# the socket must be reachable for other uids
start_daemon --size 1M
for i in 1 2 3 4 5; do
	ctl write -t ctl "entry $i" || fail "write failed"
done
ring_id() { ctl status -o json | sed -n 's/.*"ring_id":"\([0-9a-f]*\)".*/\1/p'; }
id0=$(ring_id)
[ -n "$id0" ] || fail "no ring id in status -o json"
cur=$(ctl show -n 1 --show-cursor -o cat | sed -n 's/^-- cursor: //p')
[ -n "$cur" ] || fail "no cursor from show --show-cursor"

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$MMLOGCTL" \
	    --socket "$SOCK" --file "$RING" "$@"
}
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	for op in clear rotate-id reset-counters; do
		as_nobody "$op" >"$T/nb.out" 2>"$T/nb.err" &&
		    fail "uid 65534 could run $op"
		grep -q "$op needs uid 0 or mmlogd's uid 0; you are uid 65534" \
		    "$T/nb.err" || fail "$op refusal: $(cat "$T/nb.err")"
	done
	note "$(cat "$T/nb.err")"
	assert_eq "entries after refusals" 5 "$(ctl show -o cat | wc -l)"
	assert_eq "ring id after refusals" "$id0" "$(ring_id)"
	assert_eq "entries counter after refusals" 5 "$(stats_field entries)"
	assert_eq "control_denied" 3 "$(stats_field control_denied)"
	assert_eq "control_ops" 0 "$(stats_field control_ops)"
else
	note "SKIP permission checks: not root (or no setpriv)"
fi

ctl clear >"$T/clear.out" || fail "clear failed: $(tail -n 2 "$T/ctl.err")"
grep -q 'numbering goes on at seq 7' "$T/clear.out" ||
    fail "clear said: $(cat "$T/clear.out")"
ctl show -o json >"$T/c.json" || fail "show failed"
assert_eq "entries after clear" 1 "$(wc -l <"$T/c.json")"
json_fields __SEQNUM MMLOG_CLEARED _MMLOG_DAEMON _UID <"$T/c.json" >"$T/c"
assert_eq "clear record" "6	5	1	$(id -u)" "$(cat "$T/c")"
ctl write -t ctl "after clear" || fail "write failed"
stop_daemon
start_daemon --size 1M
ctl write -t ctl "after restart" || fail "write failed"
entries | cut -f 1,5 >"$T/after"
printf '6\tring cleared by uid %s pid %s (mmlogctl): 5 entries up to seq 5 removed\n' \
    "$(id -u)" "$(json_fields _PID <"$T/c.json")" >"$T/want"
printf '7\tafter clear\n8\tafter restart\n' >>"$T/want"
diff "$T/want" "$T/after" >"$T/diff" || fail "after clear and restart: $(cat "$T/diff")"

ctl rotate-id >"$T/rot.out" || fail "rotate-id failed: $(tail -n 2 "$T/ctl.err")"
id1=$(ring_id)
[ -n "$id1" ] && [ "$id1" != "$id0" ] || fail "ring id $id0 -> '$id1'"
grep -q "ring id is now $id1" "$T/rot.out" || fail "rotate-id said: $(cat "$T/rot.out")"
ctl verify >/dev/null || fail "verify after rotate-id: $(tail -n 3 "$T/ctl.err")"
ctl show --after-cursor "$cur" >/dev/null 2>&1 && fail "a cursor of the old id was accepted"

[ "$(stats_field entries)" -gt 0 ] || fail "no entries counted before the reset"
ctl reset-counters >/dev/null || fail "reset-counters failed"
assert_eq "entries counter after reset" 0 "$(stats_field entries)"
assert_eq "control_ops after reset" 1 "$(stats_field control_ops)"
stop_daemon

# The daemon's own uid may; another may not.
[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null || exit 0
mkdir -m 0755 "$T/n"
chown 65534:65534 "$T/n"
DAEMON_N=$((DAEMON_N + 1))
DERR=$LOGS/mmlogd.$DAEMON_N.err
setpriv --reuid=65534 --regid=65534 --clear-groups "$MMLOGD" \
    --socket "$T/n/sock" --file "$T/n/ring" --size 1M 2>>"$DERR" </dev/null &
DPID=$!
track "$DPID"
wait_for "$(tmo 20)" _daemon_ready || fail "mmlogd as 65534 did not get ready"
SOCK=$T/n/sock
RING=$T/n/ring
as_nobody reset-counters >/dev/null 2>"$T/nb.err" ||
    fail "the daemon's own uid was refused: $(cat "$T/nb.err")"
setpriv --reuid=65533 --regid=65533 --clear-groups "$MMLOGCTL" \
    --socket "$SOCK" clear 2>"$T/o.err" && fail "uid 65533 could clear"
grep -q "clear needs uid 0 or mmlogd's uid 65534; you are uid 65533" "$T/o.err" ||
    fail "refusal: $(cat "$T/o.err")"
ctl --socket "$SOCK" --file "$RING" clear >/dev/null || fail "root was refused"
stop_daemon
