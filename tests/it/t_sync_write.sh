#!/bin/bash
# mmlogctl write --sync: succeeds only once the entry is durable, and says
# which seq it got; the daemon's durable cursor (mmlogctl status, and the
# ring header itself) is at or beyond that seq by the time it returns.
# Plain writes from arguments and from stdin lines land too.
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 1M --sync-interval 60000
# Something not yet durable, so that the sync has work to do.
loadgen -t pre -n 20 2>"$T/lg.err" || fail "loadgen: $(cat "$T/lg.err")"

ctl --socket "$SOCK" write --sync -t synctag hello >"$T/write.out" ||
    fail "write --sync failed: $(tail -n 3 "$T/ctl.err")"
seq=$(grep -Eo '[0-9]+' "$T/write.out" | tail -n 1)
[ -n "$seq" ] || fail "write --sync printed no seq: '$(cat "$T/write.out")'"
assert_eq "seq of the synced entry" 21 "$seq"
# The header's durable cursor was persisted before the ACK.
durable=$(header_field durable_seq)
[ "$durable" -ge "$seq" ] ||
    fail "header durable_seq $durable < acknowledged seq $seq"

ctl --socket "$SOCK" --file "$RING" status >"$T/status" ||
    fail "status failed: $(tail -n 3 "$T/ctl.err")"
ctl --socket "$SOCK" --file "$RING" status -o json >"$T/status.json" ||
    fail "status -o json failed: $(tail -n 3 "$T/ctl.err")"
sdur=$(json_fields durable_seq <"$T/status.json" | head -n 1)
[ "$sdur" != "-" ] || sdur=$(json_fields DURABLE_SEQ <"$T/status.json" | head -n 1)
case $sdur in
''|-|*[!0-9]*) fail "status -o json has no durable_seq: $(cat "$T/status.json")" ;;
esac
[ "$sdur" -ge "$seq" ] || fail "status durable_seq $sdur < $seq"
# How long the disk took to sync: the last, a moving average, the most.
for k in sync_usec_last sync_usec_avg sync_usec_max; do
	v=$(json_fields "$k" <"$T/status.json" | head -n 1)
	case $v in
	''|-|*[!0-9]*) fail "status -o json has no $k: $(cat "$T/status.json")" ;;
	esac
	eval "$k=$v"
done
# shellcheck disable=SC2154
[ "$sync_usec_last" -gt 0 ] && [ "$sync_usec_avg" -gt 0 ] &&
    [ "$sync_usec_last" -le "$sync_usec_max" ] &&
    [ "$sync_usec_avg" -le "$sync_usec_max" ] ||
    fail "sync latency: last $sync_usec_last avg $sync_usec_avg max $sync_usec_max"

# Plain writes: arguments, then stdin lines (like logger).
ctl --socket "$SOCK" write -p err -t argtag one two ||
    fail "write with arguments failed: $(tail -n 3 "$T/ctl.err")"
printf 'line 1\nline 2\nline 3\n' |
    ctl --socket "$SOCK" write -t stdintag ||
    fail "write from stdin failed: $(tail -n 3 "$T/ctl.err")"
ctl --socket "$SOCK" write --sync -t synctag bye >/dev/null ||
    fail "second write --sync failed"

entries >"$T/shown" || exit 1
awk -F '\t' '$1 > 20' "$T/shown" | cut -f 1,2,3,5 >"$T/got"
printf '21\t5\tsynctag\thello\n22\t3\targtag\tone two\n23\t5\tstdintag\tline 1\n24\t5\tstdintag\tline 2\n25\t5\tstdintag\tline 3\n26\t5\tsynctag\tbye\n' >"$T/want"
cmp -s "$T/got" "$T/want" ||
    fail "written entries: $(diff "$T/want" "$T/got" | head -n 8)"
stop_daemon
