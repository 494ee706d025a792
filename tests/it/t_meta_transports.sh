#!/bin/bash
# Trusted metadata through every transport.  A sender placed in a cgroup
# named like a unit (cgroup2's system.slice/NAME.service) gets that
# _SYSTEMD_UNIT, its own _EXE and _CMDLINE, the transport's _TRANSPORT,
# the host's _HOSTNAME and _BOOT_ID, whichever way it logs: our protocol
# (mmlogctl write), a syslog datagram, a journal datagram, a stdout
# stream.  What a client says about itself is never taken: the journal
# datagram names another unit, executable, command line, transport,
# host, boot and cgroup; the syslog datagram a structured data element
# named like _SYSTEMD_UNIT; the stream header another unit, which only
# root outside any unit may name (PID 1's way, as journald has it), an
# unprivileged peer never; our protocol refuses any field named "_...".
# Each entry has each trusted field once, and they are the daemon's.
. "$(dirname "$0")/lib.sh"

need_ctl
U=mmlog-meta-$$.service
units_make "$U"
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

LOG=$T/log
JRN=$T/journal
OUT=$T/stdout
start_daemon --size 4M --syslog-socket "$LOG" --journal-socket "$JRN" \
    --stdout-socket "$OUT"
chmod 755 "$T"
MP=$HELPERS/metapeer
# -w 1: each sender lives until its entries are stored.
in_unit "$U" "$MMLOGCTL" write --sync -t metapeer "mmlog in unit" >/dev/null ||
    fail "mmlogctl write in the unit"
in_unit "$U" "$MP" -w 1 syslog "$LOG" "syslog in unit" || fail "syslog in the unit"
in_unit "$U" "$MP" -w 1 journal "$JRN" "journal in unit" || fail "journal in the unit"
in_unit "$U" "$MP" -w 1 stream "$OUT" "stdout in unit" forged.service ||
    fail "stdout in the unit"
"$MP" -w 1 stream "$OUT" "stdout root header" hdr-$$.service ||
    fail "stdout as root, a unit in the header"
$NOBODY "$MP" -w 1 stream "$OUT" "stdout nobody header" forged.service ||
    fail "stdout as nobody, a unit in the header"
$NOBODY "$MP" -w 1 journal "$JRN" "journal nobody" ||
    fail "journal as nobody"
# Our protocol: the library refuses, and so does the daemon (raw frames
# naming _SYSTEMD_UNIT and _EXE: t_forge_fields).
for f in _SYSTEMD_UNIT=forged.service _EXE=/usr/sbin/forged; do
	in_unit "$U" "$MMLOGCTL" write -F "$f" "forged $f" 2>/dev/null &&
	    fail "mmlogctl write -F $f succeeded"
done
ctl write --sync -t n last >/dev/null || fail "write last"

ctl show -o json >"$T/all.json" || fail "show -o json"
boot=$(tr -d '-' </proc/sys/kernel/random/boot_id)
host=$(hostname)
mp=$(readlink -f "$MP")
# expect MESSAGE TRANSPORT UNIT EXE CMDLINE
expect() {
	local line got want
	line=$(grep -F "\"MESSAGE\":\"$1\"" "$T/all.json")
	[ "$(printf '%s\n' "$line" | grep -c .)" = 1 ] ||
	    fail "$1: expected one entry, got: $line"
	for f in _TRANSPORT _SYSTEMD_UNIT _EXE _CMDLINE _HOSTNAME _BOOT_ID \
	    _SYSTEMD_CGROUP; do
		[ "$(printf '%s\n' "$line" | grep -o "\"$f\":" | wc -l)" -le 1 ] ||
		    fail "$1: $f more than once: $line"
	done
	got=$(printf '%s\n' "$line" | json_fields _TRANSPORT _SYSTEMD_UNIT \
	    _EXE _CMDLINE _HOSTNAME _BOOT_ID)
	want=$(printf '%s\t%s\t%s\t%s\t%s\t%s' "$2" "$3" "$4" "$5" "$host" \
	    "$boot")
	assert_eq "$1: _TRANSPORT _SYSTEMD_UNIT _EXE _CMDLINE _HOSTNAME _BOOT_ID" \
	    "$want" "$got"
}
expect "mmlog in unit" mmlog "$U" "$(readlink -f "$MMLOGCTL")" \
    "$MMLOGCTL write --sync -t metapeer mmlog in unit"
expect "syslog in unit" syslog "$U" "$mp" "$MP -w 1 syslog $LOG syslog in unit"
expect "journal in unit" journal "$U" "$mp" "$MP -w 1 journal $JRN journal in unit"
expect "stdout in unit" stdout "$U" "$mp" \
    "$MP -w 1 stream $OUT stdout in unit forged.service"
expect "stdout root header" stdout "hdr-$$.service" "$mp" \
    "$MP -w 1 stream $OUT stdout root header hdr-$$.service"
expect "stdout nobody header" stdout - "$mp" \
    "$MP -w 1 stream $OUT stdout nobody header forged.service"
expect "journal nobody" journal - "$mp" "$MP -w 1 journal $JRN journal nobody"
assert_eq "_SYSTEMD_CGROUP of the unit's" \
    "/system.slice/$U" "$(grep -F '"MESSAGE":"journal in unit"' "$T/all.json" |
    json_fields _SYSTEMD_CGROUP)"
assert_eq "_UID of nobody" 65534 "$(grep -F '"MESSAGE":"journal nobody"' \
    "$T/all.json" | json_fields _UID)"
# The forged values are in no trusted field of any entry (_CMDLINE, the
# senders' real one, was compared whole above).
json_fields _SYSTEMD_UNIT _EXE _HOSTNAME _BOOT_ID _SYSTEMD_CGROUP \
    _TRANSPORT <"$T/all.json" >"$T/trusted"
grep -q 'forged\|0000000000000000000000000000001\|kernel' "$T/trusted" &&
    fail "a forged value is shown as trusted: $(grep forged "$T/trusted")"
assert_eq "-F _SYSTEMD_UNIT" "hdr-$$.service $U " \
    "$(ctl show -F _SYSTEMD_UNIT | LC_ALL=C sort | tr '\n' ' ')"
assert_eq "-F _TRANSPORT" "journal mmlog stdout syslog " \
    "$(ctl show -F _TRANSPORT | LC_ALL=C sort | tr '\n' ' ')"
assert_eq "-u UNIT" "mmlog in unit syslog in unit journal in unit stdout in unit " \
    "$(ctl show -u "$U" -o json | json_fields MESSAGE | tr '\n' ' ')"
# The syslog datagram's structured data is kept, as SD_..., not trusted.
grep -F '"MESSAGE":"syslog in unit"' "$T/all.json" |
    grep -q '"SD__SYSTEMD_UNIT_1_U":"forged.service"' ||
    fail "the structured data: $(grep -F 'syslog in unit' "$T/all.json")"
stop_daemon
