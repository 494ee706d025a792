#!/bin/bash
# SIGHUP re-reads the configuration.  The sync interval changes live:
# with sync-interval = 60000 entries written without a sync barrier stay
# past the durable cursor; after the file says 100 and SIGHUP, `mmlogctl
# status` shows 100 and the cursor catches up by itself.  max-clients and
# verbose apply too; resize is reported as needing a restart; the command
# line (--socket, --max-entry) still overrides the file; a file with an
# error changes nothing, and the daemon runs on.
. "$(dirname "$0")/lib.sh"

printf 'sync-interval = 60000\nmax-entry = 3000\n' >"$MMLOGD_CONFIG"
start_daemon --size 1M --max-entry 2000
st() {
	ctl status >"$T/status" || fail "mmlogctl status"
	awk -v k="$1:" '$1 == k { print $2 }' "$T/status"
}
assert_eq "sync_interval_ms at start" 60000 "$(st sync_interval_ms)"
assert_eq "max_entry (command line)" 2000 "$(st max_entry)"

# No sync barrier at the end: only the interval makes these durable.
loadgen -t slow -n 50 -S 2>"$T/lg.err" || fail "loadgen failed"
landed() { [ "$(st next_seq)" = 51 ]; }
wait_for "$(tmo 10)" landed || fail "entries did not land"
[ "$(st durable_seq)" -lt 50 ] ||
    fail "durable before the 60 s interval: $(st durable_seq)"

cat >"$MMLOGD_CONFIG" <<EOF
# changed while running
sync-interval = 100
max-entry = 3000
max-clients = 50
verbose = yes
resize = yes
socket = $T/elsewhere.sock
EOF
kill -HUP "$DPID"
wait_for "$(tmo 10)" grep -q 'SIGHUP: 3 settings applied' "$DERR" ||
    fail "no reload reported: $(tail -n 5 "$DERR")"
grep -q 'SIGHUP: sync-interval changed from 60000 to 100' "$DERR" ||
    fail "sync-interval change not logged"
grep -q "SIGHUP: resize = yes needs a restart" "$DERR" ||
    fail "the resize change is not reported as needing a restart"
grep -q "elsewhere" "$DERR" && fail "socket changed, but the command line sets it"
grep -q 'max-entry' "$DERR" && fail "max-entry changed, but the command line sets it"
assert_eq "sync_interval_ms after SIGHUP" 100 "$(st sync_interval_ms)"
assert_eq "max_clients after SIGHUP" 50 "$(st max_clients)"
assert_eq "max_entry after SIGHUP" 2000 "$(st max_entry)"
caught_up() { [ "$(st durable_seq)" = 50 ]; }
wait_for "$(tmo 10)" caught_up ||
    fail "not durable after the interval became 100 ms: $(st durable_seq)"
# verbose: the syncs now say so.
wait_for "$(tmo 10)" grep -q '^<7>mmlogd: sync: durable up to seq 50' "$DERR" ||
    fail "verbose = yes did not apply"
[ -e "$T/elsewhere.sock" ] && fail "the file's socket was bound"

# A file with an error: nothing changes, the daemon goes on.
printf 'sync-interval = soon\n' >"$MMLOGD_CONFIG"
kill -HUP "$DPID"
wait_for "$(tmo 10)" grep -q 'has errors; nothing changed' "$DERR" ||
    fail "a bad file on SIGHUP is not reported"
grep -q "$MMLOGD_CONFIG:1: sync-interval" "$DERR" || fail "the bad line is not named"
assert_eq "sync_interval_ms after a bad file" 100 "$(st sync_interval_ms)"
loadgen -t after -n 5 -a >/dev/null 2>"$T/lg.err" || fail "not serving after a bad file"
stop_daemon
