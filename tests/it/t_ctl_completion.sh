#!/bin/bash
# mmlogctl's bash completion (client/ctl/mmlogctl.bash, from the source
# tree: t_install checks the installed copy) finds the command after
# options that take the next word: -n N and --output-fields F, as the
# parser reads them (-n takes the next word only if it is a number, as
# -b only a boot), so that the command's options are offered after it.
# The number after -n was taken for the command, and nothing but the
# global options was offered.
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$(dirname "$0")/../.." && pwd)
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
	    _mmlogctl; printf "%s\n" "${COMPREPLY[@]}"' sh \
	    "$REPO/client/ctl/mmlogctl.bash" "$@" | sort | tr '\n' ' '
}
offers() {	# offers DESC WORD WORDS...: the completion of WORDS has WORD
	local desc=$1 want=$2 got
	shift 2
	got=" $(complete_words "$@") "
	case $got in
	*" $want "*) ;;
	*) fail "$desc: '$want' not offered ($got)" ;;
	esac
}
offers "-n N, then a command" write mmlogctl -n 5 ''
offers "-n N dump: dump's options" --no-pager mmlogctl -n 5 dump --
offers "--lines all dump: dump's options" --no-pager mmlogctl --lines all dump --
offers "-n without a number, then the command" write mmlogctl -n w
offers "--output-fields F, then a command" status mmlogctl --output-fields MESSAGE ''
offers "--output-fields F status: status's options" --output \
    mmlogctl --output-fields MESSAGE status --
assert_eq "--output-fields: free text" " " \
    "$(complete_words mmlogctl --output-fields '')"
# What the parser does with them, for the record.
"$MMLOGCTL" -n 5 dump --help >/dev/null || fail "mmlogctl -n 5 dump --help"
