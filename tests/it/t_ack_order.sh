#!/bin/bash
# No ACK before the msync that covers it, shown two ways.
# 1. The trace (mmlogd -v, mmlogd(8) TESTING): under load from clients
#    asking for every entry to be durable, and timer syncs for a plain
#    writer, every "ack id I seq N" line follows a "sync: durable up to
#    seq M" line with M >= N.  Each ACK a client received is in the
#    trace, so the trace is complete.
# 2. The stall hook: while MMLOGD_TEST_SYNC_STALL_FILE exists no sync
#    completes, and a durable write (loadgen -a, mmlogctl write --sync)
#    gets no ACK although its entry is in the ring; once the file is
#    removed the ACK arrives, with the entry's seq, after its sync.
. "$(dirname "$0")/lib.sh"

need_ctl
STALL=$T/stall

# check_order: every ack line of $DERR is covered by an earlier sync
# line; numbering before this daemon (its ready line) counts as durable.
check_order() {
	awk '
	/ ready: .*next seq / { d = $NF - 1; next }
	/ sync: durable up to seq / { if ($NF + 0 > d) d = $NF + 0; next }
	/ ack id / {
		for (i = 1; i < NF; i++) if ($i == "seq") s = $(i + 1) + 0
		n++
		if (s > d) {
			printf "line %d: ACK of seq %d, but only seq %d was durable: %s\n", NR, s, d, $0
			bad = 1; exit 1 }
	}
	END { if (!bad && n == 0) { print "no ack lines"; exit 1 } }
	' "$DERR"
}

# --- 1. The trace under load.
start_daemon_env "MMLOGD_TEST_SYNC_STALL_FILE=$STALL" -v --size 16M \
    --sync-interval 20
pids=
for c in 1 2 3; do
	"$HELPERS/loadgen" -s "$SOCK" -t "ack$c" -n 300 -a >"$T/acked$c" \
	    2>"$T/lg$c.err" &
	pids="$pids $!"
	track $!
done
loadgen -t plain -n 20000 -z 50 >/dev/null 2>"$T/plain.err" &
plain=$!
track $plain
c=0
for p in $pids; do
	c=$((c + 1))
	wait_exit "$p" "$(tmo 60)" || fail "loadgen ack$c did not finish"
	[ "$EXIT_CODE" = 0 ] || fail "loadgen ack$c: $(cat "$T/lg$c.err")"
	assert_eq "ACKs printed by loadgen ack$c" 300 "$(wc -l <"$T/acked$c")"
	# 300 entries and the final sync barrier: 301 ACKs in the trace.
	assert_eq "ACKs to loadgen ack$c (pid $p) in the trace" 301 \
	    "$(grep -c " ack id .* to pid $p\$" "$DERR")"
	# Each seq the client was given was acknowledged to it.
	awk -v p="$p" '
	FILENAME == ARGV[1] { if ($0 ~ / ack id / && $NF == p) acked[$(NF - 3)] = 1
		next }
	!($1 in acked) { printf "seq %s was ACKed to pid %s, not in the trace\n", $1, p
		exit 1 }' "$DERR" "$T/acked$c" >"$T/why" || fail "$(cat "$T/why")"
done
wait_exit "$plain" "$(tmo 60)" || fail "the plain loadgen did not finish"
[ "$EXIT_CODE" = 0 ] || fail "plain loadgen: $(cat "$T/plain.err")"
why=$(check_order) || fail "$why"
note "$(grep -c ' ack id ' "$DERR") ACKs, $(grep -c ' sync: durable' "$DERR")" \
    "syncs, every ACK after its sync"

# --- 2. The stall hook.
touch "$STALL"
# A sync started now holds, and nothing completes until the file goes.
base=$(grep -c ' ack id ' "$DERR")
"$HELPERS/loadgen" -s "$SOCK" -t held -n 1 -a >"$T/held" 2>"$T/held.err" &
held=$!
track $held
ctl --socket "$SOCK" write --sync -t heldctl 'held by the stall' \
    >"$T/heldctl" &
heldctl=$!
track $heldctl
# Both entries get into the ring ...
got_held() {
	ctl --file "$RING" show -o cat -t held -t heldctl >"$T/held.shown" &&
	    [ "$(wc -l <"$T/held.shown")" = 2 ]
}
wait_for "$(tmo 10)" got_held || fail "the held entries are not in the ring"
durable=$(header_field durable_seq)
sleep 0.5
# ... but neither is acknowledged while the sync is held.
[ -s "$T/held" ] && fail "loadgen -a got an ACK while the sync was held: $(cat "$T/held")"
[ -s "$T/heldctl" ] && fail "write --sync returned while the sync was held: $(cat "$T/heldctl")"
alive "$held" || fail "loadgen -a exited while the sync was held: $(cat "$T/held.err")"
alive "$heldctl" || fail "write --sync exited while the sync was held"
assert_eq "ACK lines while the sync was held" "$base" "$(grep -c ' ack id ' "$DERR")"
assert_eq "header durable_seq while the sync was held" "$durable" \
    "$(header_field durable_seq)"
rm -f "$STALL"
wait_exit "$held" "$(tmo 10)" || fail "no ACK after the stall ended"
[ "$EXIT_CODE" = 0 ] || fail "loadgen -a after the stall: $(cat "$T/held.err")"
wait_exit "$heldctl" "$(tmo 10)" || fail "write --sync did not return after the stall"
[ "$EXIT_CODE" = 0 ] || fail "write --sync after the stall: $(tail -n 2 "$T/ctl.err")"
seq=$(cut -d ' ' -f 1 "$T/held")
assert_eq "ACK after the stall" "$seq held 1" "$(cat "$T/held")"
[ "$(header_field durable_seq)" -ge "$seq" ] ||
    fail "ACKed seq $seq, but the header's durable_seq is $(header_field durable_seq)"
why=$(check_order) || fail "after the stall: $why"
stop_daemon
