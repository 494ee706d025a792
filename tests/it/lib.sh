# lib.sh: shared by the end-to-end tests (tests/it/t_*.sh), sourced by
# each of them after setting nothing.  Every test runs a real mmlogd on a
# real socket and ring in a private `mktemp -d` directory, which an EXIT
# trap removes after killing whatever the test started.
#
# A test runs alone as  bash tests/it/t_NAME.sh BUILD_DIR  or from
# run.sh, which sets IT_BUILD (absolute), IT_LOGDIR (where daemon stderr
# and other logs are kept for the report) and IT_SLOW (a factor for every
# timeout, larger under ASan).
#
# Conventions: fail() ends the test with a message; every wait is
# bounded; the daemon's stderr goes to $LOGS/mmlogd.N.err.

set -u
ulimit -c 0		# a sanitizer abort leaves no core file behind

IT_BUILD=${IT_BUILD:-${1:-}}
if [ -z "$IT_BUILD" ] || [ ! -x "$IT_BUILD/mmlogd" ]; then
	echo "usage: $0 BUILD_DIR (with mmlogd in it)" >&2
	exit 2
fi
IT_BUILD=$(cd "$IT_BUILD" && pwd)
IT_SLOW=${IT_SLOW:-1}
MMLOGD=$IT_BUILD/mmlogd
MMLOGCTL=$IT_BUILD/mmlogctl
HELPERS=$IT_BUILD/it
TEST_NAME=$(basename "$0" .sh)

T=$(mktemp -d "${TMPDIR:-/tmp}/mmlogd-it.XXXXXX") || exit 1
LOGS=${IT_LOGDIR:-$T}
mkdir -p "$LOGS"
SOCK=$T/sock
RING=$T/ring
# Nothing may fall back to the default paths under /run or /var.
MMLOG_SOCKET=$SOCK
MMLOG_FILE=$RING
export MMLOG_SOCKET MMLOG_FILE
# Nor may mmlogd read /etc/mmlogd.conf: an empty file of our own instead.
MMLOGD_CONFIG=$T/mmlogd.conf
: >"$MMLOGD_CONFIG"
export MMLOGD_CONFIG
DPID=			# the current daemon
DAEMON_N=0		# daemons started so far
DERR=			# the current daemon's stderr file
_KILL_PIDS=		# everything to kill at exit
SAN_RE='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|AddressSanitizer:DEADLYSIGNAL'

# Seconds, scaled for slow builds.
tmo() {
	echo $(( $1 * IT_SLOW ))
}

# A process and all its descendants (a tracked pid may be a subshell or
# timeout(1) with the real program below it), deepest first.
_tree() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		_tree "$c"
	done
	echo "$1"
}

_cleanup() {
	local rc=$? p q f
	for q in $(for p in $_KILL_PIDS; do _tree "$p"; done); do
		kill -KILL "$q" 2>/dev/null
	done
	for p in $_KILL_PIDS; do
		wait "$p" 2>/dev/null
	done
	# Keep what other programs said on stderr, for sanitizer reports.
	if [ "$LOGS" != "$T" ]; then
		for f in "$T"/*.err; do
			[ -f "$f" ] && cp "$f" "$LOGS/" 2>/dev/null
		done
	fi
	if [ "$rc" = 0 ]; then
		for f in "$LOGS"/*.err "$T"/*.err; do
			[ -f "$f" ] || continue
			if grep -Eq "$SAN_RE" "$f"; then
				echo "FAIL: sanitizer report in $(basename "$f")" >&2
				rc=1
			fi
		done
	fi
	rm -rf "$T"
	exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	if [ -n "$DERR" ] && [ -f "$DERR" ]; then
		echo "--- last lines of $(basename "$DERR"):" >&2
		tail -n 15 "$DERR" >&2
	fi
	exit 1
}

note() {
	echo "# $*"
}

# Remembers a pid to kill at exit.
track() {
	_KILL_PIDS="$_KILL_PIDS $1"
}

# Forgets a tracked pid once it has exited and been waited for, so that
# a long test never has the exit trap signal a recycled pid.
untrack() {
	local p keep=
	for p in $_KILL_PIDS; do
		[ "$p" = "$1" ] || keep="$keep $p"
	done
	_KILL_PIDS=$keep
}

# wait_for SECONDS COMMAND...: polls every 50 ms until COMMAND succeeds.
wait_for() {
	local end=$(( $(date +%s%N) / 1000000 + $1 * 1000 ))
	shift
	while ! "$@"; do
		if [ $(( $(date +%s%N) / 1000000 )) -ge "$end" ]; then
			return 1
		fi
		sleep 0.05
	done
	return 0
}

alive() {
	kill -0 "$1" 2>/dev/null
}

# wait_exit PID SECONDS: waits for a child to exit; sets EXIT_CODE.
wait_exit() {
	EXIT_CODE=
	if ! wait_for "$2" eval "! kill -0 $1 2>/dev/null"; then
		return 1
	fi
	wait "$1"
	EXIT_CODE=$?
	return 0
}

_daemon_ready() {
	grep -q ' ready: ' "$DERR" 2>/dev/null && return 0
	alive "$DPID" || return 0
	return 1
}

# start_daemon [OPTIONS...]: mmlogd on $SOCK and $RING (unless the
# options name others), waits until it says it is ready.
start_daemon() {
	start_daemon_env "" "$@"
}

# start_daemon_env "VAR=VALUE ..." [OPTIONS...]
start_daemon_env() {
	local envs=$1
	shift
	DAEMON_N=$((DAEMON_N + 1))
	DERR=$LOGS/mmlogd.$DAEMON_N.err
	# shellcheck disable=SC2086
	env $envs "$MMLOGD" --socket "$SOCK" --file "$RING" "$@" \
	    2>>"$DERR" </dev/null &
	DPID=$!
	track "$DPID"
	wait_for "$(tmo 20)" _daemon_ready || fail "mmlogd did not get ready"
	alive "$DPID" || { wait "$DPID"; fail "mmlogd exited ($?) at start"; }
	grep -q ' ready: ' "$DERR" || fail "mmlogd did not say it is ready"
}

# stop_daemon: SIGTERM, then it must exit 0 and say the ring is clean.
stop_daemon() {
	kill -TERM "$DPID" 2>/dev/null || fail "mmlogd (pid $DPID) is gone"
	wait_exit "$DPID" "$(tmo 20)" || fail "mmlogd did not stop on SIGTERM"
	[ "$EXIT_CODE" = 0 ] || fail "mmlogd exited $EXIT_CODE on SIGTERM"
	grep -q 'ring closed clean' "$DERR" ||
	    fail "mmlogd did not report a clean close"
}

# kill_daemon: SIGKILL, as a crash.
kill_daemon() {
	kill -KILL "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	return 0
}

# run_refused DESC OPTIONS...: mmlogd must exit non-zero on its own;
# its stderr is in $DERR.
run_refused() {
	local desc=$1
	shift
	DAEMON_N=$((DAEMON_N + 1))
	DERR=$LOGS/mmlogd.$DAEMON_N.err
	timeout -k 2 "$(tmo 20)" "$MMLOGD" "$@" 2>"$DERR" </dev/null &
	local p=$!
	wait "$p"
	EXIT_CODE=$?
	[ "$EXIT_CODE" = 124 ] && fail "$desc: mmlogd did not exit (timeout)"
	[ "$EXIT_CODE" = 0 ] && fail "$desc: mmlogd exited 0"
	[ "$EXIT_CODE" -ge 126 ] && fail "$desc: mmlogd died ($EXIT_CODE)"
	return 0
}

# Number of open descriptors of a process.
fd_count() {
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# loadgen ARGS...: the loadgen helper on $SOCK, bounded in time.
loadgen() {
	timeout -k 2 "$(tmo 120)" "$HELPERS/loadgen" -s "$SOCK" "$@"
}

badpeer() {
	timeout -k 2 "$(tmo 120)" "$HELPERS/badpeer" -s "$SOCK" \
	    -T "$(( 10000 * IT_SLOW ))" "$@"
}

# ctl ARGS...: mmlogctl, bounded in time; stderr to $T/ctl.err.
ctl() {
	timeout -k 2 "$(tmo 60)" "$MMLOGCTL" "$@" 2>>"$T/ctl.err"
}

have_ctl() {
	[ -x "$MMLOGCTL" ]
}

need_ctl() {
	have_ctl || fail "mmlogctl is not built ($MMLOGCTL)"
}

# Tests that act as other uids: skipped (exit 0) without root and
# setpriv.
need_setpriv() {
	if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
		note "SKIP: needs root and setpriv"
		exit 0
	fi
}

# as UID CMD...: CMD as uid and gid UID, without supplementary groups.
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
}

# follow_json [MATCH...]: `mmlogctl show -f -o json` into $T/f.json (its
# stderr $T/f.err), tracked, pid in $FPID; returns once it runs (it has
# mapped the ring and subscribed: its socket shows in the daemon's
# counters), so an entry written next is one it must print.
follow_json() {
	"$MMLOGCTL" --file "$RING" --socket "$SOCK" show -f -o json "$@" \
	    >"$T/f.json" 2>"$T/f.err" </dev/null &
	FPID=$!
	track $FPID
	wait_for "$(tmo 10)" eval '[ "$(stats_field clients)" -ge 1 ]' ||
	    fail "the follower did not connect"
}
# has TEXT: the follower printed an entry with the message TEXT.
has() { grep -q "\"MESSAGE\":\"$1\"" "$T/f.json"; }

# Sets FAKETIME_LIB to libfaketime, or fails (tests/deps.sh installs it).
need_faketime() {
	local f
	FAKETIME_LIB=
	for f in /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 \
	    /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
		[ -f "$f" ] && { FAKETIME_LIB=$f; break; }
	done
	[ -n "$FAKETIME_LIB" ] ||
	    fail "libfaketime is not installed (package faketime; tests/deps.sh installs it)"
}

# JSON lines to tab-separated values of the named fields, in order; a
# missing field prints as "-".  Values are unquoted, escapes kept.
json_fields() {
	awk -v keys="$*" '
	# index() rather than regular expressions: this runs over whole
	# rings, and matching is many times slower.
	function jget(line, key,    re, s, i, j, b) {
		i = index(line, "\"" key "\":")
		if (i > 0)
			s = substr(line, i + length(key) + 3)
		else {
			re = "\"" key "\"[ \t]*:[ \t]*"
			if (!match(line, re))
				return "-"
			s = substr(line, RSTART + RLENGTH)
		}
		if (substr(s, 1, 1) == "\"") {
			# The closing quote: the first not escaped by an odd
			# number of backslashes.
			for (i = 2; (j = index(substr(s, i), "\"")) > 0; i += j) {
				for (b = 0; substr(s, i + j - 2 - b, 1) == "\\"; b++)
					;
				if (b % 2 == 0)
					return substr(s, 2, i + j - 3)
			}
			return "?"
		}
		if (match(s, /^[-+0-9.eEa-z]+/))
			return substr(s, 1, RLENGTH)
		return "?"
	}
	BEGIN { n = split(keys, k, " ") }
	{
		out = jget($0, k[1])
		for (i = 2; i <= n; i++)
			out = out "\t" jget($0, k[i])
		print out
	}'
}

# entries [RING]: every entry in the ring as
# "SEQ<TAB>PRIORITY<TAB>TAG<TAB>PID<TAB>MESSAGE",
# oldest first, as mmlogctl shows them (-o json).  IT_READER=ringcat
# reads with the independent helper instead (a debugging aid).
entries() {
	local ring=${1:-$RING}
	if [ "${IT_READER:-}" = ringcat ]; then
		ring_entries "$ring"
		return
	fi
	need_ctl
	ctl --file "$ring" show -o json >"$T/show.json" ||
	    fail "mmlogctl show -o json failed: $(tail -n 3 "$T/ctl.err")"
	json_fields __SEQNUM PRIORITY SYSLOG_IDENTIFIER _PID MESSAGE <"$T/show.json"
}

# ring_entries [RING]: the same, read by the independent helper.
ring_entries() {
	"$HELPERS/ringcat" "${1:-$RING}" | sed "s/\t!/\t/"
}

# header_field KEY [RING]: a header field as ringcat -H prints it.
header_field() {
	"$HELPERS/ringcat" -H "${2:-$RING}" | awk -F= -v k="$1" \
	    '$1 == k { print $2 }'
}

# stats_field KEY: one of the daemon's counters, asked over the socket.
stats_field() {
	badpeer stats | awk -F= -v k="$1" '$1 == k { print $2 }'
}

# stats_is KEY VALUE: whether the daemon's counter KEY is VALUE now (for
# wait_for, which must re-run the question, not a value computed once).
stats_is() {
	[ "$(stats_field "$1")" = "$2" ]
}

# assert_eq WHAT EXPECTED ACTUAL
# Bytes of a ring file with a data region of $1 bytes (up to 4 GiB):
# header page, data, the seek index and the metadata table, each padded
# to pages (FORMAT.md).
ring_file_size() {
	local slots=$(( $1 / 65536 ))
	[ "$slots" -lt 64 ] && slots=64
	[ "$slots" -gt 65535 ] && slots=65535
	echo $(( ($1 + 4096 + 4095) / 4096 * 4096 +
	    ((($1 + 65535) / 65536 * 32 + 4095) / 4096 * 4096) +
	    (slots * 1024 + 4095) / 4096 * 4096 ))
}

assert_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# check_gapless FILE: the first column (seq) of FILE increases by one
# from line to line; prints "FIRST LAST COUNT".
check_gapless() {
	awk -F '\t' '
	NR == 1 { first = $1; prev = $1; next }
	$1 != prev + 1 { printf "seq %s follows %s at line %d\n", $1, prev, NR
	    bad = 1; exit 1 }
	{ prev = $1 }
	END { if (!bad) print first, prev, NR }' "$1"
}

# unit_syscalls UNIT: the system calls that UNIT's SystemCallFilter=
# lines allow (the allowed sets, less the ~ ones), one per line, sorted;
# groups expanded with systemd-analyze syscall-filter.
unit_syscalls() {
	local line v
	: >"$T/sc.allow"
	: >"$T/sc.deny"
	while IFS= read -r line; do
		v=${line#SystemCallFilter=}
		case $v in
		"~"*) _sc_expand ${v#"~"} >>"$T/sc.deny" ;;
		*) _sc_expand $v >>"$T/sc.allow" ;;
		esac
	done < <(grep '^SystemCallFilter=' "$1")
	[ -s "$T/sc.allow" ] || fail "$1 has no SystemCallFilter= allow list"
	comm -23 <(sort -u "$T/sc.allow") <(sort -u "$T/sc.deny")
}

_sc_expand() {	# @GROUP|name...: one system call name per line
	local x y
	for x in "$@"; do
		case $x in
		@*) systemd-analyze syscall-filter "$x" |
			awk 'NR > 1 && $1 !~ /^#/ && NF { print $1 }' |
			while read -r y; do _sc_expand "$y"; done ;;
		*) echo "$x" ;;
		esac
	done
}

# traced_calls PROGRAM FILE...: the system calls in strace -ff output
# files made once PROGRAM was exec'd (in each file, what follows an
# execve of PROGRAM; a thread's file, which has none, counts whole),
# one per line, sorted.
traced_calls() {
	local prog=$1 f
	shift
	for f in "$@"; do
		awk -v d="$prog" 'FNR == 1 { on = 1 }
		    /^execve\(/ { on = index($0, "\"" d "\"") > 0; next }
		    on && /^[a-z_0-9]+\(/ { sub(/\(.*/, ""); print }' "$f"
	done | sort -u
}

# unit_rate DIR UNIT [OTHER...]: systemd-analyze verify of the units in
# DIR (UNIT and the OTHER units it needs), then its security rating of
# UNIT offline, which must be at most 2.0 ("OK" or better).  Exits the
# test as skipped where systemd-analyze lacks --offline (systemd < 250).
unit_rate() {
	local dir=$1 unit=$2 level u args=()
	command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed"
	if ! systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
		note "SKIP: systemd-analyze security has no --offline"
		exit 0
	fi
	shift
	for u in "$@"; do
		args+=("./$u")
	done
	(cd "$dir" && systemd-analyze verify --man=no "${args[@]}") \
	    >"$T/verify.out" 2>&1 ||
	    fail "systemd-analyze verify: $(head -n 5 "$T/verify.out")"
	(cd "$dir" && systemd-analyze security --offline=yes --no-pager \
	    "./$unit") >"$T/security.out" 2>&1
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
	    "$T/security.out")
	[ -n "$level" ] || fail "no exposure level: $(tail -n 3 "$T/security.out")"
	awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' ||
	    fail "exposure $level > 2.0: $(grep '✗' "$T/security.out" | head -n 20)"
	note "systemd-analyze security --offline: exposure $level"
}

# calls_allowed UNIT PROGRAM FILE...: every system call PROGRAM made
# (traced_calls of the strace -ff files) is one UNIT's filter allows,
# but execve, the call that started it (systemd applies the filter just
# before, and allows it).
calls_allowed() {
	local unit=$1 prog=$2
	shift 2
	unit_syscalls "$unit" >"$T/allowed"
	traced_calls "$prog" "$@" >"$T/used"
	[ "$(wc -l <"$T/used")" -ge 20 ] || fail "strace saw only $(wc -l <"$T/used") calls"
	comm -23 "$T/used" "$T/allowed" | grep -vx execve >"$T/outside"
	[ -s "$T/outside" ] &&
	    fail "system calls outside the unit's SystemCallFilter: $(tr '\n' ' ' <"$T/outside")"
	note "$(wc -l <"$T/used") distinct system calls, all allowed by the unit"
}

# units_make UNIT...: cgroups named like system services
# (CG/system.slice/UNIT) for in_unit, removed at exit; skips the test
# (exit 0) where no cgroup2 hierarchy may be written or PID 1 is not in
# its root (the daemon takes PID 1's cgroup as the tree's root, so the
# names would not be the ones the test expects).
units_make() {
	local u
	CG=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	_UNITS=("$@")
	_SLICE_MADE=
	if [ -n "$CG" ] && [ ! -d "$CG/system.slice" ]; then
		_SLICE_MADE=1
	fi
	if [ -z "$CG" ] || ! mkdir -p "${_UNITS[@]/#/$CG/system.slice/}" 2>/dev/null; then
		note "SKIP: no cgroup2 hierarchy we may make cgroups in (run as root)"
		exit 0
	fi
	trap 'rc=$?; _units_rm; (exit $rc); _cleanup' EXIT
	[ "$(sed -n 's/^0:://p' /proc/1/cgroup)" = / ] || {
		note "SKIP: PID 1 is not in the cgroup2 root"
		exit 0
	}
}

_units_rm() {
	local u
	for u in "${_UNITS[@]}"; do
		rmdir "$CG/system.slice/$u" 2>/dev/null
	done
	[ -n "$_SLICE_MADE" ] && rmdir "$CG/system.slice" 2>/dev/null
	return 0
}

# in_unit UNIT CMD...: runs CMD in the unit's cgroup (units_make).
in_unit() {
	local cg=$CG/system.slice/$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}
