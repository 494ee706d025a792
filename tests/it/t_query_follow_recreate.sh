#!/bin/bash
# mmlogctl show -f -o json with a match, while the ring is resized (a
# restart with a larger --size) and then re-created (removed, and a new
# one made by the next daemon): the follower goes on in the new mapping,
# then in the new ring, printing each entry with the cursor of the ring
# it is in and matching it by its metadata slot.  (The format and the
# matches kept reading the freed ring: the follower died of SIGSEGV at
# the first entry after the switch.)  A follower of this boot (-b) goes
# on too: the new ring numbers this boot's entries from 1.  The writes are --sync: a writer
# gone before the daemon looked has no _COMM to match (mmlogctl(1)).
. "$(dirname "$0")/lib.sh"

need_ctl
# An earlier boot first, so that this boot's entries in the first ring
# do not start at seq 1, as they do in the re-created one.
start_daemon_env MMLOGD_TEST_BOOT_ID=0123456789abcdef0123456789abcdef --size 1M
loadgen -t earlier -n 20 >/dev/null 2>"$T/lg.err" || fail "loadgen"
stop_daemon
start_daemon --size 1M
follow_json _COMM=mmlogctl
f=$FPID
ctl write --sync -t f "before" >/dev/null || fail "write"
# Beside it, one of this boot only (-b), whose entries start at seq 21
# in the first ring: that range must not filter the new ring's out.
"$MMLOGCTL" --file "$RING" --socket "$SOCK" show -f -b -o json _COMM=mmlogctl \
    >"$T/b.json" 2>"$T/b.err" </dev/null &
fb=$!
track $fb
wait_for "$(tmo 10)" eval '[ "$(stats_field clients)" -ge 2 ]' ||
    fail "the -b follower did not connect"
loadgen -t other -n 5 >/dev/null 2>"$T/lg.err" || fail "loadgen"
wait_for "$(tmo 10)" has before || fail "the follower did not print 'before'"
id1=$(ctl --file "$RING" show -n 1 -o json | json_fields __CURSOR | sed 's/;.*//')

stop_daemon
start_daemon --size 2M
ctl write --sync -t f "after resize" >/dev/null || fail "write"
wait_for "$(tmo 10)" has "after resize" ||
    fail "the follower did not print an entry after a resize: $(cat "$T/f.err")"

stop_daemon
rm -f "$RING"
start_daemon --size 1M
ctl write --sync -t f "after re-create" >/dev/null || fail "write"
loadgen -t other -n 5 >/dev/null 2>"$T/lg.err" || fail "loadgen"
ctl write --sync -t f "last" >/dev/null || fail "write"
wait_for "$(tmo 10)" has last ||
    fail "the follower did not print an entry of the new ring: $(cat "$T/f.err")"
alive $f || fail "the follower exited: $(cat "$T/f.err")"
wait_for "$(tmo 10)" grep -q '"MESSAGE":"last"' "$T/b.json" ||
    fail "the -b follower did not print an entry of the new ring: $(cat "$T/b.json")"
assert_eq "the -b follower's entries" "before
after resize
after re-create
last" "$(json_fields MESSAGE <"$T/b.json")"
kill -TERM $fb
wait_exit $fb "$(tmo 5)" || fail "the -b follower did not stop on SIGTERM"
untrack $fb
kill -TERM $f
wait_exit $f "$(tmo 5)" || fail "the follower did not stop on SIGTERM"
assert_eq "follower exit status" 0 "$EXIT_CODE"
untrack $f
grep -q 're-created' "$T/f.err" || fail "the follower did not say the ring was re-created: $(cat "$T/f.err")"
id2=$(ctl --file "$RING" show -n 1 -o json | json_fields __CURSOR | sed 's/;.*//')
[ "$id1" != "$id2" ] || fail "the re-created ring has the old ring's id"
json_fields MESSAGE __CURSOR <"$T/f.json" | sed 's/;i=.*//' >"$T/f.tsv"
printf 'before\t%s\nafter resize\t%s\nafter re-create\t%s\nlast\t%s\n' \
    "$id1" "$id1" "$id2" "$id2" >"$T/want.tsv"
cmp -s "$T/f.tsv" "$T/want.tsv" ||
    fail "the follower printed: $(diff "$T/want.tsv" "$T/f.tsv" | head -n 6)"
stop_daemon
