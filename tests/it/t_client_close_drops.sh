#!/bin/bash
# Drops that no later entry carries: a client writes while the daemon
# is down (each entry dropped and counted), the daemon comes back, and
# the client closes without writing again.  mmlog_close() reconnects and
# sends the count with an entry of its own ("closing, 2 entries
# dropped..."), so MMLOG_DROPPED in the log says what was lost (before,
# the count died with the handle: a silent loss).
. "$(dirname "$0")/lib.sh"

start_daemon --size 8M
touch "$T/down" "$T/up"
timeout -k 2 "$(tmo 60)" "$HELPERS/clientx" -s "$SOCK" steps open \
    write:before say:opened "gone:$T/down" write:lost1 write:lost2 stats \
    "gone:$T/up" >"$T/cd.out" 2>"$T/cd.err" &
cl=$!
track $cl
wait_for "$(tmo 20)" grep -q '^opened' "$T/cd.out" ||
    fail "the client did not open: $(cat "$T/cd.err")"
stop_daemon
rm -f "$T/down"
wait_for "$(tmo 20)" grep -q '^sent' "$T/cd.out" ||
    fail "the client did not write: $(cat "$T/cd.err")"
start_daemon --size 8M
rm -f "$T/up"
wait_exit $cl "$(tmo 30)" || fail "clientx did not finish"
assert_eq "clientx exit status ($(cat "$T/cd.err"))" 0 "$EXIT_CODE"
read -r _ sent _ dropped _ pending < <(grep '^sent' "$T/cd.out")
note "$(tr '\n' ';' <"$T/cd.out")"
assert_eq "entries dropped while the daemon was down" 2 "$dropped"
assert_eq "drops not yet reported before the close" 2 "$pending"

stop_daemon
ctl --file "$RING" show -o json >"$T/show.json" || fail "mmlogctl show"
json_fields SYSLOG_IDENTIFIER MMLOG_DROPPED MESSAGE <"$T/show.json" >"$T/shown"
logged=$(awk -F '\t' '$2 != "-" { s += $2 } END { print s + 0 }' "$T/shown")
assert_eq "MMLOG_DROPPED in the log" 2 "$logged"
assert_eq "entries of the client in the log" "before;closing" \
    "$(awk -F '\t' '$1 == "st" { print $3 }' "$T/shown" | cut -d, -f1 |
    paste -sd';')"
