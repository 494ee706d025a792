#!/bin/bash
# Terminal manners, on a real pseudo-terminal (script(1)): show pipes its
# output into $MMLOG_PAGER, else $PAGER, else less with LESS=FRSXMK; not
# with --no-pager, -f, an empty pager or output that is not a terminal.
# Priorities are coloured on a terminal only (not with NO_COLOR, a dumb
# or unset TERM, or into a pipe).  Control characters in messages are
# escaped in short output.  -o raw writes the records' bytes exactly as
# the ring holds them, and refuses a terminal.
. "$(dirname "$0")/lib.sh"

need_ctl
command -v script >/dev/null || fail "script(1) (bsdutils) is missing"
start_daemon --size 1M
ctl write -t t -p err "an error" || fail "write"
ctl write -t t -p warning "a warning" || fail "write"
ctl write -t t -p info "just info" || fail "write"
ctl write -t t -p debug "some debug" || fail "write"
ctl write --sync -t t -p info "$(printf 'esc \033[31mred\033[0m bel \a cr \r c1 \302\233 bad \377 end')" \
    >/dev/null || fail "write"

# tty ENV... -- ARGS...: mmlogctl ARGS on a pseudo-terminal, with ENV;
# what reached the terminal is in $T/tty.out.  $TTY_IN is typed on it;
# $TTY_PRE comes before mmlogctl's command line.
tty() {
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	printf '%s' "${TTY_IN:-}" | env -u MMLOG_PAGER -u PAGER -u LESS -u NO_COLOR "${envs[@]}" \
	    timeout -k 2 "$(tmo 30)" script -qec "${TTY_PRE:-} $MMLOGCTL --file $RING --socket $SOCK $*" \
	    /dev/null >"$T/tty.out" 2>&1
}
ESC=$(printf '\033')
red="${ESC}[0;1;31m"

# A pager that keeps what it was given.
rm -f "$T/paged"
tty TERM=xterm "MMLOG_PAGER=cat >$T/paged" -- show || fail "show on a terminal: $(cat "$T/tty.out")"
[ -f "$T/paged" ] || fail "no pager ran on a terminal: $(cat -v "$T/tty.out")"
assert_eq "paged lines" 5 "$(wc -l <"$T/paged")"
grep -q "an error" "$T/tty.out" && fail "output went to the terminal as well as the pager"
grep -qF "t[$(ctl --file "$RING" show -t t -p err -o json | json_fields _PID)]: ${red}an error${ESC}[0m" "$T/paged" ||
    fail "err is not red: $(grep 'an error' "$T/paged" | cat -v)"
grep -qF "${ESC}[0;1;33ma warning${ESC}[0m" "$T/paged" || fail "warning is not yellow: $(cat -v "$T/paged")"
grep "just info" "$T/paged" | grep -q "$ESC" && fail "info is highlighted: $(cat -v "$T/paged")"
grep -qF "${ESC}[0;38;5;245msome debug" "$T/paged" || fail "debug is not grey: $(cat -v "$T/paged")"

# Escaped control characters: besides our colours, no control byte.
assert_eq "escaped message" 'esc \x1b[31mred\x1b[0m bel \x07 cr \r c1 \xc2\x9b bad \xff end' \
    "$(grep '^.* t\[[0-9]*\]: esc' "$T/paged" | sed 's/.*\]: //')"
LC_ALL=C grep -n '[[:cntrl:]]' "$T/paged" | grep -v "$ESC\[0" | grep -q . &&
    fail "a control character reached the terminal: $(cat -v "$T/paged")"

# $PAGER; $MMLOG_PAGER over it; LESS given to the pager, as set or FRSXMK.
rm -f "$T/p1" "$T/p2"
tty TERM=xterm "PAGER=cat >$T/p1" -- show -n 1 || fail "show with PAGER"
[ -s "$T/p1" ] || fail "\$PAGER was not run"
tty TERM=xterm "PAGER=cat >$T/p1" "MMLOG_PAGER=cat >$T/p2" -- show -n 1 || fail "show"
[ -s "$T/p2" ] || fail "\$MMLOG_PAGER was not run"
tty TERM=xterm "MMLOG_PAGER=echo \"LESS=\$LESS\" >$T/le; cat >/dev/null" -- show || fail "show"
assert_eq "LESS for the pager" "LESS=FRSXMK" "$(cat "$T/le")"
tty TERM=xterm LESS=-X "MMLOG_PAGER=echo \"LESS=\$LESS\" >$T/le; cat >/dev/null" -- show || fail "show"
assert_eq "LESS of the user" "LESS=-X" "$(cat "$T/le")"
# less itself, the default, until q is typed.
if command -v less >/dev/null; then
	TTY_IN=q tty TERM=xterm -- show || fail "show with less: $(cat -v "$T/tty.out")"
	grep -q "some debug" "$T/tty.out" || fail "less did not show the entries: $(cat -v "$T/tty.out")"
fi

# No pager: --no-pager, an empty MMLOG_PAGER, "cat", -f, or not a terminal.
for how in "--no-pager" "MMLOG_PAGER=" "MMLOG_PAGER=cat"; do
	rm -f "$T/paged"
	case $how in
	--*) tty TERM=xterm "PAGER=cat >$T/paged" -- show $how ;;
	*) tty TERM=xterm "$how" "PAGER=cat >$T/paged" -- show ;;
	esac || fail "show ($how)"
	[ -f "$T/paged" ] && fail "a pager ran despite $how"
	grep -q "a warning" "$T/tty.out" || fail "no output on the terminal with $how"
	grep -qF "${red}an error" "$T/tty.out" || fail "no colour on the terminal with $how: $(cat -v "$T/tty.out")"
done
rm -f "$T/paged"
TTY_PRE="timeout -s INT $(tmo 2)" tty TERM=xterm "MMLOG_PAGER=cat >$T/paged" -- show -f
[ -f "$T/paged" ] && fail "a pager ran for show -f"
grep -q "a warning" "$T/tty.out" || fail "show -f printed nothing on the terminal: $(cat -v "$T/tty.out")"
MMLOG_PAGER="cat >$T/paged" TERM=xterm ctl --file "$RING" show | cat >"$T/piped"
[ -f "$T/paged" ] && fail "a pager ran with output into a pipe"
grep -q "$ESC" "$T/piped" && fail "colours in a pipe: $(cat -v "$T/piped")"
assert_eq "lines into a pipe" 5 "$(wc -l <"$T/piped")"

# No colours: NO_COLOR, TERM=dumb, TERM unset.
for how in NO_COLOR=1 TERM=dumb "TERM="; do
	tty "$how" -- show --no-pager || fail "show ($how)"
	grep -q "a warning" "$T/tty.out" || fail "no output with $how"
	grep -q "$ESC\[0;1" "$T/tty.out" && fail "colours despite $how: $(cat -v "$T/tty.out")"
done

# -o raw: the records' bytes as the ring holds them, each padded to 8.
ctl --file "$RING" show -o raw >"$T/raw" || fail "show -o raw"
stop_daemon
"$HELPERS/ringhack" recs "$RING" >"$T/recs" || fail "ringhack recs"
: >"$T/want"
while read -r s off len size type; do
	[ "$type" = entry ] || continue
	dd if="$RING" bs=1 skip=$((4096 + off)) count="$len" 2>/dev/null >>"$T/want"
	head -c $((size - len)) /dev/zero >>"$T/want"
done <"$T/recs"
[ -s "$T/want" ] || fail "no records found"
cmp "$T/raw" "$T/want" || fail "-o raw is not the records' bytes"
ctl --file "$RING" show -o raw -n 2 >"$T/raw2" || fail "show -o raw -n 2"
tail -n 2 "$T/recs" | { read -r _ o1 _; read -r _ o2 l2 s2 _; 
    dd if="$RING" bs=1 skip=$((4096 + o1)) count=$((o2 + s2 - o1)) 2>/dev/null; } >"$T/want2"
cmp -s "$T/raw2" "$T/want2" || fail "-o raw -n 2 is not the last two records"
tty TERM=xterm -- show -o raw
assert_eq "-o raw on a terminal, exit status" 1 "$?"
grep -q "not to a terminal" "$T/tty.out" || fail "no clear message for -o raw on a terminal: $(cat -v "$T/tty.out")"
"$MMLOGCTL" --file "$RING" show -o raw --show-cursor >"$T/o" 2>"$T/e"
assert_eq "-o raw --show-cursor, exit status" 2 "$?"
[ -s "$T/o" ] && fail "-o raw --show-cursor wrote output"
# -o export writes a client's bytes as they are: not to a terminal.
tty TERM=xterm -- show -o export
assert_eq "-o export on a terminal, exit status" 1 "$?"
grep -q "not to a terminal" "$T/tty.out" ||
    fail "no clear message for -o export on a terminal: $(cat -v "$T/tty.out")"
ctl --file "$RING" show -o export >"$T/export" || fail "show -o export to a file"
grep -q '^MESSAGE=' "$T/export" || fail "-o export to a file wrote no entry"

# Bidirectional controls and the Unicode line separators are escaped in
# the text formats (\xHH, as invalid UTF-8 is) and in JSON (\uXXXX):
# U+202E would show "txt.exe" for "exe.txt", U+2028 break a line.
start_daemon
ctl write -t bidi "$(printf 'a\u202eb\u2066c\u2069d\u2028e\u2029f\u202ag \u00e9')" ||
    fail "write"
ctl --file "$RING" show -o cat -n 1 >"$T/bidi.txt" || fail "show -o cat"
assert_eq "bidi, text" 'a\xe2\x80\xaeb\xe2\x81\xa6c\xe2\x81\xa9d\xe2\x80\xa8e\xe2\x80\xa9f\xe2\x80\xaag é' \
    "$(cat "$T/bidi.txt")"
ctl --file "$RING" show -o json -n 1 >"$T/bidi.json" || fail "show -o json"
grep -qF '"MESSAGE":"a\u202eb\u2066c\u2069d\u2028e\u2029f\u202ag é"' \
    "$T/bidi.json" || fail "bidi, JSON: $(cat "$T/bidi.json")"
ctl --file "$RING" show -n 1 >"$T/bidi.short" || fail "show"
grep -q "$(printf '\342\200\256')" "$T/bidi.short" &&
    fail "bidi, short: U+202E unescaped"
stop_daemon
exit 0
