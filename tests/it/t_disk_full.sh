#!/bin/bash
# Creating a ring where there is no room fails cleanly: mmlogd exits 1
# (not killed by a signal), says why, and leaves no ring and no
# temporary file behind.
# 1. RLIMIT_FSIZE (prlimit --fsize) below the ring's size: the
#    allocation fails with EFBIG; the kernel also raises SIGXFSZ, which
#    must not kill the daemon.
# 2. As root, where `unshare -m` works, a real full filesystem (a 1 MiB
#    tmpfs, ENOSPC); then a ring that fits on a 2 MiB tmpfs, the rest of
#    which is filled: since the ring was fully allocated at creation, the
#    daemon writes it round three times without a SIGBUS.  This part runs
#    in its own mount namespace (the test runs itself again there) and is
#    skipped, with a note, where that is not possible.
. "$(dirname "$0")/lib.sh"

FAILED=
flag() {
	echo "FAIL: $*" >&2
	FAILED="${FAILED:+$FAILED; }$1"
}

# refused_clean WHAT DIR REASON: the daemon of $DERR exited 1 ($EXIT_CODE)
# saying REASON, and DIR holds no ring file of any kind.
refused_clean() {
	local what=$1 dir=$2 reason=$3
	if [ "$EXIT_CODE" -gt 128 ] && [ "$EXIT_CODE" -lt 160 ]; then
		flag "$what: mmlogd was killed by signal $((EXIT_CODE - 128))" \
		    "($(kill -l $((EXIT_CODE - 128)) 2>/dev/null)) instead of failing"
	elif [ "$EXIT_CODE" != 1 ]; then
		flag "$what: mmlogd exited $EXIT_CODE, expected 1"
	fi
	grep -q "$reason" "$DERR" ||
	    flag "$what: mmlogd did not say '$reason': $(tail -n 2 "$DERR")"
	left=$(find "$dir" -name 'ring*' | tr '\n' ' ')
	[ -z "$left" ] && return 0
	flag "$what: files left behind: $left"
	rm -f "$dir"/ring*
}

if [ -n "${IT_FULL_FS:-}" ]; then
	# --- 2, inside the mount namespace.
	FS=$IT_FULL_FS
	mount -t tmpfs -o size=1M tmpfs "$FS" || fail "mount tmpfs on $FS"
	DAEMON_N=$((DAEMON_N + 1))
	DERR=$LOGS/mmlogd.$DAEMON_N.err
	timeout -k 2 "$(tmo 20)" "$MMLOGD" --socket "$SOCK" --file "$FS/ring" \
	    --size 64M 2>"$DERR" </dev/null
	EXIT_CODE=$?
	refused_clean "full tmpfs" "$FS" "No space left on device"
	[ -e "$SOCK" ] && flag "full tmpfs: socket left behind"
	umount "$FS" || fail "umount $FS"

	mount -t tmpfs -o size=2M tmpfs "$FS" || fail "mount tmpfs on $FS"
	# shellcheck disable=SC2034  # lib.sh's functions use it
	RING=$FS/ring
	start_daemon --size 1M --sync-interval 50
	dd if=/dev/zero of="$FS/filler" bs=4096 2>/dev/null
	avail=$(df --output=avail -k "$FS" | tail -n 1 | tr -d ' ')
	assert_eq "free space left on the tmpfs" 0 "$avail"
	# 20000 records of 184 bytes: the 1 MiB ring goes round 3 times.
	loadgen -t full -n 20000 -z 100 >/dev/null 2>"$T/lg.err" ||
	    fail "loadgen on the full filesystem: $(cat "$T/lg.err")"
	alive "$DPID" || { wait "$DPID"; fail "mmlogd died ($?) on a full filesystem"; }
	[ "$(header_field wraps)" -ge 3 ] || fail "the ring went round only $(header_field wraps) times"
	assert_eq "durable seq" 20000 "$(header_field durable_seq)"
	assert_eq "newest entry" "20000	full 20000" \
	    "$(ring_entries | tail -n 1 | cut -f 1,5 | sed 's/x*$//')"
	stop_daemon
	note "full tmpfs refused with ENOSPC, nothing left; a ring on a full" \
	    "tmpfs went round $(header_field wraps) times"
	umount "$FS"
	[ -z "$FAILED" ] || fail "$FAILED"
	exit 0
fi

# --- 1. RLIMIT_FSIZE.
mkdir "$T/lim"
DAEMON_N=$((DAEMON_N + 1))
DERR=$LOGS/mmlogd.$DAEMON_N.err
timeout -k 2 "$(tmo 20)" prlimit --fsize=1048576 "$MMLOGD" --socket "$SOCK" \
    --file "$T/lim/ring" --size 64M 2>"$DERR" </dev/null
EXIT_CODE=$?
refused_clean "RLIMIT_FSIZE" "$T/lim" "File too large"
[ -e "$SOCK" ] && { flag "RLIMIT_FSIZE: socket left behind"; rm -f "$SOCK"; }
# A limit the ring fits under is no obstacle.
DAEMON_N=$((DAEMON_N + 1))
DERR=$LOGS/mmlogd.$DAEMON_N.err
timeout -k 2 "$(tmo 20)" prlimit --fsize="$(ring_file_size 1048576)" "$MMLOGD" \
    --socket "$SOCK" --file "$T/lim/ring" --size 1M 2>"$DERR" </dev/null &
p=$!
track "$p"
up() {
	grep -q ' ready: ' "$DERR" 2>/dev/null || ! alive "$p"
}
wait_for "$(tmo 20)" up
grep -q ' ready: ' "$DERR" || flag "mmlogd does not start under a limit the" \
    "ring fits in: $(tail -n 2 "$DERR")"
kill -TERM "$p" 2>/dev/null
wait "$p"
untrack "$p"

# --- 2. A real full filesystem, in a mount namespace of our own.
if [ "$(id -u)" != 0 ]; then
	note "SKIP full tmpfs: not root"
elif ! unshare -m true 2>/dev/null; then
	note "SKIP full tmpfs: unshare -m does not work here"
else
	mkdir "$T/fs" "$LOGS/ns"
	IT_FULL_FS=$T/fs IT_LOGDIR=$LOGS/ns unshare -m bash "$0" "$IT_BUILD" \
	    >"$LOGS/ns/output" 2>&1
	rc=$?
	sed 's/^/  ns: /' "$LOGS/ns/output"
	[ "$rc" = 0 ] || flag "full tmpfs (in a mount namespace) failed"
fi
[ -z "$FAILED" ] || fail "$FAILED"
