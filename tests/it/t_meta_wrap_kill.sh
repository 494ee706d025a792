#!/bin/bash
# Trusted metadata stays resolvable, and stays in slots, however often a
# small ring goes round and however the daemon ends.  A 1 MiB ring (64
# metadata slots) takes entries from two units at once, our protocol
# from one (loadgen) and syslog datagrams from the other (metapeer),
# each round from 8 new processes (new metadata: more senders over the
# rounds than the ring has slots), for many laps; the daemon is killed
# with SIGKILL in the middle of the writing, each round, before the
# ring went round once since its start, and stopped cleanly at the end.
# After each kill, with the daemon down, every entry of the ring shows
# its own sender's unit, transport, executable, host and boot; verify
# finds no entry without its metadata; and the ring holds as many
# entries as records of their size fill: none carries its metadata
# inline for want of a free slot (the open after each crash frees the
# slots of senders whose entries are gone).
. "$(dirname "$0")/lib.sh"

need_ctl
UA=mmlog-wrapa-$$.service
UB=mmlog-wrapb-$$.service
units_make "$UA" "$UB"

# 8 new senders a round: past 64 slots by the ninth; a lap in 3 rounds.
# Under a sanitizer, 12: past the slots by the ninth, four laps.
ROUNDS=${IT_META_ROUNDS:-$((IT_SLOW > 1 ? 12 : 20))}
LOG=$T/log
boot=$(tr -d '-' </proc/sys/kernel/random/boot_id)
host=$(hostname)
lg=$(readlink -f "$HELPERS/loadgen")
mp=$(readlink -f "$HELPERS/metapeer")

# check WHEN: every entry's metadata is its sender's, none missing, and
# the ring is as full as records of their size make it.
check() {
	local bad n used cap
	timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$RING" show -o json \
	    >"$T/show.json" 2>"$T/show.err" || fail "$1: show: $(tail -n 3 "$T/show.err")"
	json_fields SYSLOG_IDENTIFIER _TRANSPORT _SYSTEMD_UNIT _EXE _HOSTNAME \
	    _BOOT_ID <"$T/show.json" >"$T/meta"
	n=$(grep -c -v '^mmlogd	' "$T/meta")
	[ "$n" -gt 1000 ] || fail "$1: only $n entries"
	bad=$(awk -F '\t' -v a="$UA" -v b="$UB" -v lg="$lg" -v mp="$mp" \
	    -v h="$host" -v boot="$boot" '
	    $1 == "mmlogd" { next }
	    $1 ~ /^a[0-9]+$/ { if ($2 != "mmlog" || $3 != a || $4 != lg) { print; exit } }
	    $1 == "metapeer" { if ($2 != "syslog" || $3 != b || $4 != mp) { print; exit } }
	    $1 !~ /^a[0-9]+$/ && $1 != "metapeer" { print; exit }
	    $5 != h || $6 != boot { print; exit }' "$T/meta")
	[ -z "$bad" ] || fail "$1: an entry without its own metadata: $bad"
	"$MMLOGCTL" --file "$RING" verify >"$T/verify" 2>&1 ||
	    fail "$1: verify: $(cat "$T/verify")"
	grep -q ' 0 entries without theirs' "$T/verify" ||
	    fail "$1: verify: $(cat "$T/verify")"
	# Records of 80 (ours) and about 150 bytes (syslog, with its
	# fields): an entry with its metadata inline would take 250 more.
	"$MMLOGCTL" --file "$RING" status -o json >"$T/status.json" ||
	    fail "$1: status"
	used=$(grep -o '"used_bytes":[0-9]*' "$T/status.json" | cut -d: -f2)
	assert_eq "$1: used bytes per entry below 200" 1 \
	    "$(( used / $(grep -c . "$T/meta") < 200 ))"
	note "$1: $n entries, $((used / n)) bytes each, $(grep -o '"wraps":[0-9]*' "$T/status.json")"
}

for r in $(seq 1 "$ROUNDS"); do
	start_daemon --size 1M --syslog-socket "$LOG"
	base=$(header_field entries_written)
	w=
	# At most 2000 + 4000 entries of about 95 bytes: half the ring.
	for i in 1 2 3 4; do
		in_unit "$UA" "$HELPERS/loadgen" -s "$SOCK" -t "a${r}0$i" \
		    -n 500 >/dev/null 2>&1 &
		w="$w $!"
		in_unit "$UB" "$HELPERS/metapeer" -d 100 -n 1000 syslog "$LOG" \
		    "b$r.$i" >/dev/null 2>&1 &
		w="$w $!"
	done
	for p in $w; do
		track "$p"
	done
	# Until a third of the ring is new, the datagrams still coming:
	# the daemon crashes more often than the ring goes round.
	written() {
		[ "$(header_field entries_written)" -ge $((base + 3500)) ]
	}
	wait_for "$(tmo 30)" written || fail "round $r: nothing written"
	kill_daemon
	for p in $w; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		untrack "$p"
	done
	check "round $r, after SIGKILL"
done
start_daemon --size 1M --syslog-socket "$LOG"
in_unit "$UA" "$HELPERS/loadgen" -s "$SOCK" -t a0 -n 30000 >/dev/null ||
    fail "the last loadgen"
stop_daemon
check "after a clean stop"
[ "$(header_field wraps)" -ge $((ROUNDS / 4)) ] ||
    fail "the ring went round only $(header_field wraps) times"
