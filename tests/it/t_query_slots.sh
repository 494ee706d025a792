#!/bin/bash
# Matches on the senders' trusted metadata are judged once per metadata
# slot, not once per entry (client/ringread/match.c); every query must
# select exactly what judging each entry by all its fields selects
# (MMLOGCTL_DEBUG=match-each), byte for byte, notes and exit status
# included.  The ring (1 MiB, 64 slots) holds entries from five units:
# our protocol and syslog datagrams, new processes every round for
# several laps (slots freed and reused with new generations), more
# senders at once than there are slots (entries with their metadata
# inline), entries with fields of their own (COLOR=, UNIT=,
# OBJECT_SYSTEMD_UNIT= from uid 0), and, for the queries, slots damaged
# three ways (CRC, a field, the generation).  Two followers (-f -u), one
# each way, print the same entries.  Each query form: -u with -n walking
# back, -r, globs, slices, FIELD=VALUE alone, ORed, with "+", with -p,
# -g, -b, --cursor, --after-cursor, -F, -N, -o verbose and json.
. "$(dirname "$0")/lib.sh"

need_ctl
CG=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
U=()
for k in 0 1 2 3 4; do
	U[k]=mmlog-it-sm$k-$$.service
done
SLICE_MADE=
if [ -n "$CG" ] && [ ! -d "$CG/system.slice" ]; then
	SLICE_MADE=1
fi
if [ -z "$CG" ] || ! mkdir -p "${U[@]/#/$CG/system.slice/}" 2>/dev/null; then
	note "SKIP: no cgroup2 hierarchy we may make cgroups in (run as root)"
	exit 0
fi
cg_rm() {
	local u
	for u in "${U[@]}"; do
		rmdir "$CG/system.slice/$u" 2>/dev/null
	done
	[ -n "$SLICE_MADE" ] && rmdir "$CG/system.slice" 2>/dev/null
	return 0
}
trap 'rc=$?; cg_rm; (exit $rc); _cleanup' EXIT
[ "$(sed -n 's/^0:://p' /proc/1/cgroup)" = / ] || {
	note "SKIP: PID 1 is not in the cgroup2 root"
	exit 0
}
# in_unit UNIT CMD...: runs CMD in the unit's cgroup.
in_unit() {
	local cg=$CG/system.slice/$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

SL=$T/devlog
start_daemon --size 1M --syslog-socket "$SL"
# Laps: four new loadgens a round (a command line of their own: a slot
# of their own), and syslog datagrams from a fifth unit.
for r in 1 2 3 4 5 6; do
	pids=
	for k in 0 1 2 3; do
		in_unit "${U[k]}" timeout -k 2 "$(tmo 120)" "$HELPERS/loadgen" \
		    -s "$SOCK" -t "r${r}u$k" -n 1200 -z 40 >/dev/null \
		    2>>"$T/lg.err" &
		pids="$pids $!"
	done
	in_unit "${U[4]}" "$HELPERS/metapeer" -n 300 syslog "$SL" "r$r sl" \
	    2>>"$T/mp.err" || fail "metapeer: $(tail -n 2 "$T/mp.err")"
	for p in $pids; do
		wait "$p" || fail "loadgen round $r: $(tail -n 2 "$T/lg.err")"
	done
done
# Entries with fields of their own and a slot: COLOR=, pid 1's UNIT=
# (not pid 1 here), uid 0's OBJECT_SYSTEMD_UNIT= (outside any unit).
seq 1 40 | sed 's/^/line /' >"$T/lines"
in_unit "${U[1]}" "$MMLOGCTL" write --sync -t own -F COLOR=red -f "$T/lines" \
    >/dev/null || fail "write own COLOR"
in_unit "${U[2]}" "$MMLOGCTL" write --sync -t own -F COLOR=red \
    -F UNIT="${U[1]}" -f "$T/lines" >/dev/null || fail "write own UNIT"
ctl write --sync -t obj -F OBJECT_SYSTEMD_UNIT="${U[1]}" -f "$T/lines" \
    >/dev/null || fail "write own OBJECT_SYSTEMD_UNIT"
# More senders than slots: the newest carry their metadata inline.
for j in $(seq 1 90); do
	in_unit "${U[j % 5]}" "$HELPERS/loadgen" -s "$SOCK" -t "b$j" -n 3 \
	    >/dev/null 2>>"$T/lg.err" || fail "loadgen b$j: $(tail -n 2 "$T/lg.err")"
done

# Two followers of a unit, one each way, from now on: they print its
# entries (1 + 200 + 1) and what uid 0 says about it (1).
follow() {	# follow OUT [DEBUG]
	MMLOGCTL_DEBUG=${2:-} "$MMLOGCTL" --file "$RING" --socket "$SOCK" \
	    show -f -n 0 -u "${U[1]}" -o json >"$T/$1" 2>"$T/$1.err" </dev/null &
	FPID=$!
	track "$FPID"
}
follow f.slot
f1=$FPID
follow f.each match-each
f2=$FPID
subscribed() { [ "$(stats_field clients)" -ge 2 ]; }
wait_for "$(tmo 10)" subscribed || fail "the followers did not connect"
# The same while the slots are all named: the metadata goes inline.
in_unit "${U[1]}" "$MMLOGCTL" write --sync -t own -F COLOR=red "own red" \
    >/dev/null || fail "write own red"
in_unit "${U[2]}" "$MMLOGCTL" write --sync -t own -F COLOR=red \
    -F UNIT="${U[1]}" "unit field" >/dev/null || fail "write unit field"
ctl write --sync -t obj -F OBJECT_SYSTEMD_UNIT="${U[1]}" "about u1" \
    >/dev/null || fail "write about u1"
ctl write --sync -t obj -F COLOR=red "no unit red" >/dev/null ||
    fail "write no unit red"
in_unit "${U[1]}" "$HELPERS/loadgen" -s "$SOCK" -t fmid -n 200 >/dev/null ||
    fail "loadgen fmid"
in_unit "${U[2]}" "$HELPERS/loadgen" -s "$SOCK" -t fother -n 200 >/dev/null ||
    fail "loadgen fother"
in_unit "${U[1]}" "$MMLOGCTL" write --sync -t fend "follow end" >/dev/null ||
    fail "write follow end"
ended() { grep -q '"MESSAGE":"follow end"' "$T/$1"; }
wait_for "$(tmo 20)" ended f.slot || fail "the follower (per slot) missed the end"
wait_for "$(tmo 20)" ended f.each || fail "the follower (per entry) missed the end"
kill -TERM "$f1" "$f2"
wait_exit "$f1" "$(tmo 5)" || fail "the follower did not stop"
wait_exit "$f2" "$(tmo 5)" || fail "the follower did not stop"
cmp -s "$T/f.slot" "$T/f.each" ||
    fail "-f -u: the followers differ: $(diff "$T/f.slot" "$T/f.each" | head -n 4)"
assert_eq "-f -u: entries followed" 203 "$(grep -c . "$T/f.slot")"
stop_daemon

# Three slots that entries name, damaged: the CRC, a field, the
# generation (as after a power loss that kept entries, not their slot);
# the two slots the most entries name, and one of few.
"$HELPERS/ringhack" slots "$RING" | sort -k4,4nr >"$T/slots" ||
    fail "ringhack slots"
[ "$(grep -c . "$T/slots")" -ge 20 ] || fail "few slots named: $(cat "$T/slots")"
n=0
while read -r slot off gen named; do
	n=$((n + 1))
	case $n in
	1) "$HELPERS/ringhack" xor "$RING" "$off" 1 ;;
	2) "$HELPERS/ringhack" xor "$RING" $((off + 40)) 1 ;;
	20) "$HELPERS/ringhack" xor "$RING" $((off + 8)) 2 ;;
	*) continue ;;
	esac || fail "ringhack xor slot $slot"
	note "damaged slot $slot (generation $gen, named by $named entries)"
done <"$T/slots"

show() { ctl --file "$RING" show "$@"; }
cur=$(show -u "${U[1]}" -o json | sed -n 50p | json_fields __CURSOR)
[ -n "$cur" ] && [ "$cur" != - ] || fail "no cursor"
exe=$(readlink -f "$HELPERS/loadgen")
# same ARGS...: the query each way; the same output, notes and status.
BY_SLOT=0
same() {
	local rs re
	MMLOGCTL_DEBUG=match "$MMLOGCTL" --file "$RING" show "$@" \
	    >"$T/q.slot" 2>"$T/q.slot.err" </dev/null
	rs=$?
	MMLOGCTL_DEBUG=match,match-each "$MMLOGCTL" --file "$RING" show "$@" \
	    >"$T/q.each" 2>"$T/q.each.err" </dev/null
	re=$?
	assert_eq "show $*: exit status" "$re" "$rs"
	cmp -s "$T/q.slot" "$T/q.each" ||
	    fail "show $*: per slot and per entry differ: $(diff "$T/q.slot" "$T/q.each" | head -n 6)"
	grep -v '^mmlogctl: match: ' "$T/q.slot.err" >"$T/e.slot"
	grep -v '^mmlogctl: match: ' "$T/q.each.err" >"$T/e.each"
	cmp -s "$T/e.slot" "$T/e.each" ||
	    fail "show $*: the notes differ: $(diff "$T/e.slot" "$T/e.each" | head -n 6)"
	grep -q ' 0 entries judged by their slot, 0 by their slot and fields' \
	    "$T/q.each.err" || fail "show $*: match-each judged per slot"
	BY_SLOT=$((BY_SLOT + $(sed -n 's/^mmlogctl: match: \([0-9]*\) entries.*/\1/p' "$T/q.slot.err")))
	[ -s "$T/q.slot" ] && LINES_SEEN=$((LINES_SEEN + 1))
}
LINES_SEEN=0
same -u "${U[1]}"
same -u "${U[1]}" -n 5
same -u "${U[1]}" -n 500 -r -o json
same -u nosuch -n 100
same -u 'mmlog-it-sm*' -n 50
same -u 'mmlog-it-sm[23]*' -o json
same -u system.slice -n 30
same -u "${U[4]}" -p info
same -u "${U[1]}" -u "${U[3]}" -n 20
same _SYSTEMD_UNIT="${U[2]}"
same _SYSTEMD_UNIT="${U[2]}" _SYSTEMD_UNIT="${U[3]}" -n 40
same _SYSTEMD_UNIT="${U[2]}" + COLOR=red
same COLOR=red
same COLOR=red _SYSTEMD_UNIT="${U[1]}"
same _TRANSPORT=syslog -n 10
same _TRANSPORT=syslog _SYSTEMD_UNIT="${U[3]}"
same _TRANSPORT=mmlog SYSLOG_IDENTIFIER=r6u2 -n 3
same _EXE="$exe" -n 20
same _SYSTEMD_UNIT=nosuch.service
# The scan of every entry: those with their metadata inline are judged
# per entry.
SCAN_PER_ENTRY=$(sed -n 's/.* \([0-9]*\) by all their fields.*/\1/p' "$T/q.slot.err")
same _SYSTEMD_SLICE=system.slice -n 30
same _SYSTEMD_UNIT="${U[1]}" -o verbose -n 3
same _SYSTEMD_UNIT="${U[1]}" -g 'end$'
same -u "${U[1]}" --cursor "$cur" -n 3
same -u "${U[1]}" --after-cursor "$cur" -o json
same -u "${U[0]}" -b 0 -n 20
same -u "${U[2]}" -b
same -k
same -u "${U[1]}" -F SYSLOG_IDENTIFIER
same _TRANSPORT=syslog -F _SYSTEMD_UNIT
same -u "${U[0]}" -N
same _BOOT_ID="$(show -n 1 -o json | json_fields _BOOT_ID)" -n 7
[ "$LINES_SEEN" -ge 25 ] || fail "only $LINES_SEEN queries printed anything"
# Not vacuous: the slots judged most entries, inline ones were judged
# per entry, and the damage reached the matches.
[ "$BY_SLOT" -ge 100000 ] || fail "only $BY_SLOT entries judged by their slot"
[ "$SCAN_PER_ENTRY" -ge 1 ] || fail "no entry with inline metadata judged"
show _SYSTEMD_UNIT=nosuch.service >/dev/null
grep -q 'had no trusted metadata to match' "$T/ctl.err" ||
    fail "no entry of a damaged slot met: $(tail -n 2 "$T/ctl.err")"
note "$BY_SLOT entries judged by their slot; in the scan, $SCAN_PER_ENTRY with inline metadata"
