#!/bin/bash
# The ring file removed or replaced under a running daemon (rm, or mv of
# a copy over it, as an administrator restoring a backup would): the
# daemon keeps writing into the file it has open, which no reader and no
# later start will see, so it must not acknowledge anything as durable
# after that.  It says so on stderr, refuses every sync (the client gets
# an error, not an ACK), reports sync_state failing, and keeps running.
# Before, every write --sync was answered 'durable up to seq N' for an
# entry that vanished with the daemon.
. "$(dirname "$0")/lib.sh"

need_ctl

replaced_case() {
	local how=$1
	start_daemon --size 1M --sync-interval 50
	ctl --socket "$SOCK" write --sync -t before "before $how" \
	    >"$T/before" || fail "$how: write --sync before: $(cat "$T/ctl.err")"
	grep -q 'durable up to' "$T/before" || fail "$how: no ACK before"
	case $how in
	mv)	cp "$RING" "$RING.copy" && mv "$RING.copy" "$RING" ;;
	rm)	rm -f "$RING" ;;
	esac
	ctl --socket "$SOCK" write --sync -t after "after $how" >"$T/after" &&
	    fail "$how: write --sync succeeded into a ring no longer at its path: $(cat "$T/after")"
	grep -q 'durable up to' "$T/after" &&
	    fail "$how: write --sync claimed durability: $(cat "$T/after")"
	grep -q 'removed or replaced' "$T/ctl.err" ||
	    note "$how: the client was told: $(tail -n 1 "$T/ctl.err")"
	alive "$DPID" || fail "$how: mmlogd died"
	grep -q "ring '$RING' was removed or replaced under mmlogd" "$DERR" ||
	    fail "$how: mmlogd did not say the ring was removed or replaced: $(tail -n 3 "$DERR")"
	assert_eq "$how: sync_state" failing "$(stats_field sync_state)"
	stop_daemon
	rm -f "$RING"
}

replaced_case mv
replaced_case rm
exit 0
