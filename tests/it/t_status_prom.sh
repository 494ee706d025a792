#!/bin/bash
# mmlogctl status -o prometheus: the Prometheus text format, every line
# well-formed (HELP and TYPE once per metric and before its samples,
# names and labels as the format allows, values numbers), the metric
# names stable, the values those of the ring and of the daemon's
# counters; a daemon that does not answer is mmlogd_up 0 and the ring's
# metrics are still there; and the file node_exporter's textfile
# collector reads can be written atomically from it.
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 1M
loadgen -t p -n 25 >/dev/null 2>"$T/lg.err" || fail "loadgen: $(cat "$T/lg.err")"
ctl write --sync -t p "last" >/dev/null || fail "write"

# wellformed FILE: the text format's grammar, and its rules on families.
wellformed() {
	awk '
	function fail(why) { print "line " NR ": " why ": " $0; bad = 1; exit 1 }
	/^# HELP / {
		if ($3 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) fail("bad name")
		if (help[$3]++) fail("second HELP")
		if (seen[$3]) fail("HELP after samples")
		next
	}
	/^# TYPE / {
		if (NF != 4 || $4 !~ /^(counter|gauge|untyped|summary|histogram)$/) fail("bad TYPE")
		if (type[$3]) fail("second TYPE")
		if (seen[$3]) fail("TYPE after samples")
		type[$3] = $4
		if ($4 == "counter" && $3 !~ /_total$/) fail("a counter not named _total")
		next
	}
	/^#/ { next }
	{
		if (!match($0, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) fail("no name")
		name = substr($0, 1, RLENGTH)
		rest = substr($0, RLENGTH + 1)
		if (substr(rest, 1, 1) == "{") {
			if (!match(rest, /^\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\}/))
				fail("bad labels")
			rest = substr(rest, RLENGTH + 1)
		}
		if (rest !~ /^ (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[-+]Inf)$/) fail("bad value")
		if (!type[name]) fail("no TYPE before the sample")
		if (last != name && seen[name]) fail("samples of a metric apart")
		seen[name] = 1
		last = name
		n++
	}
	END { if (!bad && n < 10) { print "only " n " samples"; exit 1 } }' "$1"
}
value() { awk -v n="$1" '$1 == n { print $2 }' "$T/p"; }

ctl --file "$RING" status -o prometheus >"$T/p" || fail "status -o prometheus"
wellformed "$T/p" >"$T/why" || fail "not the text format: $(cat "$T/why")"
ctl --file "$RING" status -o json >"$T/j" || fail "status -o json"
assert_eq "mmlogd_up" 1 "$(value mmlogd_up)"
assert_eq "mmlogd_ring_entries" 26 "$(value mmlogd_ring_entries)"
assert_eq "mmlogd_ring_head_seq" 27 "$(value mmlogd_ring_head_seq)"
assert_eq "mmlogd_ring_capacity_bytes" 1048576 "$(value mmlogd_ring_capacity_bytes)"
assert_eq "mmlogd_ring_entries_written_total" 26 "$(value mmlogd_ring_entries_written_total)"
assert_eq "mmlogd_entries_total" 26 "$(value mmlogd_entries_total)"
assert_eq "mmlogd_process_id" "$DPID" "$(value mmlogd_process_id)"
assert_eq "mmlogd_durable_seq" 26 "$(value mmlogd_durable_seq)"
assert_eq "mmlogd_ring_chain_intact" 1 "$(value mmlogd_ring_chain_intact)"
assert_eq "mmlogd_sync_failing" 0 "$(value mmlogd_sync_failing)"
[ "$(value mmlogd_syncs_total)" -ge 1 ] || fail "mmlogd_syncs_total: $(value mmlogd_syncs_total)"
grep -q '^mmlogd_ring_info{path="'"$RING"'",ring_id="[0-9a-f]\{32\}",version="1"} 1$' "$T/p" ||
    fail "mmlogd_ring_info: $(grep ring_info "$T/p")"
# Every metric's name stays as documented in mmlogctl(1).
for m in mmlogd_up mmlogd_ring_used_bytes mmlogd_ring_durable_seq \
    mmlogd_ring_newest_entry_timestamp_seconds mmlogd_ring_entries_overwritten_total \
    mmlogd_clients mmlogd_bad_frames_total mmlogd_sync_last_seconds \
    mmlogd_rate_suppressed_total mmlogd_append_errors_total; do
	grep -q "^# TYPE $m " "$T/p" || fail "no metric $m"
done
# A label value with a quote, a backslash and a newline is escaped.
weird="$T/a\"b\\c"
cp "$RING" "$weird"
ctl --file "$weird" status -o prometheus >"$T/p2" || fail "status of $weird"
wellformed "$T/p2" >"$T/why" || fail "escaping: $(cat "$T/why")"

# node_exporter's textfile collector: a .prom file replaced atomically.
mkdir "$T/textfile"
ctl --file "$RING" status -o prometheus >"$T/textfile/mmlogd.prom.$$" &&
    mv "$T/textfile/mmlogd.prom.$$" "$T/textfile/mmlogd.prom" || fail "textfile"
wellformed "$T/textfile/mmlogd.prom" >/dev/null || fail "textfile not well-formed"

stop_daemon
ctl --file "$RING" status -o prometheus >"$T/p" || fail "status -o prometheus, no daemon"
wellformed "$T/p" >"$T/why" || fail "no daemon: $(cat "$T/why")"
assert_eq "mmlogd_up without a daemon" 0 "$(value mmlogd_up)"
assert_eq "the ring's metrics without a daemon" 26 "$(value mmlogd_ring_entries)"
"$MMLOGCTL" --file "$RING" status -o nonsense >/dev/null 2>&1
assert_eq "status -o nonsense" 2 "$?"
