#!/bin/bash
# The configuration file (mmlogd(8), CONFIGURATION).  Every key is
# accepted with a good value, and --check-config prints it with the line
# it came from; a daemon started from a file with every key uses each of
# them (the socket and ring it names, the ring's size, the limits in
# `mmlogctl status`, debug lines); the command line overrides the file.
# Every bad value, an unknown key, a line without '=', a key set twice and
# a missing --config file are each a clear error naming the file and line:
# --check-config exits 1, and mmlogd exits 1 creating neither ring nor
# socket.
. "$(dirname "$0")/lib.sh"

CONF=$T/test.conf

# check_ok KEY VALUE PRINTED: a file with the key on line 3 checks, and
# --check-config prints "KEY = PRINTED # FILE:3".
check_ok() {
	printf '# a comment\n\n  %s =  %s  \n' "$1" "$2" >"$CONF"
	"$MMLOGD" --config "$CONF" --check-config >"$T/check.out" 2>"$T/check.err" ||
	    fail "$1 = $2: --check-config failed: $(cat "$T/check.err")"
	grep -qxF "$1 = $3	# $CONF:3" "$T/check.out" ||
	    fail "$1 = $2: printed $(grep "^$1 " "$T/check.out")"
}
check_ok socket "$T/other.sock" "$T/other.sock"
check_ok file "$T/other ring" "$T/other ring"
check_ok size 2M 2097152
check_ok size 100005 100000		# aligned down to 8
check_ok resize yes yes
check_ok resize off no
check_ok max-entry 1000 1000
check_ok sync-interval 1234 1234
check_ok max-clients 77 77
check_ok idle-timeout 0 0
check_ok verbose true yes
# Keys missing from the file keep their defaults.
grep -qxF "sync-interval = 1000	# default" "$T/check.out" ||
    fail "default sync-interval: $(grep sync-interval "$T/check.out")"

# Every key at once, for a real daemon; the command line wins over it.
cat >"$CONF" <<EOF
# mmlogd test configuration
socket = $T/conf.sock
file = $T/conf.ring
size = 2M
resize = no
max-entry = 1000
sync-interval = 1234
max-clients = 77
idle-timeout = 99
verbose = yes
EOF
DAEMON_N=1
DERR=$LOGS/mmlogd.1.err
"$MMLOGD" --config "$CONF" --max-clients 55 2>"$DERR" </dev/null &
DPID=$!
track $DPID
wait_for "$(tmo 20)" _daemon_ready || fail "mmlogd did not get ready"
alive "$DPID" || fail "mmlogd exited at start"
[ -S "$T/conf.sock" ] || fail "the socket of the file was not bound"
SOCK=$T/conf.sock
RING=$T/conf.ring
export MMLOG_SOCKET=$SOCK MMLOG_FILE=$RING
loadgen -t big -n 1 -z 997 -a >"$T/lg.out" 2>"$T/lg.err" ||
    fail "tag+message of 1000 bytes: $(cat "$T/lg.err")"
grep -q truncated "$T/lg.out" && fail "tag+message of 1000 bytes cut with max-entry = 1000"
# One byte more is stored cut (issue 17; it used to be refused).
loadgen -t big -n 1 -z 998 -a >"$T/lg.out" 2>"$T/lg.err" ||
    fail "tag+message of 1001 bytes: $(cat "$T/lg.err")"
grep -q truncated "$T/lg.out" ||
    fail "tag+message of 1001 bytes taken whole with max-entry = 1000"
ctl status >"$T/status" || fail "mmlogctl status"
st() { awk -v k="$1:" '$1 == k { print $2 }' "$T/status"; }
assert_eq "sync_interval_ms" 1234 "$(st sync_interval_ms)"
assert_eq "max_entry" 1000 "$(st max_entry)"
assert_eq "max_clients (command line)" 55 "$(st max_clients)"
assert_eq "idle_timeout_s" 99 "$(st idle_timeout_s)"
assert_eq "capacity" 2097152 "$(header_field capacity)"
grep -q '^<7>' "$DERR" || fail "verbose = yes, but no debug lines"
stop_daemon

# bad KEY VALUE WHY: the value is refused with WHY, naming file and line.
bad_n=0
bad() {
	bad_n=$((bad_n + 1))
	printf '# bad value %d\n\n%s\n' "$bad_n" "$1" >"$CONF"
	"$MMLOGD" --config "$CONF" --check-config >"$T/check.out" 2>"$T/check.err"
	assert_eq "--check-config exit for '$1'" 1 "$?"
	grep -qF "$CONF:3: " "$T/check.err" ||
	    fail "'$1': error does not name $CONF:3: $(cat "$T/check.err")"
	grep -qF -- "$2" "$T/check.err" ||
	    fail "'$1': expected '$2' in: $(cat "$T/check.err")"
	[ -s "$T/check.out" ] && fail "'$1': a configuration was printed"
	# The daemon itself refuses it, and creates nothing.
	run_refused "'$1'" --config "$CONF" --socket "$T/bad.sock" \
	    --file "$T/bad.ring"
	assert_eq "mmlogd exit for '$1'" 1 "$EXIT_CODE"
	grep -qF "$CONF:3: " "$DERR" || fail "'$1': mmlogd: $(cat "$DERR")"
	[ -e "$T/bad.ring" ] || [ -e "$T/bad.sock" ] &&
	    fail "'$1': mmlogd created its ring or socket"
	return 0
}
long=$(printf "$T/%0200d" 0)
bad "socket =" "expected a PATH"
bad "socket = $long" "too long: more than 107 bytes"
bad "file =" "expected a PATH"
bad "file = $(printf '/tmp/a\001b')" "control character"
bad "size = 32K" "from 64K to 1T"
bad "size = 2T" "from 64K to 1T"
bad "size = 12Q" "from 64K to 1T"
bad "size = -1M" "from 64K to 1T"
bad "size = 99999999999999999999999" "from 64K to 1T"
bad "size =" "from 64K to 1T"
bad "resize = maybe" "expected yes or no"
bad "max-entry = 0" "from 1 to 65472"
bad "max-entry = 65473" "from 1 to 65472"
bad "max-entry = 4k" "from 1 to 65472"
bad "sync-interval = 0" "from 1 to 3600000"
bad "sync-interval = 3600001" "from 1 to 3600000"
bad "sync-interval = 1.5" "from 1 to 3600000"
bad "max-clients = 0" "from 1 to 1000000"
bad "max-clients = 1000001" "from 1 to 1000000"
bad "idle-timeout = -1" "from 0 to 31536000"
bad "idle-timeout = 31536001" "from 0 to 31536000"
bad "verbose = 2" "expected yes or no"
bad "colour = red" 'unknown key "colour"'
bad "max_entry = 100" 'unknown key "max_entry"'
bad "config = /etc/other.conf" 'unknown key "config"'
bad "size 64M" "expected 'key = value'"
note "$bad_n bad lines refused"

# A key set twice: the second is the error.
printf 'idle-timeout = 5\n\nidle-timeout = 6\n' >"$CONF"
"$MMLOGD" --config "$CONF" --check-config >/dev/null 2>"$T/check.err"
assert_eq "--check-config exit, key set twice" 1 "$?"
grep -qF "$CONF:3: idle-timeout is already set on line 1" "$T/check.err" ||
    fail "key set twice: $(cat "$T/check.err")"

# A file that does not fit together.
printf 'size = 64K\nmax-entry = 30000\n' >"$CONF"
"$MMLOGD" --config "$CONF" --check-config >/dev/null 2>"$T/check.err"
assert_eq "--check-config exit, size too small" 1 "$?"
grep -q "too small for max-entry" "$T/check.err" || fail "$(cat "$T/check.err")"

# A --config that does not exist is an error; the command line's own
# errors stay usage errors (2).
run_refused "missing --config" --config "$T/nope.conf" --file "$T/bad.ring"
assert_eq "exit, missing --config" 1 "$EXIT_CODE"
grep -q "nope.conf" "$DERR" || fail "missing file not named: $(cat "$DERR")"
run_refused "bad --sync-interval" --sync-interval 0 --file "$T/bad.ring"
assert_eq "exit, bad --sync-interval" 2 "$EXIT_CODE"
grep -q -- "--sync-interval '0'" "$DERR" || fail "$(cat "$DERR")"
[ -e "$T/bad.ring" ] && fail "a refused daemon created a ring"
exit 0
