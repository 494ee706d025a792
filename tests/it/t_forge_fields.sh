#!/bin/bash
# A client cannot make an entry claim another process: fields with a
# leading underscore (_PID, _UID, _COMM, _SYSTEMD_UNIT, _EXE,
# __REALTIME_TIMESTAMP, even after
# a valid field) and SYSLOG_PID are refused with E_FIELD and store
# nothing; credentials attached with SCM_CREDENTIALS are ignored; every
# entry it did get stored carries its own kernel pid and uid, and no
# reader output shows pid 1 or a SYSLOG_PID.  mmlogctl write refuses
# such fields before sending.
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 1M
"$HELPERS/forgefields" "$SOCK" >"$T/ff.out" 2>"$T/ff.err" ||
    fail "forgefields: $(cat "$T/ff.err")"
pid=$(awk '$1 == "pid" { print $2 }' "$T/ff.out")
[ -n "$pid" ] || fail "forgefields printed no pid"
for c in pid_field uid_field comm_field unit_field exe_field realtime_field \
    syslog_pid lower_pid second_item; do
	grep -qx "$c error reason=14 errno=74" "$T/ff.out" ||
	    fail "$c was not refused with E_FIELD (14, EBADMSG): $(grep "^$c " "$T/ff.out")"
done
for c in plain_pid scm_creds clean; do
	grep -q "^$c acked [0-9]" "$T/ff.out" ||
	    fail "$c was not stored: $(grep "^$c " "$T/ff.out")"
done
grep -q '^scm_creds sendmsg' "$T/ff.out" &&
    note "the kernel refused the forged SCM_CREDENTIALS itself (not root)"

ctl show -o json >"$T/all.json" || fail "show -o json failed"
json_fields MESSAGE _PID _UID _COMM SYSLOG_PID PID <"$T/all.json" >"$T/f"
assert_eq "entries stored" 3 "$(grep -c '^forge ' "$T/f")"
awk -F '\t' -v p="$pid" -v u="$(id -u)" '$1 ~ /^forge / &&
    ($2 != p || $3 != u || $5 != "-") { print; bad = 1 }
    END { exit bad }' "$T/f" >"$T/bad" ||
    fail "entries with another identity: $(cat "$T/bad")"
grep -q '^forge plain_pid	.*	1$' "$T/f" ||
    fail "the ordinary field PID=1 was not kept as PID: $(grep plain_pid "$T/f")"
ctl show -o short >"$T/short" || fail "show failed"
grep -q "sshd\[1\]" "$T/short" && fail "short output shows pid 1: $(grep 'sshd\[1\]' "$T/short")"
grep -q "sshd\[$pid\]: forge clean" "$T/short" ||
    fail "short output lacks the kernel pid: $(tail -n 3 "$T/short")"

# mmlogctl refuses them before anything is sent.
before=$(stats_field entries)
for f in _PID=1 SYSLOG_PID=1 __CURSOR=x; do
	"$MMLOGCTL" write -F "$f" "forge ctl $f" 2>"$T/w.err" &&
	    fail "mmlogctl write -F $f succeeded"
	[ -s "$T/w.err" ] || fail "mmlogctl write -F $f: no message"
done
assert_eq "entries after mmlogctl's refusals" "$before" "$(stats_field entries)"
note "$(head -n 1 "$T/w.err")"
stop_daemon
