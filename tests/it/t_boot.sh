#!/bin/bash
# Boots: mmlogd started with one boot id (the test hook MMLOGD_TEST_BOOT_ID),
# entries written, then started again with another: `show --list-boots`
# lists two boots as journalctl does (IDX, BOOT ID, FIRST ENTRY, LAST
# ENTRY; -q, -r, -o json), -b selects each (-b, -b 0, -b -1, -b 1, -b 2,
# by id, id±N, all; a boot that is not there is an error), through the
# seek index (no scan), with -n, -r and matches; each entry carries its
# own boot's _BOOT_ID and its __MONOTONIC_TIMESTAMP of that boot, also
# through the export to systemd-journal-remote, whose journal journalctl
# -b reads the same; -k alone is the current boot's kernel entries.
. "$(dirname "$0")/lib.sh"

need_ctl
A=0123456789abcdef0123456789abcdef
B=fedcba9876543210fedcba9876543210
NA=20000
HAVE_KMSG=0
if [ -w /dev/kmsg ] && [ -r /dev/kmsg ]; then
	HAVE_KMSG=1
	PK=/proc/sys/kernel/printk_devkmsg
	PK_OLD=$(cat "$PK" 2>/dev/null || echo "")
	restore_pk() {
		[ -n "$PK_OLD" ] && echo "$PK_OLD" >"$PK" 2>/dev/null
		return 0
	}
	trap 'rc=$?; restore_pk; (exit $rc); _cleanup' EXIT
	[ -n "$PK_OLD" ] && echo on >"$PK"
fi
ID="bt$$x$RANDOM"
kwrite() {	# kwrite TEXT: a kernel record of ours, if we may
	[ "$HAVE_KMSG" = 1 ] && printf '<6>mmbt: %s %s\n' "$ID" "$1" >/dev/kmsg
	return 0
}
kopt=
[ "$HAVE_KMSG" = 1 ] && kopt=--kmsg
show() { ctl --file "$RING" show "$@"; }
msgs() { show "$@" -o json | json_fields MESSAGE | tr '\n' ' '; }

# Boot A: many entries, so that finding boot B is a seek, not a walk.
start_daemon_env "MMLOGD_TEST_BOOT_ID=$A" --size 8M $kopt
ctl write -t bt "a first" || fail "write"
loadgen -t bulk -n $NA -p 6 >/dev/null 2>"$T/lg.err" || fail "loadgen"
kwrite ka
ctl write --sync -t bt "a last" >/dev/null || fail "write"
[ "$HAVE_KMSG" = 1 ] && { wait_for "$(tmo 10)" eval '[ -n "$(show -t mmbt -g "$ID ka" -q)" ]' ||
    fail "the kernel record of boot A did not arrive"; }
stop_daemon
# Boot B, before its first entry (no kernel log, which would give it
# one at once): it is boot 0 already, with nothing in it yet, and boot
# A is -1 (-b showed boot A's entries as the current boot's).
start_daemon_env "MMLOGD_TEST_BOOT_ID=$B" --size 8M
assert_eq "-b before boot B's first entry" "" "$(msgs -b)"
assert_eq "-b $B before its first entry" "" "$(msgs -b "$B")"
assert_eq "-b -1 -n 1 before boot B's first entry" "a last " "$(msgs -b -1 -n 1)"
stop_daemon
start_daemon_env "MMLOGD_TEST_BOOT_ID=$B" --size 8M $kopt
ctl write -t bt "b first" || fail "write"
kwrite kb
ctl write --sync -t bt "b last" >/dev/null || fail "write"
[ "$HAVE_KMSG" = 1 ] && { wait_for "$(tmo 10)" eval '[ -n "$(show -t mmbt -g "$ID kb" -q)" ]' ||
    fail "the kernel record of boot B did not arrive"; }

# --list-boots, as journalctl prints it.
show --list-boots >"$T/lb" || fail "--list-boots"
assert_eq "--list-boots: lines" 3 "$(wc -l <"$T/lb")"
head -n 1 "$T/lb" | grep -Eq '^IDX BOOT ID {26}FIRST ENTRY +LAST ENTRY$' ||
    fail "--list-boots header: $(head -n 1 "$T/lb")"
ts='[A-Z][a-z]{2} [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} [A-Za-z0-9+-]+'
sed -n 2p "$T/lb" | grep -Eq "^ -1 $A $ts $ts\$" || fail "--list-boots -1: $(sed -n 2p "$T/lb")"
sed -n 3p "$T/lb" | grep -Eq "^  0 $B $ts $ts\$" || fail "--list-boots 0: $(sed -n 3p "$T/lb")"
assert_eq "--list-boots -q: no header" "-1 $A" "$(show --list-boots -q | head -n 1 | cut -c 1-35)"
assert_eq "--list-boots -r" "  0 $B" "$(show --list-boots -r | sed -n 2p | cut -c 1-36)"
show --list-boots -o json >"$T/lb.json" || fail "--list-boots -o json"
grep -Eq "^\[\{\"index\":-1,\"boot_id\":\"$A\",\"first_entry\":[0-9]+,\"last_entry\":[0-9]+\},\{\"index\":0,\"boot_id\":\"$B\",\"first_entry\":[0-9]+,\"last_entry\":[0-9]+\}\]\$" "$T/lb.json" ||
    fail "--list-boots -o json: $(cat "$T/lb.json")"
# Its times are the boots' first and last entries.
first_a=$(show -b -1 -o json | head -n 1 | json_fields __REALTIME_TIMESTAMP)
last_a=$(show -b -1 -o json | tail -n 1 | json_fields __REALTIME_TIMESTAMP)
last_b=$(show -o json | tail -n 1 | json_fields __REALTIME_TIMESTAMP)
grep -q "\"boot_id\":\"$A\",\"first_entry\":$first_a,\"last_entry\":$last_a}" "$T/lb.json" ||
    fail "--list-boots times of A ($first_a $last_a): $(cat "$T/lb.json")"
grep -q "\"last_entry\":$last_b}]" "$T/lb.json" ||
    fail "--list-boots last time of B ($last_b): $(cat "$T/lb.json")"

# -b: each boot, by every spelling.
b_msgs="b first b last "
# (Less the kernel's records, and the note of those it no longer held
# at the daemon's first start in the boot.)
assert_eq "-b -1: boot A's entries" "$((NA + 2))" \
    "$(show -b -1 -o json | grep -v '"_TRANSPORT":"kernel"' | grep -vc '"MMLOG_KMSG_MISSED"')"
assert_eq "-b -1 -t bt" "a first a last " "$(msgs -b -1 -t bt)"
assert_eq "-b" "$b_msgs" "$(msgs -b -t bt)"
assert_eq "-b 0" "$b_msgs" "$(msgs -b 0 -t bt)"
assert_eq "--boot" "$b_msgs" "$(msgs --boot -t bt)"
assert_eq "-b 1 (the first)" "a first a last " "$(msgs -b 1 -t bt)"
assert_eq "-b 2" "$b_msgs" "$(msgs -b 2 -t bt)"
assert_eq "-b ID" "a first a last " "$(msgs -b $A -t bt)"
assert_eq "-b ID+1" "$b_msgs" "$(msgs -b $A+1 -t bt)"
assert_eq "-b ID-1" "a first a last " "$(msgs -b $B-1 -t bt)"
assert_eq "-b all" "a first a last b first b last " "$(msgs -b all -t bt)"
assert_eq "-b -1 -n 1" "a last " "$(msgs -b -1 -n 1)"
assert_eq "-b -1 -n 2 -t bt" "a first a last " "$(msgs -b -1 -n 2 -t bt)"
assert_eq "-b -1 -r -n 1 -t bt" "a last " "$(msgs -b -1 -r -n 1 -t bt)"
assert_eq "-b -1 and a match" "a last " "$(msgs -b -1 MESSAGE="a last")"
assert_eq "-b 0 and a match of boot A" "" "$(msgs -b 0 MESSAGE="a last")"
since=@$((last_a / 1000000)).$(printf %06d $((last_a % 1000000)))
assert_eq "-b -1 --since" "a last " "$(msgs -b -1 -t bt --since "$since")"
assert_eq "-b 0 --since (boot A's time)" "$b_msgs" "$(msgs -b 0 -t bt --since "$since")"
for bad in -2 3 "$A-1" "$B+1" 00000000000000000000000000000000; do
	"$MMLOGCTL" --file "$RING" show -b "$bad" >"$T/b.out" 2>"$T/b.err"
	assert_eq "-b $bad: exit" 1 "$?"
	grep -q "no such boot" "$T/b.err" || fail "-b $bad: $(cat "$T/b.err")"
	[ -s "$T/b.out" ] && fail "-b $bad printed entries"
done
# Found by the seek index: boot B's first entry is thousands of entries
# past the tail, and the walk starts just before it (within the 64 KiB
# that a bisection of the data leaves).
MMLOGCTL_DEBUG=seek "$MMLOGCTL" --file "$RING" show -b 0 -o cat >/dev/null 2>"$T/seek.err"
bseq=$(show -b 0 -o json | head -n 1 | json_fields __SEQNUM)
# (On its first lap the index is partial and the data is bisected
# instead: O(log n) as well.)
grep -Eq '^mmlogctl: seek: index( partial)? at seq [0-9]+$' "$T/seek.err" ||
    fail "-b 0 did not seek: $(cat "$T/seek.err")"
at=$(sed -n 's/.*at seq \([0-9]*\)$/\1/p' "$T/seek.err")
[ "$at" -le "$bseq" ] && [ "$((bseq - at))" -lt 1000 ] ||
    fail "-b 0 started at seq $at; boot B starts at $bseq"

# Each entry's own boot id, and its monotonic time of that boot.
assert_eq "_BOOT_ID of boot A's entries" "$A" \
    "$(show -b -1 -o json | json_fields _BOOT_ID | sort -u)"
assert_eq "_BOOT_ID of boot B's entries" "$B" \
    "$(show -b 0 -o json | json_fields _BOOT_ID | sort -u)"
# Within a boot, monotonic times go forward from the boot's first.
for b in -1 0; do
	show -b $b -o json | json_fields __MONOTONIC_TIMESTAMP >"$T/mono"
	sort -n -c "$T/mono" 2>/dev/null || fail "-b $b: monotonic times go back"
	show -b $b -o short-monotonic | sed -n 's/^\[ *\([0-9]*\)\.\([0-9]*\)\].*/\1\2/p' |
	    sed 's/^0*//' >"$T/mono.short"
	cmp -s <(sed 's/^0*//' "$T/mono") "$T/mono.short" ||
	    fail "-b $b: -o short-monotonic is not each entry's monotonic time"
done
assert_eq "-o verbose: boot A's id" "    _BOOT_ID=$A" \
    "$(show -b -1 -n 1 -o verbose | grep '^    _BOOT_ID=')"

# -k: the kernel's entries of the current boot; with -b, of that boot.
if [ "$HAVE_KMSG" = 1 ]; then
	show -k -o json >"$T/k.json" || fail "-k"
	[ -z "$(json_fields _BOOT_ID <"$T/k.json" | grep -vx "$B")" ] ||
	    fail "-k shows entries of another boot"
	grep -q "\"$ID kb\"" "$T/k.json" || fail "-k: no kernel entry of boot B"
	[ -z "$(json_fields _TRANSPORT <"$T/k.json" | grep -vx kernel)" ] ||
	    fail "-k shows entries that are not the kernel's"
	show -k -b -1 -o json >"$T/k1.json" || fail "-k -b -1"
	grep -q "\"$ID ka\"" "$T/k1.json" || fail "-k -b -1: no kernel entry of boot A"
	grep -q "\"$ID kb\"" "$T/k1.json" && fail "-k -b -1: boot B's kernel entry"
fi
stop_daemon

# The same through systemd-journal-remote: journalctl -b reads each boot
# as we do.
JR=/lib/systemd/systemd-journal-remote
if [ -x "$JR" ] && command -v journalctl >/dev/null; then
	show -o export >"$T/export" || fail "show -o export"
	"$JR" -o "$T/x.journal" - <"$T/export" >"$T/jr.out" 2>&1 ||
	    fail "systemd-journal-remote: $(tail -n 3 "$T/jr.out")"
	J() { journalctl --file "$T/x.journal" --no-pager "$@" 2>>"$T/j.err"; }
	for b in -1 0 1 2 "$A" "$B-1"; do
		assert_eq "-b $b, as journalctl" "$(J -b "$b" -o json | json_fields MESSAGE __MONOTONIC_TIMESTAMP _BOOT_ID)" \
		    "$(show -b "$b" -o json | json_fields MESSAGE __MONOTONIC_TIMESTAMP _BOOT_ID)"
	done
	assert_eq "-b -1 -o short-monotonic, as journalctl" \
	    "$(J -b -1 -o short-monotonic -t bt --no-hostname)" \
	    "$(show -b -1 -o short-monotonic -t bt --no-hostname)"
	assert_eq "--list-boots, as journalctl" "$(J --list-boots -o json)" \
	    "$(show --list-boots -o json)"
	assert_eq "--list-boots text, as journalctl" "$(J --list-boots)" \
	    "$(show --list-boots)"
	if [ "$HAVE_KMSG" = 1 ]; then
		assert_eq "-k -b -1, as journalctl" "$(J -k -b -1 -o json | json_fields MESSAGE)" \
		    "$(show -k -b -1 -o json | json_fields MESSAGE)"
	fi
fi
