#!/bin/bash
# _EXE of another user's process needs CAP_SYS_PTRACE, which
# systemd/mmlogd.service gives mmlogd as an ambient capability (as
# journald has it): the kernel lets only the process's own user, or a
# holder of that capability, read /proc/PID/exe.
#   - mmlogd running as nobody with CAP_SYS_PTRACE (ambient, as systemd
#     gives it) stores _EXE for a writer of another uid;
#   - the same mmlogd without it stores the entry, with _CMDLINE and
#     _COMM, but no _EXE (it cannot know it; it never guesses);
#   - the unit asks for exactly that capability and no other.
# Needs root (to change uids and hand out a capability): skipped
# otherwise.
. "$(dirname "$0")/lib.sh"

need_ctl
need_setpriv
REPO=$(cd "$(dirname "$0")/../.." && pwd)
grep -qx 'AmbientCapabilities=CAP_SYS_PTRACE' "$REPO/systemd/mmlogd.service.in" ||
    fail "mmlogd.service does not give CAP_SYS_PTRACE"
grep -qx 'CapabilityBoundingSet=CAP_SYS_PTRACE' "$REPO/systemd/mmlogd.service.in" ||
    fail "mmlogd.service's bounding set is not exactly CAP_SYS_PTRACE"

# The daemon runs as nobody: its socket and ring in a directory of its.
chmod 0755 "$T"
mkdir -m 0755 "$T/r"
chown 65534:65534 "$T/r"
SOCK=$T/r/sock
RING=$T/r/ring
MMLOG_SOCKET=$SOCK
MMLOG_FILE=$RING
REAL=$MMLOGD
writer=$(readlink -f "$MMLOGCTL")

# run_as_nobody CAPS: mmlogd as nobody, with CAPS ambient ("" for none).
run_as_nobody() {
	local caps=()
	[ -n "$1" ] && caps=(--inh-caps="+$1" --ambient-caps="+$1")
	{
		echo '#!/bin/sh'
		printf 'exec setpriv --reuid=65534 --regid=65534 --clear-groups'
		printf ' %s' "${caps[@]}"
		printf ' %s "$@"\n' "$REAL"
	} >"$T/wrap"
	chmod 0755 "$T/wrap"
	MMLOGD=$T/wrap
	start_daemon --size 1M
	MMLOGD=$REAL
}

# exe_of MESSAGE: the _EXE stored with MESSAGE ("-" if none).
exe_of() {
	ctl --file "$RING" show -o json | grep -F "\"MESSAGE\":\"$1\"" |
	    json_fields _EXE _CMDLINE
}

# write_as UID MESSAGE: a durable write by UID.
write_as() {
	setpriv --reuid="$1" --regid="$1" --clear-groups "$MMLOGCTL" \
	    --socket "$SOCK" write --sync -t capped "$2" >/dev/null ||
	    fail "write as uid $1"
}

# cap_eff: the daemon's effective capabilities.
cap_eff() {
	awk '/^CapEff:/ { print $2 }' "/proc/$DPID/status"
}

run_as_nobody sys_ptrace
assert_eq "CapEff" 0000000000080000 "$(cap_eff)"
write_as 65532 "with the capability"
got=$(exe_of "with the capability")
assert_eq "_EXE with CAP_SYS_PTRACE" "$writer" "$(echo "$got" | cut -f 1)"
stop_daemon

run_as_nobody ""
assert_eq "CapEff" 0000000000000000 "$(cap_eff)"
write_as 65532 "without the capability"
got=$(exe_of "without the capability")
assert_eq "_EXE without CAP_SYS_PTRACE" "-" "$(echo "$got" | cut -f 1)"
case $(echo "$got" | cut -f 2) in
*mmlogctl*) ;;
*) fail "no _CMDLINE without the capability: '$got'" ;;
esac
# The writer's own uid is another matter: its _EXE needs nothing.
write_as 65534 "same uid"
assert_eq "_EXE of the daemon's own uid" "$writer" "$(exe_of "same uid" | cut -f 1)"
stop_daemon
