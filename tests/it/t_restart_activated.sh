#!/bin/bash
# A restart under socket activation loses no entry.  The listening socket
# belongs to a stand-in for systemd (it/sockhold) that starts mmlogd with
# it (LISTEN_FDS) and starts it again after it exits, as Restart= does.
# Clients write while the daemon is stopped with SIGTERM, and while it is
# down (held down by a gate file, their connections and entries wait in
# the socket's queue), and it is started again, twice.  Afterwards every
# client's entries are in the ring exactly once, in order, every
# acknowledged sequence number holds the acknowledged message, numbering
# has no gap, and no client dropped anything.
. "$(dirname "$0")/lib.sh"

GATE=$T/gate
DERR=$LOGS/mmlogd.err
"$HELPERS/sockhold" "$SOCK" "$GATE" "$MMLOGD" --socket "$T/unused.sock" \
    --file "$RING" --size 16M >"$T/hold.out" 2>"$DERR" </dev/null &
HPID=$!
track $HPID
daemon_pid() { awk '$1 == "start" { p = $2 } END { print p }' "$T/hold.out"; }
ready_n() { [ "$(grep -c ' ready: ' "$DERR")" -ge "$1" ]; }
exits_n() { [ "$(grep -c '^exit ' "$T/hold.out")" -ge "$1" ]; }
wait_for "$(tmo 20)" ready_n 1 || fail "first mmlogd not ready"
grep -q '(from systemd)' "$DERR" || fail "mmlogd did not take the passed socket"

LG=
writer() {	# writer TAG COUNT [-a]: a client in the background
	loadgen -t "$1" -n "$2" ${3:-} >"$T/out.$1" 2>"$T/err.$1" &
	LG="$LG $!:$1"
}
# Two clients that write through the restarts.
writer long 40000
writer longack 1500 -a
wait_for "$(tmo 10)" test -s "$T/out.longack" || fail "no ACK from the first daemon"

for round in 1 2; do
	touch "$GATE"
	kill -TERM "$(daemon_pid)"
	wait_for "$(tmo 20)" exits_n $round || fail "mmlogd did not stop (round $round)"
	grep -q "^exit $(daemon_pid) 0$" "$T/hold.out" ||
	    fail "mmlogd did not exit 0: $(tail -n 1 "$T/hold.out")"
	# New clients while no daemon runs: they connect and queue.
	writer "down$round" 2000
	writer "downack$round" 300 -a
	sleep 0.5
	rm -f "$GATE"
	wait_for "$(tmo 20)" ready_n $((round + 1)) || fail "mmlogd not ready again (round $round)"
done
note "restarted twice; $(grep -c ' ready: ' "$DERR") daemons"

for p in $LG; do
	pid=${p%%:*}
	tag=${p#*:}
	wait "$pid" || fail "client $tag failed: $(cat "$T/err.$tag")"
done
touch "$GATE"
kill -TERM "$(daemon_pid)"
wait_for "$(tmo 20)" exits_n 3 || fail "last mmlogd did not stop"

entries >"$T/shown" || exit 1
range=$(check_gapless "$T/shown") || fail "numbering: $range"
note "entries: $range"
awk -F '\t' '$3 == "mmlogd"' "$T/shown" >"$T/notes"
[ -s "$T/notes" ] && fail "the daemon noted a loss: $(head -n 3 "$T/notes")"
for p in $LG; do
	tag=${p#*:}
	case $tag in
	long) n=40000 ;; longack) n=1500 ;; down?) n=2000 ;; downack?) n=300 ;;
	esac
	awk -F '\t' -v t="$tag" '$3 == t { print $5 }' "$T/shown" >"$T/got.$tag"
	seq "$n" | sed "s/^/$tag /" | cmp -s - "$T/got.$tag" ||
	    fail "client $tag: $(wc -l <"$T/got.$tag") of $n entries, or not in order"
	case $tag in *ack*)
		assert_eq "ACKs of $tag" "$n" "$(wc -l <"$T/out.$tag")"
		# Each acknowledged seq holds the acknowledged message.
		awk -F '\t' -v t="$tag" '$3 == t { print $1 " " $5 }' "$T/shown" |
		    cmp -s - "$T/out.$tag" || fail "ACKs of $tag do not match the ring"
	esac
done
