#!/bin/bash
# The listening socket's path: missing parent directories are created; a
# stale socket (left by a killed daemon) is replaced; a regular file or a
# path too long for a Unix socket is refused and left alone.
. "$(dirname "$0")/lib.sh"

SOCK=$T/a/b/c/sock
start_daemon --size 64K
test -S "$SOCK" || fail "no socket at $SOCK"
[ "$(stat -c %a "$SOCK")" = 666 ] || fail "socket mode $(stat -c %a "$SOCK"), expected 666 (anyone may log)"
loadgen -t a -n 5 -a >/dev/null 2>"$T/lg.err" || fail "loadgen: $(cat "$T/lg.err")"
kill_daemon
test -S "$SOCK" || fail "expected the killed daemon's socket to remain"
start_daemon
loadgen -t b -n 5 -a >/dev/null 2>"$T/lg.err" || fail "not serving on the replaced socket"
stop_daemon
[ -e "$SOCK" ] && fail "the socket was not removed on SIGTERM"

echo "precious" >"$T/file"
sum=$(sha256sum <"$T/file")
run_refused "socket path is a regular file" --socket "$T/file" --file "$RING"
assert_eq "file at the socket path" "$sum" "$(sha256sum <"$T/file")"

long=$T/$(head -c 120 /dev/zero | tr '\0' 'x')
run_refused "socket path too long" --socket "$long" --file "$RING"
grep -qi 'too long' "$DERR" || fail "no 'too long' in: $(cat "$DERR")"
if have_ctl; then
	timeout -k 2 "$(tmo 20)" "$MMLOGCTL" --socket "$T/nosock" write hello \
	    >/dev/null 2>"$T/w.err"
	rc=$?
	assert_eq "mmlogctl write with no daemon: exit" 1 "$rc"
	grep -q "$T/nosock" "$T/w.err" || fail "write does not name the socket: $(cat "$T/w.err")"
fi
assert_eq "entries" 10 "$(ring_entries | wc -l)"
