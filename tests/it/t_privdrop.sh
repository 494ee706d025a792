#!/bin/bash
# Privileges outside systemd:
#   - started as root with --user nobody --group G, mmlogd opens the
#     socket and the ring, then runs as nobody with no supplementary
#     groups, no capabilities and no_new_privs, its real, effective and
#     saved ids all nobody's (so root cannot be taken back); the ring is
#     nobody:G mode 0640, the socket 0666; it serves and stops cleanly;
#   - a member of G may read the ring, another uid may not (EACCES),
#     while anyone may write through the socket;
#   - --user as a non-root uid, an unknown user or group: refused at
#     start, with nothing created.
# Needs root (to start as root and to change uid): skipped otherwise.
. "$(dirname "$0")/lib.sh"

need_ctl
need_setpriv
nobody=$(id -u nobody 2>/dev/null) || fail "no user nobody"
nogroup=$(id -g nobody)
grp=65533
chmod 0755 "$T"
mkdir -m 0755 "$T/r"
RING=$T/r/ring
start_daemon --size 1M --user nobody --group "$grp"
grep -q "running as user 'nobody'" "$DERR" || fail "no word of the user change"
st=/proc/$DPID/status
assert_eq "Uid" "$nobody $nobody $nobody $nobody" "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")"
assert_eq "Gid" "$nogroup $nogroup $nogroup $nogroup" "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "$st")"
assert_eq "Groups" "" "$(awk '/^Groups:/ { $1 = ""; sub(/^ +/, ""); print }' "$st")"
assert_eq "CapEff" 0000000000000000 "$(awk '/^CapEff:/ { print $2 }' "$st")"
assert_eq "CapPrm" 0000000000000000 "$(awk '/^CapPrm:/ { print $2 }' "$st")"
assert_eq "NoNewPrivs" 1 "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")"
# Every thread (the sync thread too).
for t in /proc/$DPID/task/*; do
	assert_eq "thread $(basename "$t") Uid" "$nobody" "$(awk '/^Uid:/ { print $3 }' "$t/status")"
done
assert_eq "ring owner and mode" "$nobody:$grp 640" "$(stat -c '%u:%g %a' "$RING")"
assert_eq "socket mode" 666 "$(stat -c '%a' "$SOCK")"

# Anyone writes; the group reads; others do not.
setpriv --reuid=65532 --regid=65532 --clear-groups "$MMLOGCTL" --socket "$SOCK" \
    write -t other "from 65532" 2>"$T/w.err" || fail "uid 65532 could not write: $(cat "$T/w.err")"
loadgen -t root -n 10 -a >/dev/null 2>"$T/lg.err" || fail "not serving after the drop"
setpriv --reuid=65531 --regid=65531 --groups="$grp" "$MMLOGCTL" --file "$RING" \
    show -o cat >"$T/g.out" 2>"$T/g.err" || fail "a member of $grp cannot read: $(cat "$T/g.err")"
grep -qx 'from 65532' "$T/g.out" || fail "the group member does not see the entry"
assert_eq "entries the group member sees" 11 "$(wc -l <"$T/g.out")"
setpriv --reuid=65531 --regid=65531 --clear-groups "$MMLOGCTL" --file "$RING" \
    show >/dev/null 2>"$T/o.err" && fail "a uid outside $grp could read the ring"
grep -qi 'permission denied' "$T/o.err" || fail "refusal: $(cat "$T/o.err")"
stop_daemon

# Refusals at start.
rm -rf "$T/r2"
run_refused "unknown user" --socket "$T/s2" --file "$T/r2/ring" --user no-such-user-mmlogd
grep -q "no such user" "$DERR" || fail "unknown user: $(cat "$DERR")"
run_refused "unknown group" --socket "$T/s2" --file "$T/r2/ring" --group no-such-group-mmlogd
grep -q "no such group" "$DERR" || fail "unknown group: $(cat "$DERR")"
mkdir -m 0777 "$T/r3"
DAEMON_N=$((DAEMON_N + 1))
DERR=$LOGS/mmlogd.$DAEMON_N.err
setpriv --reuid=65534 --regid=65534 --clear-groups timeout -k 2 "$(tmo 20)" \
    "$MMLOGD" --socket "$T/r3/s" --file "$T/r3/ring" --user nobody 2>"$DERR" </dev/null
rc=$?
assert_eq "exit status of --user as non-root" 2 "$rc"
grep -q "only root can change user" "$DERR" || fail "non-root --user: $(cat "$DERR")"
[ -e "$T/r2" ] || [ -e "$T/r3/ring" ] || [ -e "$T/s2" ] && fail "a refused start created files"
exit 0
