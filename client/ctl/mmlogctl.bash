# bash completion for mmlogctl(1): commands, each command's options,
# priorities, output formats, file names, and from the ring itself the
# boots for -b and the units for -u (as journalctl's completion asks
# journalctl).  Installed as
# share/bash-completion/completions/mmlogctl; needs nothing from the
# bash-completion package.

_mmlogctl()
{
	local cur prev cmd i opts ring=()
	local commands="show write run status verify dump clear rotate-id reset-counters"
	local global="--file --socket --help --version"
	local prios="emerg alert crit err warning notice info debug"
	local outputs="short short-precise short-iso short-iso-precise short-full
	    short-monotonic short-unix with-unit verbose json json-pretty json-seq
	    export cat raw"

	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		# Options with an argument: their next word is not a command.
		--file|--socket|-p|--priority|-t|--tag|--identifier|-F|\
		--field|-S|--since|-U|--until|--pid|--uid|-g|\
		--grep|--after-cursor|--cursor-file|-o|--output|-c|--cursor|\
		-u|--unit|--sd-id|--sd-param|--timeout|--stdout-socket|\
		--level-prefix|--output-fields)
			[ "${COMP_WORDS[i]}" = --file ] &&
			    ring=(--file "${COMP_WORDS[i + 1]}")
			i=$((i + 1)) ;;
		# -n takes the next word only if it is a number.
		-n|--lines)
			[[ ${COMP_WORDS[i + 1]} =~ ^(all|[+]?[0-9]+)$ ]] &&
			    i=$((i + 1)) ;;
		# -b takes the next word only if it names a boot.
		-b|--boot)
			[[ ${COMP_WORDS[i + 1]} =~ ^(all|[0-9a-fA-F]{32}([+-][0-9]+)?|[+-]?[0-9]+)$ ]] &&
			    i=$((i + 1)) ;;
		-*) ;;
		*=*|+) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done

	case $prev in
	--file|--socket|--cursor-file|--stdout-socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0 ;;
	-f)
		[ "$cmd" = write ] && COMPREPLY=($(compgen -f -- "$cur"))
		return 0 ;;
	-p|--priority)
		COMPREPLY=($(compgen -W "$prios" -- "$cur"))
		return 0 ;;
	--level-prefix)
		COMPREPLY=($(compgen -W "yes no" -- "$cur"))
		return 0 ;;
	-b|--boot)
		# Offsets and ids of the boots the ring has, and "all".
		COMPREPLY=($(compgen -W "all $(mmlogctl "${ring[@]}" show \
		    --list-boots -q 2>/dev/null | awk '{ print $1; print $2 }')" \
		    -- "$cur"))
		return 0 ;;
	-u|--unit)
		COMPREPLY=($(compgen -W "$(mmlogctl "${ring[@]}" show \
		    -F _SYSTEMD_UNIT 2>/dev/null)" -- "$cur"))
		return 0 ;;
	-o|--output)
		if [ "$cmd" = status ]; then
			COMPREPLY=($(compgen -W "json prometheus" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$outputs" -- "$cur"))
		fi
		return 0 ;;
	-t|--tag|--identifier|-F|--field|-S|--since|-U|--until|\
	--pid|--uid|-g|--grep|--after-cursor|-c|--cursor|--sd-id|\
	--sd-param|--timeout|--output-fields)
		# Free text: nothing to offer.
		return 0 ;;
	esac

	case $cmd in
	""|show)
		opts="-n --lines -f --follow -S --since -U --until -p --priority
		    -t --identifier --pid --uid -g --grep --case-sensitive
		    -c --cursor --after-cursor --cursor-file --show-cursor
		    -r --reverse -u --unit -k --dmesg -F --field -N --fields
		    -b --boot --list-boots -o --output --output-fields
		    -e --pager-end -q --quiet -x --catalog --utc --no-hostname
		    --no-pager" ;;
	write)	opts="-p --priority -t --tag -F --field -f --file -e --skip-empty
		    -i --id -s --stderr --sd-id --sd-param --timeout --sync" ;;
	run)	opts="-t --identifier -p --priority --level-prefix
		    --stdout-socket" ;;
	status)	opts="-o --output" ;;
	dump)	opts="-n --lines --no-pager" ;;
	*)	opts= ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts $global" -- "$cur"))
	elif [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
	fi
	return 0
}
complete -F _mmlogctl mmlogctl
