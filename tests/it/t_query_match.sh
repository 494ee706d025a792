#!/bin/bash
# mmlogctl show's journalctl matches and field listings against a ring
# whose every entry the test wrote and knows: FIELD=VALUE (same field:
# either; other fields: both; "+" between groups), -u (OBJECT_SYSTEMD_UNIT
# from uid 0, UNIT only from pid 1; globs), -k, -F, -N exactly, and -o
# verbose, the sender's trusted metadata among the fields.  Each is
# compared with journalctl --file on the same entries
# exported and imported by systemd-journal-remote: the same entries
# selected, the same values and names listed, the same fields in verbose.
. "$(dirname "$0")/lib.sh"

need_ctl
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
JR=/lib/systemd/systemd-journal-remote
HAVE_J=1
if [ ! -x "$JR" ] || ! command -v journalctl >/dev/null; then
	note "systemd-journal-remote or journalctl missing: no comparison with journalctl"
	HAVE_J=0
fi
chmod 755 "$T"
NOBODY=65534

start_daemon --size 1M
# The table: seq tag prio uid fields (space-separated KEY=VALUE) message.
: >"$T/model"
n=0
w() {
	local tag=$1 prio=$2 uid=$3 msg=$4 f args=()
	shift 4
	for f in "$@"; do
		args+=(-F "$f")
	done
	# --sync: the writer lives until its entry is stored, so that the
	# daemon finds its _COMM, _EXE and _CMDLINE (a busy machine may
	# otherwise see it gone).
	if [ "$uid" = 0 ]; then
		ctl write --sync -t "$tag" -p "$prio" "${args[@]}" "$msg" >/dev/null ||
		    fail "write $msg"
	else
		setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		    "$MMLOGCTL" --socket "$SOCK" write --sync -t "$tag" -p "$prio" \
		    "${args[@]}" "$msg" 2>>"$T/ctl.err" >/dev/null ||
		    fail "write as nobody $msg"
	fi
	n=$((n + 1))
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$tag" "$prio" "$uid" "$*" "$msg" >>"$T/model"
}
w web 3 0 "one" COLOR=red SIZE=1
w web 6 0 "two" COLOR=blue SIZE=2
w db 6 0 "three" COLOR=red COLOR=green
w db 4 0 "four" OBJECT_SYSTEMD_UNIT=ssh.service
w db 4 $NOBODY "five" OBJECT_SYSTEMD_UNIT=ssh.service
w db 5 0 "six" UNIT=ssh.service
w cron 6 0 "seven" OBJECT_SYSTEMD_UNIT=cron.service SIZE=2
w cron 6 $NOBODY "eight digits 1234" COLOR=Red
w web 5 0 "nine" SIZE=3 OBJECT_SYSTEMD_UNIT=system.slice
ctl write --sync -t last -p 7 "ten" >/dev/null || fail "write ten"
n=$((n + 1))
printf '%s\tlast\t7\t0\t\tten\n' "$n" >>"$T/model"

show() { ctl --file "$RING" show "$@"; }
seqs() { show "$@" -o json | json_fields __SEQNUM | tr '\n' ' '; }

# check DESC "SEQS" ARGS...: show ARGS selects exactly SEQS.
check() {
	local desc=$1 want=$2 got
	shift 2
	got=$(seqs "$@")
	[ "$got" = "$want" ] ||
	    fail "$desc (show $*): expected seqs '$want', got '$got' ($(tail -n 2 "$T/ctl.err"))"
}
check "one field" "1 3 " COLOR=red
check "same field twice: either" "1 2 3 " COLOR=red COLOR=blue
check "a field with two values" "3 " COLOR=green
check "values are exact (case)" "8 " COLOR=Red
check "two fields: both" "7 " SIZE=2 SYSLOG_IDENTIFIER=cron
check "+ between groups" "1 2 7 8 " SIZE=1 + SYSLOG_IDENTIFIER=cron + COLOR=blue
check "+ with several fields per group" "2 8 " SIZE=2 SYSLOG_IDENTIFIER=web + _UID=$NOBODY COLOR=Red
check "header fields" "2 7 " PRIORITY=6 _UID=0 _GID=0 SIZE=2
check "MESSAGE" "4 " MESSAGE=four
check "no such value" "" COLOR=purple
check "no such field" "" NOSUCH=1
check "matches and -p" "1 " COLOR=red -p err
check "matches and -t" "3 " COLOR=red -t db
check "-u: uid 0's OBJECT_SYSTEMD_UNIT, not nobody's; UNIT= only from pid 1" "4 " -u ssh
check "-u full name" "4 " -u ssh.service
check "-u glob" "4 7 " -u '*.service'
check "-u twice: either" "4 7 " -u ssh -u cron.service
check "-u slice" "9 " -u system.slice
check "-u and a match" "" -u ssh COLOR=red
check "-u and a match (both)" "7 " -u cron SIZE=2
check "-k" "" -k

# -F and -N: exactly the values and names, each once.
assert_eq "-F COLOR" "Red blue green red " "$(show -F COLOR | LC_ALL=C sort | tr '\n' ' ')"
assert_eq "-F SYSLOG_IDENTIFIER" "cron db last web " \
    "$(show -F SYSLOG_IDENTIFIER | LC_ALL=C sort | tr '\n' ' ')"
assert_eq "-F in the order met" "web db cron last " "$(show -F SYSLOG_IDENTIFIER | tr '\n' ' ')"
assert_eq "-F with a match" "1 2 3 " "$(show -F SIZE SYSLOG_IDENTIFIER=web + SYSLOG_IDENTIFIER=db | LC_ALL=C sort | tr '\n' ' ')"
assert_eq "-F -n 2" "2" "$(show -F SIZE -n 2 | wc -l)"
assert_eq "-F of a field no entry has" "" "$(show -F NOSUCH)"
# The sender's trusted metadata (its slot) adds what the daemon found:
# always _TRANSPORT and _HOSTNAME; _EXE and _CMDLINE when the writer
# was still there to be looked at (some of ours are); the others
# (_MACHINE_ID, the units of the cgroup) as the machine has them.
META_RE='^_(TRANSPORT|HOSTNAME|BOOT_ID|MACHINE_ID|SYSTEMD_[A-Z_]*|EXE|CMDLINE)$'
want_n="COLOR MESSAGE OBJECT_SYSTEMD_UNIT PRIORITY SIZE SYSLOG_IDENTIFIER UNIT _BOOT_ID _COMM _GID _PID _UID "
show -N | LC_ALL=C sort >"$T/names"
assert_eq "-N" "$want_n" "$( (grep -Ev "$META_RE" "$T/names"; echo _BOOT_ID) | LC_ALL=C sort | tr '\n' ' ')"
for f in _TRANSPORT _HOSTNAME; do
	grep -qx "$f" "$T/names" || fail "-N: no $f ($(tr '\n' ' ' <"$T/names"))"
done
assert_eq "-N with a match" "MESSAGE PRIORITY SYSLOG_IDENTIFIER _BOOT_ID _COMM _GID _PID _UID " \
    "$( (show -N SYSLOG_IDENTIFIER=last | grep -Ev "$META_RE"; echo _BOOT_ID) | LC_ALL=C sort | tr '\n' ' ')"
assert_eq "-F _TRANSPORT" "mmlog" "$(show -F _TRANSPORT)"
assert_eq "-F _HOSTNAME" "$(hostname)" "$(show -F _HOSTNAME)"
check "a match on the metadata" "1 3 " COLOR=red _TRANSPORT=mmlog _HOSTNAME="$(hostname)"
check "a match on the metadata, no such value" "" _TRANSPORT=syslog

# -o verbose: the cursor line, then every field, indented.
show -o verbose COLOR=green >"$T/v" || fail "-o verbose"
head -n 1 "$T/v" | grep -Eq '^[A-Z][a-z]{2} [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\.[0-9]{6} [A-Z+0-9-]+ \[s=[0-9a-f]{32};i=3\]$' ||
    fail "-o verbose header: $(head -n 1 "$T/v")"
assert_eq "-o verbose fields" "_BOOT_ID PRIORITY SYSLOG_IDENTIFIER MESSAGE _PID _UID _GID _COMM COLOR COLOR " \
    "$(tail -n +2 "$T/v" | sed 's/^    \([A-Z_0-9]*\)=.*/\1/' | head -n 10 | tr '\n' ' ')"
# ... then the metadata, from the slot.
tail -n +12 "$T/v" | sed 's/^    \([A-Z_0-9]*\)=.*/\1/' >"$T/vm"
grep -qx _TRANSPORT "$T/vm" || fail "-o verbose: no metadata ($(cat "$T/v"))"
[ -z "$(grep -Ev "$META_RE" "$T/vm")" ] || fail "-o verbose: after the metadata: $(cat "$T/vm")"
grep -qx '    COLOR=green' "$T/v" || fail "-o verbose: no COLOR=green line"

# Malformed matches are usage errors.
for bad in "lower=x" "=x" "__CURSOR=x" "+" "A=1 +" "+ A=1" "A=1 + + B=2"; do
	# shellcheck disable=SC2086
	"$MMLOGCTL" --file "$RING" show $bad >"$T/b.out" 2>"$T/b.err"
	rc=$?
	assert_eq "show $bad: exit status" 2 "$rc"
done
stop_daemon

[ "$HAVE_J" = 1 ] || exit 0
# The same questions to journalctl, on the same entries.
show -o export >"$T/export" || fail "export"
"$JR" -o "$T/x.journal" - <"$T/export" >"$T/jr.out" 2>&1 ||
    fail "systemd-journal-remote: $(tail -n 3 "$T/jr.out")"
J() { journalctl --file "$T/x.journal" --no-pager "$@" 2>>"$T/j.err"; }
jseqs() { J "$@" -o json | json_fields MESSAGE | tr '\n' ' '; }
mseqs() { show "$@" -o json | json_fields MESSAGE | tr '\n' ' '; }
for q in "COLOR=red" "COLOR=red COLOR=blue" "SIZE=2 SYSLOG_IDENTIFIER=cron" \
    "SIZE=1 + SYSLOG_IDENTIFIER=cron + COLOR=blue" "PRIORITY=6 _UID=0 SIZE=2" \
    "COLOR=purple" "-u ssh" "-u *.service" "-u ssh -u cron.service" \
    "-u system.slice" "-u cron SIZE=2" "-p warning COLOR=red" "-t db -t cron" \
    "-g ^[ef]" "-g \\d" "-g E" "--case-sensitive=no -g E" "-n 3" "-n 3 -g e" \
    "-r -n 2"; do
	# shellcheck disable=SC2086
	j=$(jseqs $q)
	# shellcheck disable=SC2086
	m=$(mseqs $q)
	assert_eq "show $q, as journalctl" "$j" "$m"
done
for f in COLOR SIZE SYSLOG_IDENTIFIER PRIORITY _UID OBJECT_SYSTEMD_UNIT MESSAGE; do
	assert_eq "-F $f, as journalctl" "$(J -F $f | LC_ALL=C sort | tr '\n' ' ')" \
	    "$(show -F $f | LC_ALL=C sort | tr '\n' ' ')"
done
assert_eq "-N, as journalctl" "$(J -N | LC_ALL=C sort | tr '\n' ' ')" \
    "$(show -N | LC_ALL=C sort | tr '\n' ' ')"
# -o verbose: the same fields (journalctl's order is its file's).
for i in $(seq 1 $n); do
	msg=$(awk -F '\t' -v i="$i" '$1 == i { print $6 }' "$T/model")
	J -o verbose MESSAGE="$msg" | tail -n +2 | sed 's/^    \([A-Z_0-9]*\)=.*/\1/' |
	    LC_ALL=C sort >"$T/jv"
	show -o verbose MESSAGE="$msg" | tail -n +2 | sed 's/^    \([A-Z_0-9]*\)=.*/\1/' |
	    LC_ALL=C sort >"$T/mv"
	[ -s "$T/mv" ] || fail "no verbose output for '$msg'"
	cmp -s "$T/jv" "$T/mv" ||
	    fail "-o verbose fields of '$msg' differ from journalctl's: $(diff "$T/jv" "$T/mv" | head -n 4)"
	assert_eq "-o verbose of '$msg', as journalctl's lines" \
	    "$(J -o verbose MESSAGE="$msg" | tail -n +2 | LC_ALL=C sort)" \
	    "$(show -o verbose MESSAGE="$msg" | tail -n +2 | LC_ALL=C sort)"
done
assert_eq "-- No entries --, as journalctl" "$(J COLOR=purple)" "$(show COLOR=purple)"
