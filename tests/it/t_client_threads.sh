#!/bin/bash
# libmmlogclient under threads and fork().  8 threads write 20,000
# entries each through one handle: every entry is there, once, and each
# thread's entries are in the order it wrote them.  Then fork(), twenty
# times, while another thread keeps the handle's lock busy: no child
# deadlocks, and every entry carries the pid of the process that wrote
# it (the child connects as itself).
. "$(dirname "$0")/lib.sh"

start_daemon --size 64M
timeout -k 2 "$(tmo 60)" "$HELPERS/clientx" -s "$SOCK" threads 8 20000 \
    2>"$T/thr.err" || fail "clientx threads: $(cat "$T/thr.err")"
entries >"$T/shown" || exit 1
range=$(check_gapless "$T/shown") || fail "$range"
awk -F '\t' '
$3 != "thr" { print "stray entry:", $0; bad = 1; exit 1 }
{
	split($5, w, " "); k = w[1]; i = w[2] + 0
	if (i != last[k] + 1) {
		printf "%s: entry %d follows %d\n", k, i, last[k]; bad = 1; exit 1
	}
	last[k] = i; n++
}
END {
	if (bad) exit 1
	for (t = 0; t < 8; t++)
		if (last["t" t] != 20000) { printf "t%d ends at %d\n", t, last["t" t]; exit 1 }
	if (n != 160000) { print n, "entries"; exit 1 }
}' "$T/shown" >"$T/why" || fail "$(cat "$T/why")"
note "threads: 160000 entries, per-thread order kept"

# fork(): a separate ring, so that the checks see only these entries.
stop_daemon
rm -f "$RING"
start_daemon --size 8M
timeout -k 2 "$(tmo 60)" "$HELPERS/clientx" -s "$SOCK" fork 500 \
    >"$T/fork.out" 2>"$T/fork.err" ||
    fail "clientx fork (deadlock?): $(cat "$T/fork.err")"
ppid=$(awk '$1 == "parent" { print $2 }' "$T/fork.out")
cpid=$(awk '$1 == "child" { print $2 }' "$T/fork.out")
[ -n "$ppid" ] && [ -n "$cpid" ] || fail "no pids: $(cat "$T/fork.out")"
entries >"$T/shown" || exit 1
awk -F '\t' -v pp="$ppid" -v cp="$cpid" '
$5 ~ /^parent / { if ($4 != pp) { print "parent entry with pid", $4; exit 1 }
	split($5, w, " "); if (w[2] != ++np) { print "parent order:", $5; exit 1 } }
$5 ~ /^child / { if ($4 != cp) { print "child entry with pid", $4, "not", cp; exit 1 }
	split($5, w, " "); if (w[2] != ++nc) { print "child order:", $5; exit 1 } }
$5 ~ /^pre / && $4 != pp { print "pre entry with pid", $4; exit 1 }
$5 == "probe" { if ($4 == pp) { print "probe with the parent pid"; exit 1 }; probes++ }
$5 ~ /^busy / && $4 != pp { print "busy entry with pid", $4; exit 1 }
END {
	if (np != 500 || nc != 500) { print "parent", np, "child", nc; exit 1 }
	if (probes != 19) { print probes, "probes of 19"; exit 1 }
}' "$T/shown" >"$T/why" || fail "$(cat "$T/why")"
note "fork: parent $ppid and child $cpid entries each with their own pid"
stop_daemon
