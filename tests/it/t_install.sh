#!/bin/bash
# make install into a DESTDIR with the default PREFIX puts exactly the
# listed files in place; the installed mmlogd and mmlogctl run from
# there against each other; the installed example configuration names
# every option of mmlogd --help and checks with every key set; the
# installed bash completion offers the commands, each command's options
# (every one its --help lists), priorities and output formats; make
# uninstall removes exactly those files and leaves others alone.
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=$T/root
P=$ROOT/usr/local
make -C "$REPO" -s B="$IT_BUILD" install DESTDIR="$ROOT" \
    >"$T/install.log" 2>&1 || fail "make install: $(tail -n 5 "$T/install.log")"
(cd "$ROOT" && find . ! -type d | sort) >"$T/files"
cat >"$T/want" <<'EOF'
./usr/local/bin/mmlog-forward
./usr/local/bin/mmlogctl
./usr/local/include/mmlog.h
./usr/local/lib/libmmlogclient.a
./usr/local/lib/libmmlogclient.so
./usr/local/lib/libmmlogclient.so.0
./usr/local/lib/pkgconfig/mmlogclient.pc
./usr/local/lib/systemd/system/mmlog-forward@.service
./usr/local/lib/systemd/system/mmlogd-devlog.socket
./usr/local/lib/systemd/system/mmlogd-journal.socket
./usr/local/lib/systemd/system/mmlogd-kmsg.socket
./usr/local/lib/systemd/system/mmlogd-stdout.socket
./usr/local/lib/systemd/system/mmlogd-stream.socket
./usr/local/lib/systemd/system/mmlogd-syslog.socket
./usr/local/lib/systemd/system/mmlogd.service
./usr/local/lib/systemd/system/mmlogd.socket
./usr/local/lib/sysusers.d/mmlogd.conf
./usr/local/lib/tmpfiles.d/mmlogd.conf
./usr/local/sbin/mmlogd
./usr/local/share/bash-completion/completions/mmlogctl
./usr/local/share/doc/mmlogd/mmlogd.conf.example
./usr/local/share/man/man1/mmlogctl.1
./usr/local/share/man/man3/mmlog.3
./usr/local/share/man/man8/mmlog-forward.8
./usr/local/share/man/man8/mmlogd.8
EOF
diff "$T/want" "$T/files" >"$T/diff" || fail "installed files differ: $(cat "$T/diff")"
assert_eq "libmmlogclient.so" libmmlogclient.so.0 "$(readlink "$P/lib/libmmlogclient.so")"
grep -q "^ExecStart=/usr/local/bin/mmlog-forward " \
    "$P/lib/systemd/system/mmlog-forward@.service" || fail "mmlog-forward@.service ExecStart"
grep -qx "ExecStart=/usr/local/sbin/mmlogd" "$P/lib/systemd/system/mmlogd.service" ||
    fail "ExecStart: $(grep ExecStart "$P/lib/systemd/system/mmlogd.service")"
grep -qx "prefix=/usr/local" "$P/lib/pkgconfig/mmlogclient.pc" || fail "mmlogclient.pc prefix"

# The installed programs, against each other (the library as installed).
export LD_LIBRARY_PATH=$P/lib
MMLOGD=$P/sbin/mmlogd
MMLOGCTL=$P/bin/mmlogctl
start_daemon --size 1M
ctl write -t installed -p warning "from the installed mmlogctl" ||
    fail "installed mmlogctl write: $(cat "$T/ctl.err")"
ctl write --sync -t installed "second" >/dev/null || fail "write --sync"
entries | cut -f 1,2,3,5 >"$T/shown" || exit 1
printf '1\t4\tinstalled\tfrom the installed mmlogctl\n2\t5\tinstalled\tsecond\n' |
    diff - "$T/shown" >"$T/diff" || fail "entries: $(cat "$T/diff")"
ctl status | grep -q 'sync_interval_ms: 1000' || fail "installed mmlogctl status"
stop_daemon

# The example configuration: every option, and it checks as it is and
# with every key set to the value shown.
EX=$P/share/doc/mmlogd/mmlogd.conf.example
"$MMLOGD" --help | sed -n 's/^ *\(-., \)\{0,1\}--\([a-z-]*\).*/\2/p' |
    grep -vx 'config\|check-config\|version\|help' >"$T/keys"
[ "$(wc -l <"$T/keys")" -ge 9 ] || fail "options from --help: $(cat "$T/keys")"
while read -r k; do
	grep -q "^#$k = " "$EX" || fail "the example configuration lacks '$k'"
done <"$T/keys"
"$MMLOGD" --config "$EX" --check-config >/dev/null 2>"$T/check.err" ||
    fail "example as installed: $(cat "$T/check.err")"
sed 's/^#\([a-z-]* = \)/\1/' "$EX" >"$T/all.conf"
"$MMLOGD" --config "$T/all.conf" --check-config >"$T/check.out" 2>"$T/check.err" ||
    fail "example with every key set: $(cat "$T/check.err")"
[ "$(grep -c "# $T/all.conf:" "$T/check.out")" = "$(wc -l <"$T/keys")" ] ||
    fail "not every key came from the example: $(cat "$T/check.out")"

# Bash completion: COMPREPLY for the words given.
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
	    _mmlogctl; printf "%s\n" "${COMPREPLY[@]}"' sh \
	    "$P/share/bash-completion/completions/mmlogctl" "$@" | sort | tr '\n' ' '
}
assert_eq "commands" "clear dump reset-counters rotate-id run show status verify write " \
    "$(complete_words mmlogctl '')"
assert_eq "priorities" "alert crit debug emerg err info notice warning " \
    "$(complete_words mmlogctl show -p '')"
assert_eq "formats" "cat export json json-pretty json-seq raw short short-full short-iso short-iso-precise short-monotonic short-precise short-unix verbose with-unit " \
    "$(complete_words mmlogctl --file x show -o '')"
assert_eq "status formats" "json prometheus " "$(complete_words mmlogctl status -o '')"
assert_eq "write -f: a file" "$(cd / && compgen -f -- /bi | sort | tr '\n' ' ')" \
    "$(cd / && complete_words mmlogctl write -f /bi)"
assert_eq "show -f: no argument" " " "$(complete_words mmlogctl show -f '')"
for cmd in show write run status verify dump; do
	"$MMLOGCTL" "$cmd" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u >"$T/opts"
	[ -s "$T/opts" ] || fail "no options in 'mmlogctl $cmd --help'"
	offered=" $(complete_words mmlogctl "$cmd" --) "
	while read -r o; do
		case $offered in *" $o "*) ;;
		*) fail "completion of 'mmlogctl $cmd --' lacks $o ($offered)" ;;
		esac
	done <"$T/opts"
done

# uninstall: ours go, a file of someone else's stays.
echo other >"$P/bin/other-tool"
make -C "$REPO" -s B="$IT_BUILD" uninstall DESTDIR="$ROOT" \
    >"$T/uninstall.log" 2>&1 || fail "make uninstall: $(tail -n 5 "$T/uninstall.log")"
(cd "$ROOT" && find . ! -type d) >"$T/left"
assert_eq "files left after uninstall" "./usr/local/bin/other-tool" "$(cat "$T/left")"
