#!/bin/bash
# A client plants a record header (sshd[1], uid 0, valid CRC, the next
# seq) inside its message where the head will land a lap later (forge.c).
# The daemon clears the slot at its head before publishing it, and
# recovery follows only the exact next seq: the forgery is never shown,
# live or after a restart, and a forged seq near 2^64 cannot make the
# numbering wrap.
. "$(dirname "$0")/lib.sh"

need_ctl
for fake in next huge; do
	rm -f "$RING"
	start_daemon --size 1M
	if [ "$fake" = huge ]; then
		"$HELPERS/forge" "$SOCK" "$RING" 0xfffffffffffffffe >"$T/forge.out" 2>&1
	else
		"$HELPERS/forge" "$SOCK" "$RING" >"$T/forge.out" 2>&1
	fi || fail "$fake: forge failed: $(cat "$T/forge.out")"
	ctl --file "$RING" show -o json >"$T/live.json" 2>"$T/live.err" ||
	    fail "$fake: show failed: $(cat "$T/live.err")"
	grep -q 'Accepted password' "$T/live.json" &&
	    fail "$fake: the forged entry is shown while the daemon runs"
	stop_daemon
	start_daemon
	next=$(grep ' ready: ' "$DERR" | sed -n 's/.*next seq \([0-9]*\)$/\1/p')
	[ -n "$next" ] && [ "$next" -lt 1000000 ] ||
	    fail "$fake: numbering after the restart: next seq '$next'"
	loadgen -t after -n 3 -a >"$T/after" 2>"$T/lg.err" ||
	    fail "$fake: loadgen after the restart: $(cat "$T/lg.err")"
	ctl --file "$RING" show -o json >"$T/after.json" 2>"$T/after.err" ||
	    fail "$fake: show failed: $(cat "$T/after.err")"
	grep -q 'Accepted password' "$T/after.json" &&
	    fail "$fake: the forged entry is shown after a restart"
	grep -q '"_UID" *: *"0"' "$T/after.json" && [ "$(id -u)" != 0 ] &&
	    fail "$fake: an entry claims uid 0"
	ctl --file "$RING" verify >"$T/verify.out" 2>&1 ||
	    fail "$fake: verify: $(grep -i problem "$T/verify.out")"
	stop_daemon
done
exit 0
