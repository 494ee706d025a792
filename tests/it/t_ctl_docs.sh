#!/bin/bash
# mmlogctl's documentation says what the code does: for each command, the
# options its --help lists are those the bash completion offers, and the
# command takes each of them (and each letter it takes is listed); every
# long option of the parser's table is in mmlogctl(1), and every option
# mmlogctl(1) names is mmlogctl's (or another program's, named here).
. "$(dirname "$0")/lib.sh"

need_ctl
REPO=$(cd "$(dirname "$0")/../.." && pwd)
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
	    _mmlogctl; printf "%s\n" "${COMPREPLY[@]}"' sh \
	    "$REPO/client/ctl/mmlogctl.bash" "$@"
}
# The options of a command's part of --help (before the global ones).
help_opts() {
	"$MMLOGCTL" "$1" --help | sed '/^Global options/,$d' |
	    grep -o -- "$2" | tr -d ' ,' | sort -u | tr '\n' ' '
}
takes() {	# takes CMD OPT: not refused as unknown or not valid for CMD
	local out
	out=$("$MMLOGCTL" --file "$T/none" --socket "$T/none" "$1" "$2" x \
	    </dev/null 2>&1 >/dev/null | head -n 1)
	case $out in
	*"not valid"*|*"unknown option"*) return 1 ;;
	esac
	return 0
}
for cmd in show write run status dump verify clear rotate-id reset-counters; do
	longs=$(help_opts "$cmd" '--[a-z][a-z-]*' | sed 's/--socket //')
	comp=$(complete_words mmlogctl "$cmd" -- | grep -vx -- '--file\|--socket\|--help\|--version' |
	    sort -u | tr '\n' ' ')
	# write's --file is its input (-f), not the ring's: in both.
	[ "$cmd" = write ] && comp="--field --file ${comp#--field }"
	assert_eq "$cmd: long options in --help and in the completion" "$longs" "$comp"
	shorts=$(help_opts "$cmd" '^ *-[a-zA-Z],')
	comp=$(complete_words mmlogctl "$cmd" - | grep -x -- '-[a-zA-Z]' | grep -vx -- -h |
	    sort -u | tr '\n' ' ')
	assert_eq "$cmd: letters in --help and in the completion" "$shorts" "$comp"
	for o in $longs $shorts; do
		takes "$cmd" "$o" || fail "$cmd does not take $o, which its --help lists"
	done
	for l in {a..z} {A..Z}; do
		case " $shorts -h " in *" -$l "*) continue ;; esac
		takes "$cmd" "-$l" && fail "$cmd takes -$l, which its --help does not list"
	done
done

# The parser's table against the manual, both ways.
grep -o '{ MML_CTL_OPT_[A-Z_]*, "[a-z-]*"' "$REPO/client/ctl/opts.c" |
    sed 's/.*"\(.*\)"/\1/' | sort -u >"$T/code"
[ "$(wc -l <"$T/code")" -ge 40 ] || fail "long options from opts.c: $(cat "$T/code")"
while read -r o; do
	grep -q -- "Fl -$o\\b" "$REPO/client/ctl/mmlogctl.1" ||
	    fail "mmlogctl(1) does not document --$o"
done <"$T/code"
# Others' options the manual names: mmlogd's, logger's, node_exporter's.
others="max-fields max-entry size collector.textfile.directory"
grep -o 'Fl -[a-z][a-z.-]*' "$REPO/client/ctl/mmlogctl.1" | sed 's/Fl -//' | sort -u |
    while read -r o; do
	grep -qx -- "$o" "$T/code" && continue
	case " $others " in *" $o "*) continue ;; esac
	fail "mmlogctl(1) names --$o, which mmlogctl does not have"
done || exit 1
