#!/bin/bash
# journald's real clients, which know only /run/systemd/journal/socket and
# /run/systemd/journal/stdout: in a mount namespace with a tmpfs over
# /run/systemd, those paths are links to mmlogd's --journal-socket and
# --stdout-socket (../shared/recipes/journald-in-a-namespace.md).
#   - systemd-cat: the pid of the program it runs, its identifier, the
#     priority, <N> level prefixes, _TRANSPORT=stdout, a _STREAM_ID;
#   - logger --journald: fields as sent (a client's _PID dropped), the
#     sender's pid, _TRANSPORT=journal; a 10 MB entry, which libsystemd
#     sends as a sealed memfd, stored cut with MMLOG_ORIGINAL_SIZE;
#   - a line longer than --max-entry is stored cut and counted, a line
#     longer than journald's LineMax= (48 KiB) split, as journald does.
. "$(dirname "$0")/lib.sh"

need_ctl
JS=$T/journal.sock
SS=$T/stdout.sock
start_daemon --size 8M --max-entry 2048 --journal-socket "$JS" \
    --stdout-socket "$SS"
assert_eq "journal socket mode" 666 "$(stat -c %a "$JS")"
assert_eq "stdout socket mode" 666 "$(stat -c %a "$SS")"
head -c 10000000 /dev/zero | tr '\0' 'z' >"$T/bigval"
{ head -c 3000 /dev/zero | tr '\0' 'l'; echo; } >"$T/line3k"
{ head -c 60000 /dev/zero | tr '\0' 'L'; echo; } >"$T/line60k"

unshare -m --propagation private bash -c '
	T=$1
	mount -t tmpfs -o mode=0755 tmpfs /run/systemd || exit 1
	mkdir -p /run/systemd/journal
	ln -s "$2" /run/systemd/journal/socket
	ln -s "$3" /run/systemd/journal/stdout
	# It lives on a while: its comm is read when its lines come.
	systemd-cat -t catty -p warning sh -c "echo \"pid \$\$\"; \
	    echo \"<2>crit from \$\$\"; sleep 1" || exit 1
	systemd-cat -t longline cat "$T/line3k" "$T/line60k" || exit 1
	printf "MESSAGE=from logger\nSYSLOG_IDENTIFIER=lj\nPRIORITY=3\n%s\n%s\n" \
	    "SYSLOG_FACILITY=10" "CUSTOM_FIELD=custom value" | logger --journald ||
	    exit 1
	printf "MESSAGE=not me\nSYSLOG_IDENTIFIER=lj2\n_PID=1\n" | logger --journald ||
	    exit 1
	{ printf "SYSLOG_IDENTIFIER=ljbig\nMESSAGE="; cat "$T/bigval"; echo; } |
	    logger --journald || exit 1
' bash "$T" "$JS" "$SS" >"$T/ns.out" 2>"$T/ns.err" ||
    fail "clients in the namespace: $(cat "$T/ns.err")"
wait_for "$(tmo 10)" eval '[ "$(stats_field stdout_entries)" = 5 ] &&
    [ "$(stats_field journal_entries)" = 3 ]' ||
    fail "entries: stdout $(stats_field stdout_entries) of 5," \
    "journal $(stats_field journal_entries) of 3"

ctl --file "$RING" show -o json >"$T/all.json" || fail "show -o json"
tag() { grep "\"SYSLOG_IDENTIFIER\":\"$1\"" "$T/all.json"; }
# systemd-cat: the shell it ran is the sender, and says its pid.
tag catty | json_fields PRIORITY _PID _TRANSPORT MESSAGE _COMM >"$T/catty"
spid=$(sed -n '1s/.*\tpid \([0-9]*\)\t.*/\1/p' "$T/catty")
[ -n "$spid" ] || fail "systemd-cat: $(cat "$T/catty")"
assert_eq "systemd-cat, entries" "4	$spid	stdout	pid $spid	sh
2	$spid	stdout	crit from $spid	sh" "$(cat "$T/catty")"
[ "$(tag catty | json_fields _STREAM_ID | sort -u | wc -l)" = 1 ] ||
    fail "one stream, one _STREAM_ID"
tag catty | json_fields _STREAM_ID | head -n 1 | grep -Eq '^[0-9a-f]{32}$' ||
    fail "_STREAM_ID: $(tag catty | json_fields _STREAM_ID)"
# Long lines: 3000 bytes cut to --max-entry; 60000 split at 48 KiB (its
# _LINE_BREAK=line-max counted in the size as sent; mml_ent_fit() keeps
# the message before the fields), each part cut.
tag longline | json_fields MMLOG_ORIGINAL_SIZE >"$T/long"
assert_eq "long lines: their sizes as sent" "3008
49184
10856" "$(cat "$T/long")"
assert_eq "stdout entries cut" 3 "$(stats_field stdout_truncated)"
# logger --journald.
tag lj | json_fields PRIORITY SYSLOG_FACILITY CUSTOM_FIELD _TRANSPORT _COMM \
    MESSAGE >"$T/lj"
# logger may be gone before its comm is read (/proc): "-" then.
assert_eq "logger --journald" "3	10	custom value	journal	logger	from logger" \
    "$(sed 's/\t-\t/\tlogger\t/' "$T/lj")"
# The kernel's pid of logger, not the _PID=1 it sent.
assert_eq "logger's _PID=1 dropped" "1" \
    "$(tag lj2 | json_fields _PID | awk '$1 > 1 { print 1 }')"
assert_eq "the 10 MB entry (a memfd): its size as sent" 10000005 \
    "$(tag ljbig | json_fields MMLOG_ORIGINAL_SIZE)"
assert_eq "journal entries cut" 1 "$(stats_field journal_truncated)"
assert_eq "no peer error" "0 0" \
    "$(stats_field journal_errors) $(stats_field stdout_errors)"
stop_daemon
note "systemd-cat (pid, tag, priority, <N>, long lines) and logger --journald (fields, memfd) right"
exit 0
