#!/bin/bash
# What stands at the ring's path (issue 16, finding 7):
#   - a FIFO, with --size (resize peeks at the path first): refused at
#     once as not a regular file, where it used to hang mmlogd for ever;
#   - a dangling symbolic link: refused before anything is created (no
#     "created ring", nothing at the link's target), and so is a link to
#     a real ring;
#   - a ring owned by another user, who could rewrite the log: taken over
#     (uid and gid) by a daemon running as root, which says so; refused
#     by a daemon running as another user;
#   - a ring of mode 0644 (or 0666): made 0640, and logged;
#   - a ring in a directory anyone may write to (not sticky), or owned by
#     another user, who could swap the file under us (finding 6): refused,
#     nothing created there; a sticky world-writable directory (/tmp's
#     kind) is fine.
. "$(dirname "$0")/lib.sh"

mkfifo "$T/fifo"
run_refused "FIFO" --socket "$SOCK" --file "$T/fifo" --size 1M
grep -q "ring '$T/fifo' is not a regular file" "$DERR" ||
    fail "FIFO: $(cat "$DERR")"
run_refused "FIFO without --size" --socket "$SOCK" --file "$T/fifo"

ln -s "$T/nowhere" "$T/dangling"
run_refused "dangling symlink" --socket "$SOCK" --file "$T/dangling" --size 1M
grep -q "ring '$T/dangling' is a symbolic link; refusing it" "$DERR" ||
    fail "dangling symlink: $(cat "$DERR")"
grep -q 'created ring' "$DERR" && fail "a ring was created through the link"
[ -e "$T/nowhere" ] && fail "something was created at the link's target"
ls "$T" | grep -q '\.new-' && fail "a temporary ring was left: $(ls "$T")"

start_daemon --size 1M
ctl --socket "$SOCK" write -t path "before" || fail "write failed"
stop_daemon
ln -s "$RING" "$T/link"
run_refused "symlink to a ring" --socket "$SOCK" --file "$T/link"
grep -q "is a symbolic link" "$DERR" || fail "symlink: $(cat "$DERR")"

chmod 0644 "$RING"
start_daemon
assert_eq "mode after start" 640 "$(stat -c %a "$RING")"
grep -q "ring '$RING' had mode 0644; it is 0640 now" "$DERR" ||
    fail "the mode change was not logged"
stop_daemon
chmod 0666 "$RING"
start_daemon
assert_eq "mode after start" 640 "$(stat -c %a "$RING")"
stop_daemon

mkdir -m 0777 "$T/ww"
run_refused "world-writable directory" --socket "$SOCK" --file "$T/ww/ring" \
    --size 1M
grep -q "ring directory '$T/ww' is writable by anyone and not sticky" \
    "$DERR" || fail "world-writable: $(cat "$DERR")"
[ -e "$T/ww/ring" ] && fail "a ring was created in a world-writable directory"
mkdir -m 1777 "$T/sticky"
start_daemon --file "$T/sticky/ring" --size 1M
ctl --socket "$SOCK" write -t path "sticky" || fail "write (sticky) failed"
stop_daemon

[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null || exit 0
mkdir -m 0755 "$T/theirs"
chown 65534 "$T/theirs"
run_refused "directory of another user" --socket "$SOCK" \
    --file "$T/theirs/ring" --size 1M
grep -q "ring directory '$T/theirs' belongs to uid 65534" "$DERR" ||
    fail "other user's directory: $(cat "$DERR")"
[ -e "$T/theirs/ring" ] && fail "a ring was created in another user's directory"

chown 65534:65534 "$RING"
start_daemon
assert_eq "owner after start" "0 0" "$(stat -c '%u %g' "$RING")"
grep -q "ring '$RING' belonged to uid 65534 gid 65534, who could rewrite the log; it is uid 0 gid 0's now" \
    "$DERR" || fail "the takeover was not logged: $(cat "$DERR")"
ctl --socket "$SOCK" write -t path "after" || fail "write failed"
stop_daemon
assert_eq "entries kept" "before
after" "$(ctl --file "$RING" show -o cat)"

chmod 0755 "$T"		# for uid 65534: the directory and the empty config
mkdir -m 0755 "$T/n"
chown 65534:65534 "$T/n"
cp "$RING" "$T/n/ring"
chown 65533:65533 "$T/n/ring"
chmod 0666 "$T/n/ring"
DAEMON_N=$((DAEMON_N + 1))
DERR=$LOGS/mmlogd.$DAEMON_N.err
timeout -k 2 "$(tmo 20)" setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$MMLOGD" --socket "$T/n/sock" --file "$T/n/ring" 2>"$DERR" </dev/null &&
    fail "a daemon of uid 65534 adopted uid 65533's ring"
grep -q "ring '$T/n/ring' belongs to uid 65533, not to mmlogd's uid 65534" "$DERR" ||
    fail "foreign ring: $(cat "$DERR")"
assert_eq "the foreign ring untouched" "65533 666" "$(stat -c '%u %a' "$T/n/ring")"
