#!/bin/bash
# Long options match by their whole name only, in every tool: each
# abbreviation getopt used to take for a long option of mmlogctl (per
# command), mmlog-forward and mmlogd is now a usage error (exit 2),
# unless it became an option of its own, which then does what it is
# documented to do: `show --cursor C` starts at C (it was --cursor-file,
# which created a file named C), `write --id=1234` keeps the id and the
# tag (it was --identifier), `write --file F` logs F (it was the ring's
# path).  Then show's journalctl options: -n without a number, -e,
# --cursor, -- No entries --, -q, --since after --until, the time
# formats of systemd.time(7), -g with PCRE2 and its case rules, the
# output formats, --utc, --no-hostname, -x, -b and --list-boots.
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 1M

# The long options as they were before (main.c's table of the time), and
# the unique prefixes getopt_long took for them.  Under a sanitizer
# (IT_SLOW > 1) each start costs a tenth of a second, so only the shortest
# prefix of each option is tried: the parser takes the same path for all
# of an option's prefixes, and the plain build tries every one.
old_ctl="file socket help version priority tag identifier sync field lines
follow since until pid uid grep after-cursor cursor-file show-cursor reverse
output no-pager"
prefixes() {
	local names=$1 o p i
	for o in $names; do
		for ((i = 2; i < ${#o}; i++)); do
			p=${o:0:i}
			# Unique among the names, and not a name itself.
			if [ "$(printf '%s\n' $names | grep -c "^$p")" = 1 ]; then
				echo "$p"
				[ "$IT_SLOW" -gt 1 ] && break
			fi
		done
	done
}
# Now options of their own (checked for what they do, below).
became() {
	case "$1:$2" in
	show:cursor|write:id|show:field|write:field) return 0 ;;
	esac
	return 1
}
n_abbr=0
for cmd in show write status dump; do
	for p in $(prefixes "$old_ctl"); do
		became "$cmd" "$p" && continue
		# Both forms for show; "--p=x" is enough for the others.
		forms="--$p=x"
		[ "$cmd" = show ] && forms="--$p=x --$p"
		for form in $forms; do
			"$MMLOGCTL" --file "$RING" "$cmd" $form x </dev/null >"$T/a.out" 2>"$T/a.err"
			rc=$?
			[ "$rc" = 2 ] || fail "mmlogctl $cmd $form x: exit $rc, expected 2 ($(head -c 200 "$T/a.err"))"
			[ -s "$T/a.out" ] && fail "mmlogctl $cmd $form: output on stdout"
			n_abbr=$((n_abbr + 1))
		done
	done
done
# Before the command, too.
"$MMLOGCTL" --fil "$RING" show >/dev/null 2>&1
assert_eq "mmlogctl --fil RING show" 2 "$?"
note "mmlogctl: $n_abbr abbreviations refused"

# mmlogd and mmlog-forward: the names their --help lists.
for prog in mmlogd mmlog-forward; do
	names=$("$IT_BUILD/$prog" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sed 's/^--//' | sort -u | tr '\n' ' ')
	[ -n "$names" ] || fail "$prog --help lists no option"
	k=0
	for p in $(prefixes "$names"); do
		timeout -k 2 "$(tmo 10)" "$IT_BUILD/$prog" "--$p=1" </dev/null >"$T/a.out" 2>"$T/a.err"
		rc=$?
		[ "$rc" = 2 ] || fail "$prog --$p=1: exit $rc, expected 2 ($(head -c 200 "$T/a.err"))"
		k=$((k + 1))
	done
	[ "$k" -gt 5 ] || fail "$prog: only $k abbreviations tried"
	note "$prog: $k abbreviations refused"
done

# What the abbreviations of the past now are.
ctl write -t first "entry one" || fail "write"
ctl write -t second "entry two" || fail "write"
ctl write -t third "entry three" || fail "write"
cur2=$(ctl --file "$RING" show -o json SYSLOG_IDENTIFIER=second | json_fields __CURSOR)
cd "$T" || fail "cd"
assert_eq "show --cursor C: from C on" "entry two entry three " \
    "$(ctl --file "$RING" show --cursor "$cur2" -o cat | tr '\n' ' ')"
assert_eq "show -c C" "entry two entry three " \
    "$(ctl --file "$RING" show -c "$cur2" -o cat | tr '\n' ' ')"
assert_eq "show --after-cursor C: after C" "entry three " \
    "$(ctl --file "$RING" show --after-cursor "$cur2" -o cat | tr '\n' ' ')"
[ -e "$T/$cur2" ] && fail "--cursor created a file named after the cursor"
ctl write --id=1234 "with an id" || fail "write --id"
assert_eq "write --id=1234: the tag is not the id; MMLOG_ID is" \
    "$(printf '%s\t1234' "${USER:-mmlogctl}")" \
    "$(ctl --file "$RING" show -n 1 -o json | json_fields SYSLOG_IDENTIFIER MMLOG_ID)"
printf 'from a file\n' >"$T/input"
ctl write -t fromfile --file "$T/input" || fail "write --file"
assert_eq "write --file F logs F" "from a file" \
    "$(ctl --file "$RING" show -n 1 -t fromfile -o cat)"
cd / || fail "cd"

# -n without a number is 10; -n takes the next word only if it is one.
for i in $(seq 1 12); do echo "line $i"; done | ctl write -t many || fail "write"
assert_eq "show -n" 10 "$(ctl --file "$RING" show -n -t many | wc -l)"
assert_eq "show --lines" 10 "$(ctl --file "$RING" show --lines -t many | wc -l)"
assert_eq "show -n 3" 3 "$(ctl --file "$RING" show -n 3 -t many | wc -l)"
assert_eq "show -n +2" 2 "$(ctl --file "$RING" show -n +2 -t many | wc -l)"
assert_eq "show --lines 4" 4 "$(ctl --file "$RING" show --lines 4 -t many | wc -l)"
assert_eq "show -n SYSLOG_IDENTIFIER=many: 10 of them" 10 \
    "$(ctl --file "$RING" show -n SYSLOG_IDENTIFIER=many | wc -l)"
# -e: -n 1000 unless -n says otherwise.
seq 1 1100 | ctl write -t lots || fail "write"
assert_eq "show -e" 1000 "$(ctl --file "$RING" show -e --no-pager | wc -l)"
assert_eq "show -e -n 5" 5 "$(ctl --file "$RING" show -e -n 5 --no-pager | wc -l)"
assert_eq "show -e -n all" "$(ctl --file "$RING" show | wc -l)" \
    "$(ctl --file "$RING" show -e -n all --no-pager | wc -l)"

# Nothing selected.
assert_eq "-- No entries --" "-- No entries --" "$(ctl --file "$RING" show -t nosuch)"
assert_eq "-q: nothing" "" "$(ctl --file "$RING" show -q -t nosuch)"
assert_eq "-o json: nothing" "" "$(ctl --file "$RING" show -o json -t nosuch)"
assert_eq "-o cat" "-- No entries --" "$(ctl --file "$RING" show -o cat -t nosuch)"

# Usage errors.
expect2() {
	"$MMLOGCTL" --file "$RING" "$@" >"$T/u.out" 2>"$T/u.err"
	rc=$?
	[ "$rc" = 2 ] || fail "mmlogctl $*: exit $rc, expected 2 ($(cat "$T/u.err"))"
	[ -s "$T/u.err" ] || fail "mmlogctl $*: no message"
}
expect2 show --since 2030-01-02 --until 2030-01-01
expect2 show --since now --until '1h ago'
expect2 show -F lower
expect2 show -F COLOR -N
expect2 show --case-sensitive=maybe -g x
expect2 show -g '(' 
expect2 show --output-fields=lower
expect2 show -o nonsense
expect2 show --cursor 's=1;i=2'
expect2 show --cursor x --after-cursor y
# -b and --list-boots: one boot here (t_boot tests more): -b, -b 0 and
# --boot are it; -b -1 is no boot (exit 1, saying so).
for a in "-b" "-b 0" "--boot" "-b 1" "--boot=+1"; do
	# shellcheck disable=SC2086
	assert_eq "show $a: as no -b" "$(ctl --file "$RING" show | wc -l)" \
	    "$("$MMLOGCTL" --file "$RING" show $a | wc -l)"
done
for a in "-b -1" "--boot=-1" "-b 2"; do
	# shellcheck disable=SC2086
	"$MMLOGCTL" --file "$RING" show $a >"$T/b.out" 2>"$T/b.err"
	rc=$?
	assert_eq "show $a: exit status" 1 "$rc"
	grep -q "no such boot" "$T/b.err" || fail "show $a: $(cat "$T/b.err")"
done
assert_eq "--list-boots: one boot" 2 "$(ctl --file "$RING" show --list-boots | wc -l)"
assert_eq "-b all: as no -b" "$(ctl --file "$RING" show | wc -l)" \
    "$(ctl --file "$RING" show -b all | wc -l)"
# Accepted: -x, --no-hostname, --utc.
ctl --file "$RING" show -x -n 1 >/dev/null || fail "-x"
h=$(hostname)
ctl --file "$RING" show -n 1 -t first | grep -q " $h first\[" || fail "short: no host name"
ctl --file "$RING" show -n 1 -t first --no-hostname | grep -q " $h " &&
    fail "--no-hostname: the host name is there"

# The output formats, on one entry of a known time.
ctl --file "$RING" show -o json -t first >"$T/e.json"
rt=$(json_fields __REALTIME_TIMESTAMP <"$T/e.json")
mt=$(json_fields __MONOTONIC_TIMESTAMP <"$T/e.json")
pid=$(json_fields _PID <"$T/e.json")
s=$((rt / 1000000))
us=$(printf '%06d' $((rt % 1000000)))
fmt() { ctl --file "$RING" show -t first --no-hostname "$@"; }
assert_eq "short-unix" "$s.$us first[$pid]: entry one" "$(fmt -o short-unix)"
assert_eq "short-monotonic" "$(printf '[%5d.%06d]' $((mt / 1000000)) $((mt % 1000000))) first[$pid]: entry one" \
    "$(fmt -o short-monotonic)"
assert_eq "short-full --utc" "$(TZ=UTC date -d "@$s" '+%a %Y-%m-%d %H:%M:%S UTC') first[$pid]: entry one" \
    "$(fmt -o short-full --utc)"
assert_eq "short-full" "$(date -d "@$s" '+%a %Y-%m-%d %H:%M:%S %Z') first[$pid]: entry one" \
    "$(fmt -o short-full)"
assert_eq "with-unit (no unit: the tag)" "$(fmt -o short-full)" "$(fmt -o with-unit)"
assert_eq "short --utc" "$(TZ=UTC date -d "@$s" '+%b %d %H:%M:%S') first[$pid]: entry one" \
    "$(fmt --utc)"
assert_eq "short-iso-precise --utc" "$(TZ=UTC date -d "@$s" '+%Y-%m-%dT%H:%M:%S').$us+00:00 first[$pid]: entry one" \
    "$(fmt -o short-iso-precise --utc)"
assert_eq "json-seq" "$(printf '\036')$(cat "$T/e.json")" "$(fmt -o json-seq)"
assert_eq "--output-fields, json" "__CURSOR __REALTIME_TIMESTAMP __MONOTONIC_TIMESTAMP __SEQNUM _BOOT_ID MESSAGE" \
    "$(fmt -o json --output-fields=MESSAGE | grep -o '"[A-Z_]*":' | tr -d '":' | tr '\n' ' ' | sed 's/ $//')"
assert_eq "--output-fields, cat" "$(printf 'first\n%s' "$pid")" \
    "$(fmt -o cat --output-fields=_PID,SYSLOG_IDENTIFIER)"
assert_eq "--output-fields, verbose" 2 "$(fmt -o verbose --output-fields=MESSAGE | wc -l)"
# short-full's times are ones --since takes back.
t_full=$(fmt -o short-full | sed 's/ first\[.*//')
assert_eq "--since \"\$(short-full)\"" "entry one" \
    "$(ctl --file "$RING" show --since "$t_full" -t first -o cat)"

# systemd.time(7)'s forms, each against date(1)'s reading of the same.
tsel() { ctl --file "$RING" show -q -t first -o cat --since "$1" 2>/dev/null; }
day=$(date -d "@$s" +%F)
wday=$(date -d "@$s" +%a)
other=$(date -d "@$((s + 86400))" +%a)
assert_eq "--since 'WEEKDAY DATE'" "entry one" "$(tsel "$wday $day")"
assert_eq "--since 'Weekday DATE', long and any case" "entry one" \
    "$(tsel "$(date -d "@$s" +%A | tr a-z A-Z) $day")"
"$MMLOGCTL" --file "$RING" show --since "$other $day" >/dev/null 2>&1
assert_eq "--since with the wrong weekday" 2 "$?"
assert_eq "--since 'DATE HH:MM:SS.FRACTION UTC'" "entry one" \
    "$(tsel "$(TZ=UTC date -d "@$s" '+%F %T').$us UTC")"
assert_eq "--since just after it (fraction)" "" \
    "$(tsel "$(TZ=UTC date -d "@$s" '+%F %T').$(printf '%06d' $(( rt % 1000000 + 1 ))) UTC")"
assert_eq "--since YY-MM-DD" "entry one" "$(tsel "$(date -d "@$s" +%y-%m-%d)")"
assert_eq "--since today" "entry one" "$(tsel today)"
assert_eq "--since 'today UTC'" "$( [ "$s" -ge "$(TZ=UTC date -d 'today 00:00' +%s)" ] && echo 'entry one')" \
    "$(tsel 'today UTC')"
assert_eq "--since yesterday" "entry one" "$(tsel yesterday)"
assert_eq "--since tomorrow" "" "$(tsel tomorrow)"
assert_eq "--since '5min ago'" "entry one" "$(tsel '5min ago')"
assert_eq "--since '1 h 30 min ago'" "entry one" "$(tsel '1 h 30 min ago')"
assert_eq "--since -1.5h" "entry one" "$(tsel -1.5h)"
assert_eq "--since '+1min'" "" "$(tsel +1min)"
assert_eq "--since '10 min left'" "" "$(tsel '10 min left')"
assert_eq "--since @EPOCH.FRACTION" "entry one" "$(tsel "@$s.$us")"
assert_eq "--since @EPOCH.FRACTION + 1 us" "" "$(tsel "@$s.$(printf '%06d' $((rt % 1000000 + 1)))")"
assert_eq "--since HH:MM" "$( [ "$(date -d "$(date -d "@$s" +%H:%M)" +%s)" -le "$s" ] && echo 'entry one')" \
    "$(tsel "$(date -d "@$s" +%H:%M)")"
for bad in "2012-11-23T11:12:13" "69-01-01" "Fri" "today 11:12" "5 parsecs ago" "1.2.3s" "2012-11-23 11:12:13." "@"; do
	"$MMLOGCTL" --file "$RING" show --since "$bad" >/dev/null 2>&1
	assert_eq "--since '$bad' (as systemd refuses it)" 2 "$?"
done

# -g: PCRE2, ignoring case unless the pattern has a capital.
ctl write -t g "Error 42 in Module" || fail "write"
ctl write -t g "error without digits" || fail "write"
gsel() { ctl --file "$RING" show -t g -o cat "$@" | tr '\n' '|'; }
assert_eq "-g '\\d'" "Error 42 in Module|" "$(gsel -g '\d')"
assert_eq "-g '\\d{2}'" "Error 42 in Module|" "$(gsel -g '\d{2}')"
assert_eq "-g error (no capital: caseless)" "Error 42 in Module|error without digits|" "$(gsel -g error)"
assert_eq "-g Error (a capital: exact)" "Error 42 in Module|" "$(gsel -g Error)"
assert_eq "-g '\\D+s\$' (\\D is a capital, as journalctl sees it)" "error without digits|" "$(gsel -g 'T\D+s$' --case-sensitive=no)"
assert_eq "--case-sensitive -g error" "error without digits|" "$(gsel --case-sensitive -g error)"
assert_eq "--case-sensitive=no -g ERROR" "Error 42 in Module|error without digits|" \
    "$(gsel --case-sensitive=no -g ERROR)"
assert_eq "-g (?i) in the pattern" "Error 42 in Module|error without digits|" "$(gsel -g '(?i)ERROR')"
assert_eq "-g with -n: newest first" "error without digits|Error 42 in Module|" "$(gsel -g rr -n 2)"
stop_daemon
