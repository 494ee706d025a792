#!/bin/bash
# A socket path that is in use by a socket of another type is never
# taken over: one of mmlogd's own paths named for two of its sockets
# (--syslog-socket the same as --socket), or another service's socket
# named by mistake.  mmlogd refuses to start, says why, and the socket
# that was there stays.  Before, its probe (a connect of its own type)
# failed with EPROTOTYPE, it took the socket for stale, unlinked it and
# bound its own: it started 'ready' with its protocol's socket replaced
# by the syslog one, or with another service's socket gone.
. "$(dirname "$0")/lib.sh"

run_refused "the syslog socket at the protocol's path" --socket "$SOCK" \
    --syslog-socket "$SOCK" --file "$RING" --size 1M
grep -q "'$SOCK' is a socket of another type in use" "$DERR" ||
    fail "no reason given: $(cat "$DERR")"

# Another service's socket (a SOCK_SEQPACKET listener that lives on).
HELD=$T/held.sock
"$HELPERS/sockhold" "$HELD" "$T/gate" sleep "$(tmo 60)" >"$T/hold.out" \
    2>&1 &
hold=$!
track $hold
wait_for 5 test -S "$HELD" || fail "sockhold did not bind"
ino=$(stat -c %i "$HELD")
for opt in --syslog-socket --journal-socket --stdout-socket; do
	run_refused "$opt at another service's socket" --socket "$SOCK" \
	    "$opt" "$HELD" --file "$RING" --size 1M
	grep -q "'$HELD' is a socket of another type in use" "$DERR" ||
	    fail "$opt: no reason given: $(cat "$DERR")"
	assert_eq "$opt: the other service's socket" "$ino" \
	    "$(stat -c %i "$HELD" 2>/dev/null)"
done
kill -TERM $hold
wait $hold 2>/dev/null
exit 0
