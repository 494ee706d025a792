#!/bin/bash
# Loss is never silent: a non-blocking client whose socket is full (the
# daemon is paused) drops entries and counts them; its next entry that
# gets through carries the count, and the daemon records it in the ring
# (a record of its own, tag mmlogd, with the client's pid) exactly where
# the entries are missing.  The counts in the ring add up to what the
# client dropped, and every entry it did send is there.
. "$(dirname "$0")/lib.sh"

start_daemon --size 8M
kill -STOP "$DPID"
"$HELPERS/loadgen" -s "$SOCK" -t nb -n 3000 -N >/dev/null 2>"$T/lg.err" &
lg=$!
track $lg
sleep 0.5
kill -CONT "$DPID"
wait_exit $lg "$(tmo 60)" || fail "loadgen -N did not finish"
assert_eq "loadgen exit status" 0 "$EXIT_CODE"
read -r _ sent _ dropped _ pending <"$T/lg.err" || fail "no stats: $(cat "$T/lg.err")"
note "client: sent $sent, dropped $dropped, pending $pending"
[ "$dropped" -gt 0 ] || fail "the client dropped nothing: the test did not test"
assert_eq "sent + dropped" 3000 $((sent + dropped))
# Drops after the last entry that got through have no later entry to
# carry them (a sync carries none): the client still holds them, and so
# they are not in the ring.

entries >"$T/shown" || exit 1
range=$(check_gapless "$T/shown") || fail "$range"
# Walk the ring: each drop record must announce exactly the gap in the
# client's numbering that follows it.
awk -F '\t' -v sent="$sent" -v dropped="$((dropped - pending))" \
    -v held="$pending" '
$3 == "mmlogd" {
	if (!match($5, /dropped [0-9]+ entries/)) { print "odd record:", $5; exit 1 }
	split(substr($5, RSTART, RLENGTH), w, " ")
	announced += w[2]; pending = w[2]; drop_pid = $4
	next
}
$3 == "nb" {
	split($5, w, " "); k = w[2] + 0
	if (k - last - 1 != pending) {
		printf "entry %d follows %d, but %d drops were announced\n", k, last, pending
		exit 1
	}
	if (pending && drop_pid != $4) { print "drop record has pid", drop_pid, "not", $4; exit 1 }
	pending = 0; last = k; n++
	next
}
{ print "stray entry:", $0; exit 1 }
END {
	if (n != sent) { printf "%d entries of %d sent\n", n, sent; exit 1 }
	if (announced != dropped) { printf "%d drops announced, %d dropped\n", announced, dropped; exit 1 }
	if (last + held != 3000) { print "last entry", last; exit 1 }
}' "$T/shown" >"$T/why" || fail "$(cat "$T/why")"
assert_eq "client_drops counter" "$((dropped - pending))" \
    "$(stats_field client_drops)"
stop_daemon
