#!/bin/bash
# Hostile frames through the real socket (badpeer), while two good
# clients write.  Each bad frame gets an ERROR reply with the reason of
# enum mml_wire_reason (errno EBADMSG, or EMSGSIZE for size limits) and
# the connection keeps serving; bad magic or version gets EPROTO and the
# connection is closed; an empty packet ends the connection.  Afterwards
# the daemon is alive and serving, every bad frame was counted, and the
# ring holds exactly the good entries: nothing of any bad frame, no
# sequence number spent on one.  (An entry over --max-entry is no bad
# frame: since issue 17 it is stored cut, see t_max_entry.)
. "$(dirname "$0")/lib.sh"

ROUNDS=3
start_daemon --size 4M --max-entry 512

loadgen -t g1 -n 400 -a >"$T/g1.acked" 2>"$T/g1.err" &
g1=$!
track $g1
loadgen -t g2 -n 4000 -z 200 2>"$T/g2.err" &
g2=$!
track $g2
badpeer -r "$ROUNDS" cases >"$T/bad.out" 2>"$T/bad.err" ||
    fail "badpeer failed: $(cat "$T/bad.err")"
wait $g1 || fail "good client g1 failed: $(cat "$T/g1.err")"
wait $g2 || fail "good client g2 failed: $(cat "$T/g2.err")"
alive "$DPID" || fail "mmlogd died"

# What each case must get (reason numbers from proto/wire.h).
cat >"$T/expect1" <<'EOT'
random reason=2 errno=71 id=ok after=closed
short reason=1 errno=74 id=ok after=alive
header_only_entries reason=9 errno=74 id=ok after=alive
truncated reason=4 errno=74 id=ok after=alive
len_lies_more reason=4 errno=74 id=ok after=alive
len_lies_less reason=4 errno=74 id=ok after=alive
len_lies_huge reason=4 errno=74 id=ok after=alive
entry_len_lies reason=11 errno=74 id=ok after=alive
entry_len_overflow reason=11 errno=74 id=ok after=alive
entry_tail_garbage reason=11 errno=74 id=ok after=alive
big_packet reason=5 errno=90 id=ok after=alive
type_unknown reason=6 errno=74 id=ok after=alive
type_reply reason=6 errno=74 id=ok after=alive
flags_unknown reason=7 errno=74 id=ok after=alive
flags_on_sync reason=7 errno=74 id=ok after=alive
reserved_entries reason=8 errno=74 id=ok after=alive
reserved_entry reason=8 errno=74 id=ok after=alive
sync_body reason=9 errno=74 id=ok after=alive
no_entries reason=10 errno=74 id=ok after=alive
priority reason=12 errno=74 id=ok after=alive
tag_long reason=13 errno=74 id=ok after=alive
field_lowercase reason=14 errno=74 id=ok after=alive
field_underscore reason=14 errno=74 id=ok after=alive
field_message reason=14 errno=74 id=ok after=alive
field_noeq reason=14 errno=74 id=ok after=alive
field_len_lies reason=14 errno=74 id=ok after=alive
field_short reason=14 errno=74 id=ok after=alive
bad_magic reason=2 errno=71 id=ok after=closed
version2 reason=3 errno=71 id=ok after=closed
version0 reason=3 errno=71 id=ok after=closed
empty closed
pipelined 1,9,4,4,4,4,11,11,11,5,6,6,7,7,8,8,9,10,12,13,14,14,14,14,14,14 after=alive
fuzz errors=200 of=200 after=alive
EOT
: >"$T/expect"
for r in $(seq "$ROUNDS"); do cat "$T/expect1" >>"$T/expect"; done
# The text is informative; the rest must match exactly.
grep -v '^errors=' "$T/bad.out" | sed 's/ text=.*//' >"$T/got"
if ! cmp -s "$T/expect" "$T/got"; then
	diff "$T/expect" "$T/got" | head -n 20
	fail "bad frames got other replies than expected (diff above)"
fi
grep ' text=' "$T/bad.out" | grep -q ' text=""' && fail "an ERROR without text"
errors=$(sed -n 's/^errors=//p' "$T/bad.out")

# Still serving, and every bad frame was counted.
loadgen -t g3 -n 1 -a >/dev/null 2>"$T/g3.err" || fail "not serving afterwards"
assert_eq "bad_frames counter = ERROR replies" "$errors" "$(stats_field bad_frames)"
assert_eq "entries counter" 4401 "$(stats_field entries)"

entries >"$T/shown" || exit 1
grep -q 'BAD' "$T/shown" && fail "a bad frame reached the ring: $(grep -m1 BAD "$T/shown")"
range=$(check_gapless "$T/shown") || fail "$range"
assert_eq "good entries only" "1 4401 4401" "$range"
awk -F '\t' '
$3 == "g1" { if ($5 != "g1 " ++a) { print "g1:", $5; exit 1 } next }
$3 == "g2" { split($5, w, " "); if (w[1] != "g2" || w[2] + 0 != ++b || length($5) != 200) { print "g2:", $5; exit 1 } next }
$3 == "g3" { c++; next }
{ print "stray:", $0; exit 1 }
END { if (a != 400 || b != 4000 || c != 1) { print a, b, c; exit 1 } }' \
    "$T/shown" >"$T/why" || fail "good entries: $(cat "$T/why")"
# Every ACK g1 got names the entry it wrote.
awk -F '\t' 'FILENAME == ARGV[1] { m[$1] = $5; next }
{ sp = index($0, " "); if (m[substr($0, 1, sp - 1)] != substr($0, sp + 1)) exit 1 }' \
    "$T/shown" "$T/g1.acked" || fail "an ACK names the wrong seq"

# Peer-triggered warnings are rate-limited.
w=$(grep -c 'client pid' "$DERR")
[ "$w" -lt $((errors / 2)) ] ||
    fail "$w warning lines for $errors bad frames: not rate-limited"
stop_daemon
note "$errors bad frames refused; 4401 good entries intact"
