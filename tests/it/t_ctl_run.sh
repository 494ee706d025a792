#!/bin/bash
# mmlogctl run: connects to the stdout stream socket (--stdout-socket,
# $MMLOG_STDOUT_SOCKET, or "stdout" beside --socket), sends journald's
# stream header (daemon/stream.h: identifier, unit id, priority as
# facility * 8 + level, level prefix, three forward flags), then becomes
# the program, whose stdout and stderr are the stream and whose own pid
# the socket's peer is.  Checked byte for byte against a stand-in for the
# daemon's socket (tests/it/streamrecv.c): the daemon's side is tested by
# the intake's own tests; the two together end to end once both are in.
. "$(dirname "$0")/lib.sh"

need_ctl
[ -x "$HELPERS/streamrecv" ] || fail "streamrecv is not built"

# recv_start PATH: the stand-in, listening at PATH.
recv_start() {
	rm -f "$T/out" "$T/pid"
	"$HELPERS/streamrecv" "$1" "$T/out" "$T/pid" 2>"$T/recv.err" &
	RPID=$!
	track "$RPID"
	wait_for "$(tmo 10)" test -S "$1" || fail "streamrecv did not listen: $(cat "$T/recv.err")"
}
recv_wait() {
	wait_exit "$RPID" "$(tmo 10)" || fail "streamrecv did not end"
	untrack "$RPID"
	assert_eq "streamrecv's exit" 0 "$EXIT_CODE"
}

recv_start "$T/stdout"
"$MMLOGCTL" --stdout-socket "$T/stdout" run -t backup -p warning -- \
    sh -c 'echo "out $$"; echo "err line" >&2; echo "<3>an error"' 2>"$T/run.err"
rc=$?
recv_wait
assert_eq "run's exit status (the program's)" 0 "$rc"
pid=$(cat "$T/pid")
assert_eq "the bytes sent" "$(printf 'backup\n\n4\n1\n0\n0\n0\nout %s\nerr line\n<3>an error\n' "$pid")" \
    "$(cat "$T/out")"

# Facility and level; no tag (the command's name); --level-prefix=no;
# the program's status.
recv_start "$T/stdout"
MMLOG_STDOUT_SOCKET=$T/stdout "$MMLOGCTL" run -p local0.info --level-prefix=no \
    sh -c 'echo hi; exit 3' 2>"$T/run.err"
rc=$?
recv_wait
assert_eq "run's exit status (the program's, 3)" 3 "$rc"
assert_eq "header: the command's name, local0.info = 134, no prefix" \
    "$(printf 'sh\n\n134\n0\n0\n0\n0\nhi\n')" "$(cat "$T/out")"
# Its name without its path.
recv_start "$T/stdout"
MMLOG_STDOUT_SOCKET=$T/stdout "$MMLOGCTL" run /bin/echo hi 2>"$T/run.err"
recv_wait
assert_eq "header: /bin/echo's name" \
    "$(printf 'echo\n\n6\n1\n0\n0\n0\nhi\n')" "$(cat "$T/out")"

# The default: "stdout" beside the daemon's socket; options of the
# program are its own.
recv_start "$T/stdout"
"$MMLOGCTL" --socket "$T/sock" run -t ls ls -d -- / 2>"$T/run.err"
recv_wait
assert_eq "beside --socket; the program's options" "$(printf 'ls\n\n6\n1\n0\n0\n0\n/\n')" \
    "$(cat "$T/out")"

# Errors: no socket (nothing run), no program, a program not found.
"$MMLOGCTL" --stdout-socket "$T/nosuch" run touch "$T/ran" 2>"$T/e.err"
assert_eq "no socket: exit status" 1 "$?"
[ -e "$T/ran" ] && fail "the program ran without a stream"
grep -q "nosuch" "$T/e.err" || fail "no socket: $(cat "$T/e.err")"
"$MMLOGCTL" --stdout-socket "$T/stdout" run 2>"$T/e.err"
assert_eq "no program: exit status" 2 "$?"
recv_start "$T/stdout"
"$MMLOGCTL" --stdout-socket "$T/stdout" run /nonexistent/program 2>"$T/e.err"
assert_eq "program not found: exit status" 127 "$?"
grep -q "/nonexistent/program" "$T/e.err" || fail "not found: no message on our stderr: $(cat "$T/e.err")"
recv_wait
"$MMLOGCTL" --stdout-socket "$T/stdout" run -p bogus true 2>"$T/e.err"
assert_eq "bad priority: exit status" 2 "$?"

# The program gets SIGPIPE as our parent left it: mmlogctl ignores it for
# itself, but an ignored signal stays ignored across execve(), and a
# program expecting it (yes | head) would see EPIPE errors instead.  (The
# program is grep: mawk ignores SIGPIPE itself.)
recv_start "$T/stdout"
"$MMLOGCTL" --stdout-socket "$T/stdout" run grep '^SigIgn:' \
    /proc/self/status 2>"$T/run.err"
recv_wait
ign=$(tail -n 1 "$T/out" | sed 's/^SigIgn:[[:space:]]*//')
[ -n "$ign" ] || fail "no SigIgn line from the program: $(cat "$T/out")"
[ $((0x$ign & 0x1000)) = 0 ] ||
    fail "the program runs with SIGPIPE ignored (SigIgn $ign)"
# ... and one ignored by our parent stays ignored.
recv_start "$T/stdout"
bash -c 'trap "" PIPE; exec "$@"' sh "$MMLOGCTL" --stdout-socket "$T/stdout" \
    run grep '^SigIgn:' /proc/self/status 2>"$T/run.err"
recv_wait
ign=$(tail -n 1 "$T/out" | sed 's/^SigIgn:[[:space:]]*//')
[ $((0x$ign & 0x1000)) != 0 ] ||
    fail "SIGPIPE ignored by the parent is not ignored in the program (SigIgn $ign)"
