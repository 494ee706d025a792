#!/bin/bash
# The kernel log (--kmsg): lines the test writes into /dev/kmsg arrive
# once, with their priority, facility and identifier, also after the
# daemon stops in order or is killed and starts again (the next record's
# number is kept in kmsg.seqnum beside the socket); the kernel's own
# records (facility 0, tag "kernel") are never stored twice either.  An
# overrun (the daemon stopped while the kernel's buffer is overwritten,
# then EPIPE) becomes a loss note in the ring, MMLOG_KMSG_MISSED=N; so
# do, at the first start in a boot, the records the kernel numbered from
# 0 and no longer holds.
# Needs root (CAP_SYSLOG while kernel.dmesg_restrict is 1).
. "$(dirname "$0")/lib.sh"

need_ctl
[ -r /dev/kmsg ] || fail "/dev/kmsg cannot be read (run as root)"
# Writes into /dev/kmsg are rate-limited (printk_devkmsg=ratelimit): on
# for the test, as it was afterwards.
PK=/proc/sys/kernel/printk_devkmsg
PK_OLD=$(cat "$PK" 2>/dev/null || echo "")
restore_pk() {
	[ -n "$PK_OLD" ] && echo "$PK_OLD" >"$PK" 2>/dev/null
	return 0
}
trap 'rc=$?; restore_pk; (exit $rc); _cleanup' EXIT
[ -n "$PK_OLD" ] && echo on >"$PK"

ID="kt$$x$RANDOM"
kwrite() {	# kwrite PRI TEXT
	printf '<%s>mmkt: %s %s\n' "$1" "$ID" "$2" >/dev/kmsg
}
# count TEXT: how many entries have the message "$ID TEXT".
count() {
	ctl --file "$RING" show -o json -t mmkt >"$T/kt.json" || return 1
	json_fields MESSAGE <"$T/kt.json" | grep -c -x "$ID $1"
}
shown_once() {
	[ "$(count "$1")" = 1 ]
}
# No kernel record twice, the kernel's own (facility 0, if its buffer
# still holds any) included: by its kernel timestamp and text.
no_kernel_dups() {
	ctl --file "$RING" show -o json >"$T/k.json" || fail "show -o json"
	grep '"_TRANSPORT":"kernel"' "$T/k.json" |
	    json_fields _SOURCE_MONOTONIC_TIMESTAMP MESSAGE | sort | uniq -d >"$T/dups"
	[ -s "$T/dups" ] && fail "$1: kernel records stored twice: $(head -n 3 "$T/dups")"
	return 0
}

# The kernel's oldest record now: the daemon's first start (a new
# kmsg.seqnum) notes at least that many as lost, if any.
oldest=$(python3 -c '
import os
fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
print(os.read(fd, 8192).split(b",")[1].decode())') || fail "read /dev/kmsg"
start_daemon --size 8M --kmsg
[ -f "$T/kmsg.seqnum" ] || fail "no kmsg.seqnum beside the socket"
assert_eq "kmsg.seqnum mode" 600 "$(stat -c %a "$T/kmsg.seqnum")"
kwrite 3 one
wait_for "$(tmo 10)" shown_once one || fail "'one' arrived $(count one) times"
ctl --file "$RING" show -o json -t mmkt | grep "\"$ID one\"" |
    json_fields PRIORITY SYSLOG_FACILITY _TRANSPORT _PID >"$T/one"
assert_eq "priority, facility (user), transport, no pid" "3	1	kernel	0" \
    "$(cat "$T/one")"
no_kernel_dups "first start"
first_missed=$(ctl --file "$RING" show -o json | grep '"MMLOG_KMSG_MISSED"' |
    json_fields MMLOG_KMSG_MISSED)
if [ "$oldest" -gt 0 ]; then
	[ "$(echo "$first_missed" | wc -l)" = 1 ] && [ "$first_missed" -ge "$oldest" ] ||
	    fail "first start: records 0..$((oldest - 1)) gone, noted '$first_missed'"
else
	[ -z "$first_missed" ] || fail "first start: nothing gone, noted '$first_missed'"
fi

# Stopped in order, started again: nothing twice.
stop_daemon
start_daemon --size 8M --kmsg
kwrite 5 two
wait_for "$(tmo 10)" shown_once two || fail "'two' arrived $(count two) times"
assert_eq "'one' after a restart" 1 "$(count one)"
no_kernel_dups "restart"

# Killed, started again: nothing twice either.
kill_daemon
start_daemon --size 8M --kmsg
kwrite 6 three
wait_for "$(tmo 10)" shown_once three || fail "'three' arrived $(count three) times"
assert_eq "'one' after a crash" 1 "$(count one)"
assert_eq "'two' after a crash" 1 "$(count two)"
no_kernel_dups "crash"

# An overrun: the daemon stopped while the kernel's buffer (about
# 128 KiB here) is written over many times, then EPIPE and a jump.
if [ -n "$PK_OLD" ]; then
	kill -STOP "$DPID"
	python3 - "$ID" <<'EOP'
import os, sys
fd = os.open("/dev/kmsg", os.O_WRONLY)
for i in range(4000):
    os.write(fd, b"<7>mmkt: %s flood %d %s\n" % (sys.argv[1].encode(), i, b"f" * 400))
EOP
	kill -CONT "$DPID"
	kwrite 6 after
	wait_for "$(tmo 20)" shown_once after || fail "'after' arrived $(count after) times"
	lost=$(stats_field kernel_lost)
	[ "$lost" -gt 0 ] || fail "no kernel records counted lost after a flood"
	ctl --file "$RING" show -o json >"$T/all.json" || fail "show"
	# This daemon's notes: those after 'three'.
	sed -n "/\"$ID three\"/,\$p" "$T/all.json" | grep '"MMLOG_KMSG_MISSED"' >"$T/missed"
	[ -s "$T/missed" ] || fail "no loss note in the ring"
	sum=$(json_fields MMLOG_KMSG_MISSED <"$T/missed" | awk '{ s += $1 } END { print s }')
	assert_eq "the notes count what was lost" "$lost" "$sum"
	grep -q "$ID flood 3999 " "$T/all.json" || fail "the newest flooded record is missing"
	note "flood: $lost kernel records lost, noted"
fi
stop_daemon
exit 0
