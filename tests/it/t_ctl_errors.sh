#!/bin/bash
# mmlogctl's error paths: a missing ring file, a file of random bytes, an
# empty file, a directory and a truncated ring each give a clear message
# naming the file and exit 1 (never a crash, never output on stdout); a
# damaged record makes verify fail; a bad option or command exits 2.
. "$(dirname "$0")/lib.sh"

need_ctl

# expect_fail CODE DESC ARGS...: mmlogctl must exit CODE with a message.
expect_fail() {
	local code=$1 desc=$2 rc
	shift 2
	: >"$T/e.err"
	timeout -k 2 "$(tmo 30)" "$MMLOGCTL" "$@" >"$T/e.out" 2>"$T/e.err"
	rc=$?
	cat "$T/e.err" >>"$T/ctl.err"
	[ "$rc" = "$code" ] ||
	    fail "$desc: exit $rc, expected $code ($(head -c 300 "$T/e.err"))"
	[ -s "$T/e.err" ] || fail "$desc: no message on stderr"
	[ "$(wc -l <"$T/e.err")" -le 5 ] ||
	    fail "$desc: $(wc -l <"$T/e.err") lines on stderr, not one clear message"
	if [ "$code" = 1 ]; then
		[ -s "$T/e.out" ] && fail "$desc: output on stdout: $(head -c 200 "$T/e.out")"
	fi
	return 0
}
# names_file DESC PATH: the message names the file.
names_file() {
	grep -qF "$2" "$T/e.err" || fail "$1: message does not name $2: $(cat "$T/e.err")"
}

for cmd in show status verify dump; do
	expect_fail 1 "$cmd, missing file" --file "$T/nonexistent" $cmd
	names_file "$cmd, missing file" "$T/nonexistent"
done

head -c 1048576 /dev/urandom >"$T/random"
for cmd in show verify dump status; do
	expect_fail 1 "$cmd, random bytes" --file "$T/random" $cmd
	names_file "$cmd, random bytes" "$T/random"
done

: >"$T/empty"
expect_fail 1 "show, empty file" --file "$T/empty" show
mkdir "$T/dir"
expect_fail 1 "show, a directory" --file "$T/dir" show

# A real ring, then cut short.
start_daemon --size 1M
loadgen -t t -n 1000 2>"$T/lg.err" || fail "loadgen failed"
stop_daemon
ctl --file "$RING" verify >/dev/null || fail "verify fails on a good ring"
cp "$RING" "$T/short"
truncate -s 300000 "$T/short"
for cmd in show verify status; do
	expect_fail 1 "$cmd, truncated ring" --file "$T/short" $cmd
	names_file "$cmd, truncated ring" "$T/short"
done
cp "$RING" "$T/headonly"
truncate -s 100 "$T/headonly"
expect_fail 1 "show, ring cut inside its header" --file "$T/headonly" show

# One flipped byte in a record's message: verify must notice.
cp "$RING" "$T/damaged"
# Data region starts at 4096; records are ~80 bytes: 30000 is inside one.
# Inverted, so that the damage changes the byte whatever it was.
b=$(od -An -tu1 -j $((4096 + 30000)) -N 1 "$T/damaged" | tr -d ' ')
printf "\\$(printf %o $((b ^ 255)))" |
    dd of="$T/damaged" bs=1 seek=$((4096 + 30000)) conv=notrunc 2>/dev/null
cmp -s "$RING" "$T/damaged" && fail "the damage did not change the file"
# verify reports on stdout; it must fail and say where.
timeout -k 2 "$(tmo 30)" "$MMLOGCTL" --file "$T/damaged" verify >"$T/v.out" 2>"$T/v.err"
rc=$?
assert_eq "verify exit status on a damaged record" 1 "$rc"
grep -qi 'offset' "$T/v.out" "$T/v.err" ||
    fail "verify does not say where the damage is: $(cat "$T/v.out" "$T/v.err")"
# show still shows the rest and says what it skipped.
timeout -k 2 "$(tmo 30)" "$MMLOGCTL" --file "$T/damaged" show -o cat >"$T/s.out" 2>"$T/s.err"
assert_eq "entries shown around the damage" 999 "$(wc -l <"$T/s.out")"
grep -qi 'lost\|corrupt\|damaged' "$T/s.err" ||
    fail "show does not report the damaged record: $(cat "$T/s.err")"

# A header whose numbering contradicts itself (tail seq past the head
# seq, or the head past the seq limit) is a problem of verify's, dirty
# ring or not: with the tail past the head the walk checked nothing and
# verify said "no entries ... 0 problems", exit 0.  (mmlogd's recovery
# mends a dirty header; verify reports what is in the file.)
[ -x "$HELPERS/ringhack" ] || fail "ringhack is not built"
for poke in "88 18446744073709551615" "104 18446744073709551615" \
    "88 900000000"; do
	cp "$RING" "$T/seqs"
	"$HELPERS/ringhack" poke32 "$T/seqs" 60 1 || fail "ringhack poke32"
	"$HELPERS/ringhack" poke64 "$T/seqs" $poke || fail "ringhack poke64"
	timeout -k 2 "$(tmo 30)" "$MMLOGCTL" --file "$T/seqs" verify \
	    >"$T/v.out" 2>"$T/v.err"
	assert_eq "verify, header seqs poked ($poke)" 1 "$?"
	grep -q "problem: the header's sequence numbers contradict" "$T/v.out" ||
	    fail "verify, header seqs poked ($poke): $(cat "$T/v.out" "$T/v.err")"
done
cp "$RING" "$T/seqs"
"$HELPERS/ringhack" poke32 "$T/seqs" 60 1 || fail "ringhack poke32"
ctl --file "$T/seqs" verify >"$T/v.out" ||
    fail "verify fails on a good ring marked dirty: $(cat "$T/v.out")"

# Usage errors.
expect_fail 2 "unknown option" --no-such-option
expect_fail 2 "unknown command" --file "$RING" frobnicate
expect_fail 2 "unknown output mode" --file "$RING" show -o nonsense
# -n without a number is 10, as in journalctl (t_ctl_options); a
# negative one is not a number, and so an unknown option.
expect_fail 2 "show -n -1" --file "$RING" show -n -1
expect_fail 2 "show -n not a number" --file "$RING" show -n many
expect_fail 2 "bad priority" --file "$RING" show -p nosuchprio

# The message names the option as given.  A long option given "=VALUE"
# that takes none was "unknown option '-' " and the like (getopt's optopt
# is then the option's val, 256 + its row, printed as a letter).
expect_msg() {
	local want=$1
	shift
	expect_fail 2 "$*" "$@"
	grep -qF -- "$want" "$T/e.err" || fail "$*: '$(head -n 1 "$T/e.err")', expected '$want'"
}
expect_msg "option '--sync' takes no argument" --file "$RING" write --sync=1 x
expect_msg "option '--reverse' takes no argument" --file "$RING" show --reverse=yes
expect_msg "option '--no-pager' takes no argument" --file "$RING" dump --no-pager=1
expect_msg "unknown option '--syn'" --file "$RING" write --syn=1 x
expect_msg "unknown option '--ta'" --file "$RING" write --ta
expect_msg "option '--tag' needs an argument" --file "$RING" write --tag
expect_msg "option '-t' needs an argument" --file "$RING" write -t
expect_msg "unknown option '-z'" --file "$RING" write -z
expect_msg "unknown option '--nosuch'" --file "$RING" show --nosuch=3
