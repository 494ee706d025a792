#!/bin/bash
# The senders' trusted metadata through every reader.  Entries come from
# processes the test places in cgroups named like units (cgroup2's
# system.slice/NAME.service), through our protocol and through the
# syslog socket, and from outside any unit: `show -u UNIT` finds exactly
# a unit's entries (by its full name, without ".service", by a glob, by
# its slice), and so do _SYSTEMD_UNIT= and _EXE= matches, -F and -o
# with-unit; a client naming its own _SYSTEMD_UNIT is in no unit.  Then
# the export, piped into systemd-journal-remote (`show -o export | ...
# -o X.journal -`) and sent live by mmlog-forward over HTTP, gives a
# journal in which `journalctl --file X -u UNIT` finds what `show -u
# UNIT` finds, with the same trusted fields.
. "$(dirname "$0")/lib.sh"

need_ctl
UA=mmlog-it-a-$$.service
UB=mmlog-it-b-$$.service
units_make "$UA" "$UB"

SL=$T/devlog
start_daemon --size 4M --syslog-socket "$SL"
# --sync: each writer lives until its entry is stored, as its _EXE and
# _CMDLINE are read from /proc (a process that has exited has none).
in_unit "$UA" "$MMLOGCTL" write --sync -t a "a one" >/dev/null || fail "write a one"
in_unit "$UA" "$MMLOGCTL" write --sync -t a -p err "a two" >/dev/null || fail "write a two"
in_unit "$UB" "$MMLOGCTL" write --sync -t b "b one" >/dev/null || fail "write b one"
ctl write -t n "no unit" || fail "write no unit"
# A client's own word for its unit is refused or dropped.
ctl write -t forged -F _SYSTEMD_UNIT="$UA" "forged" 2>/dev/null
# A datagram sender, alive until its entry is stored (its metadata is
# read from /proc).
in_unit "$UA" python3 - "$SL" <<'EOP' || fail "python in unit A"
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(sys.argv[1])
s.send(b"<14>a: a three")
time.sleep(1)
EOP
ctl write --sync -t n "last" >/dev/null || fail "write last"

show() { ctl --file "$RING" show "$@"; }
msgs() { show "$@" -o json | json_fields MESSAGE | tr '\n' ' '; }
a_msgs="a one a two a three "
assert_eq "-u UNIT" "$a_msgs" "$(msgs -u "$UA")"
assert_eq "-u without .service" "$a_msgs" "$(msgs -u "${UA%.service}")"
assert_eq "-u glob" "$a_msgs" "$(msgs -u "mmlog-it-a-*")"
assert_eq "-u of the other" "b one " "$(msgs -u "$UB")"
assert_eq "-u twice" "a one a two b one a three " "$(msgs -u "$UA" -u "$UB")"
assert_eq "-u the slice" "a one a two b one a three " "$(msgs -u system.slice)"
assert_eq "-u and -p" "a two " "$(msgs -u "$UA" -p err)"
assert_eq "-u -n 1" "a three " "$(msgs -u "$UA" -n 1)"
assert_eq "-u -r" "a three a two a one " "$(msgs -u "$UA" -r)"
assert_eq "_SYSTEMD_UNIT=" "$a_msgs" "$(msgs _SYSTEMD_UNIT="$UA")"
assert_eq "_SYSTEMD_UNIT= + _SYSTEMD_UNIT=" "a one a two b one a three " \
    "$(msgs _SYSTEMD_UNIT="$UA" _SYSTEMD_UNIT="$UB")"
assert_eq "_SYSTEMD_UNIT= and _TRANSPORT=" "a three " \
    "$(msgs _SYSTEMD_UNIT="$UA" _TRANSPORT=syslog)"
assert_eq "_EXE= and _SYSTEMD_UNIT=" "a one a two " \
    "$(msgs _EXE="$(readlink -f "$MMLOGCTL")" _SYSTEMD_UNIT="$UA")"
assert_eq "_SYSTEMD_CGROUP=" "b one " "$(msgs _SYSTEMD_CGROUP="/system.slice/$UB")"
assert_eq "-F _SYSTEMD_UNIT" "$UA $UB " "$(show -F _SYSTEMD_UNIT | LC_ALL=C sort | tr '\n' ' ')"
assert_eq "-F _TRANSPORT" "mmlog syslog " "$(show -F _TRANSPORT | LC_ALL=C sort | tr '\n' ' ')"
show -o with-unit -u "$UB" >"$T/wu" || fail "-o with-unit"
grep -q " $UB\[[0-9]*\]: b one\$" "$T/wu" || fail "-o with-unit: $(cat "$T/wu")"
show -o with-unit -t n >"$T/wu" || fail "-o with-unit"
grep -q " n\[[0-9]*\]: no unit\$" "$T/wu" || fail "-o with-unit without a unit: $(cat "$T/wu")"
show -o verbose -u "$UB" >"$T/v" || fail "-o verbose"
grep -qx "    _SYSTEMD_UNIT=$UB" "$T/v" || fail "-o verbose: $(cat "$T/v")"
grep -qx "    _SYSTEMD_SLICE=system.slice" "$T/v" || fail "-o verbose: no slice"
grep -qx "    _CMDLINE=$MMLOGCTL write --sync -t b b one" "$T/v" ||
    fail "-o verbose: _CMDLINE: $(grep _CMDLINE "$T/v")"
case "$(msgs -t forged)" in
"") ;;
"forged ")
	assert_eq "a forged unit" "" "$(show -t forged -F _SYSTEMD_UNIT)" ;;
*)	fail "the forged entry: $(msgs -t forged)" ;;
esac

# The export into systemd-journal-remote: journalctl -u finds the same.
JR=/lib/systemd/systemd-journal-remote
if [ ! -x "$JR" ] || ! command -v journalctl >/dev/null; then
	note "SKIP: systemd-journal-remote or journalctl missing: no round trip"
	exit 0
fi
show -o export >"$T/export" || fail "show -o export"
"$JR" -o "$T/x.journal" - <"$T/export" >"$T/jr.out" 2>&1 ||
    fail "systemd-journal-remote: $(tail -n 3 "$T/jr.out")"
J() { journalctl --file "$1" --no-pager "${@:2}" 2>>"$T/j.err"; }
meta="MESSAGE _BOOT_ID _TRANSPORT _HOSTNAME _MACHINE_ID _SYSTEMD_UNIT _SYSTEMD_SLICE _SYSTEMD_CGROUP _EXE _CMDLINE"
round_trip() {	# round_trip JOURNAL DESC
	local q
	for q in "-u $UA" "-u $UB" "-u mmlog-it-a-*" "-u system.slice" \
	    "_SYSTEMD_UNIT=$UA" "_TRANSPORT=syslog" "-u $UA -n 1"; do
		# shellcheck disable=SC2086
		assert_eq "$2: $q, as journalctl" "$(J "$1" $q -o json | json_fields MESSAGE | tr '\n' ' ')" \
		    "$(msgs $q)"
	done
	assert_eq "$2: -F _SYSTEMD_UNIT, as journalctl" \
	    "$(J "$1" -F _SYSTEMD_UNIT | LC_ALL=C sort | tr '\n' ' ')" \
	    "$(show -F _SYSTEMD_UNIT | LC_ALL=C sort | tr '\n' ' ')"
	J "$1" -o json | json_fields $meta >"$T/j.meta"
	show -o json | json_fields $meta >"$T/m.meta"
	cmp -s "$T/j.meta" "$T/m.meta" ||
	    fail "$2: the trusted fields differ: $(diff "$T/m.meta" "$T/j.meta" | head -n 4)"
	assert_eq "$2: entries with a unit" 4 "$(cut -f 6 "$T/j.meta" | grep -vc '^-$')"
}
round_trip "$T/x.journal" "export"

# mmlog-forward's HTTP export to a live systemd-journal-remote.
. "$(dirname "$0")/fwd_lib.sh"
jr_need
jr_start
FWD_URL=http://127.0.0.1:$JR_PORT
fwd_start --once
fwd_wait_exit
jr_stop
round_trip "$JR_DIR/jr.1.journal" "mmlog-forward"
stop_daemon
