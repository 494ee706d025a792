#!/bin/bash
# A cursor file (mmlogctl show --cursor-file, mmlog-forward's) is
# replaced whole or not at all, and a writer killed before its rename
# leaves nothing beside it: strace kills mmlogctl at the fsync of the
# new cursor's contents, which are then in an unnamed file (O_TMPFILE),
# so the old cursor is still there, alone.  (A forwarder in a crash loop
# left a cursor.XXXXXX per crash.)
. "$(dirname "$0")/lib.sh"

need_ctl
command -v strace >/dev/null || fail "strace is not installed (tests/deps.sh)"
start_daemon --size 1M
ctl write -t ck one || fail "write"
ctl write --sync -t ck two >/dev/null || fail "write --sync"
mkdir "$T/cur"
ctl --file "$RING" show -n 1 --cursor-file "$T/cur/c" >/dev/null ||
    fail "show --cursor-file: $(cat "$T/ctl.err")"
old=$(cat "$T/cur/c")
[ -n "$old" ] || fail "no cursor written"
ctl write --sync -t ck three >/dev/null || fail "write --sync"
timeout -k 2 "$(tmo 60)" strace -f -o "$T/strace.out" -e trace=fsync \
    -e inject=fsync:signal=KILL "$MMLOGCTL" --file "$RING" show \
    --cursor-file "$T/cur/c" >"$T/shown" 2>"$T/show.err"
rc=$?
grep -q "killed by SIGKILL" "$T/strace.out" ||
    fail "mmlogctl was not killed at an fsync (exit $rc): $(tail -n 3 "$T/strace.out")"
assert_eq "files beside the cursor after the kill" "c" "$(ls -A "$T/cur" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "the old cursor, whole" "$old" "$(cat "$T/cur/c")"
# Not killed: the new cursor replaces it, and nothing else is left.
ctl --file "$RING" show --cursor-file "$T/cur/c" >"$T/shown" ||
    fail "show --cursor-file: $(cat "$T/ctl.err")"
grep -q three "$T/shown" || fail "after the old cursor: $(cat "$T/shown")"
[ "$(cat "$T/cur/c")" != "$old" ] || fail "the cursor did not move"
assert_eq "files beside the cursor" "c" "$(ls -A "$T/cur" | tr '\n' ' ' | sed 's/ $//')"
stop_daemon
exit 0
