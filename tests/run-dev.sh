#!/bin/sh
# `make run`: mmlogd in the foreground with its sockets and ring under
# ./var/, no root and no systemd needed: its own socket, and one for
# each other intake (syslog datagrams, journald's native protocol,
# stdout streams), plus the kernel log when /dev/kmsg can be read.  The
# stream socket is "stdout" beside mmlogd.sock, as /run/mmlogd/stdout is
# installed (mmlogd-stream.socket), so `mmlogctl run` finds it by itself.
B=${1:-build}
top=$(pwd)
var=$top/var
mkdir -p "$var"
sock=$var/mmlogd.sock
ring=$var/mmlogd.ring
kmsg=
# What the root-only examples start with: nothing for root.
sudo=sudo
[ "$(id -u)" = 0 ] && sudo=
# Reading the kernel log needs CAP_SYSLOG while dmesg_restrict is 1.
if (exec 3</dev/kmsg) 2>/dev/null; then
	kmsg=--kmsg
fi
cat <<EOT
mmlogd runs in the foreground; stop it with Ctrl-C (the ring is kept).

In another terminal:
  export MMLOG_SOCKET=$sock MMLOG_FILE=$ring PATH=$top/$B:\$PATH
  mmlogctl write hello                 # log a line
  echo "from a pipe" | mmlogctl write -t demo -p warning
  mmlogctl show                        # read it back (works with mmlogd stopped too)
  mmlogctl show -f                     # follow live
  mmlogctl status                      # ring and daemon counters, per transport
  mmlogctl run -t demo -- sh -c 'echo out; echo err >&2'   # a program's stdout and stderr

Programs that know nothing of mmlogd, pointed at its sockets:
  logger -u $var/syslog.sock -t demo "hello from logger"
  logger -u $var/syslog.sock --rfc5424 -t demo -p local3.err "RFC 5424"
  python3 -c 'import logging, logging.handlers as h
l = logging.getLogger("pydemo")
l.addHandler(h.SysLogHandler(address="$var/syslog.sock"))
l.warning("hello from Python")'

  systemd-cat and logger --journald only know /run/systemd/journal/stdout
  and /run/systemd/journal/socket: as root, in a mount namespace of their
  own, those paths can be mmlogd's sockets (nothing else sees them):
  ${sudo:+$sudo }unshare -m sh -c 'mount -t tmpfs tmpfs /run/systemd &&
    mkdir /run/systemd/journal &&
    ln -s $var/journal.sock /run/systemd/journal/socket &&
    ln -s $var/stdout /run/systemd/journal/stdout &&
    systemd-cat -t catdemo echo "hello from systemd-cat" &&
    echo MESSAGE=hello from logger --journald | logger --journald'
EOT
if [ -n "$kmsg" ]; then
	echo "  echo '<5>demo: hello kernel log' | ${sudo:+$sudo }tee /dev/kmsg"
	echo
	echo "  The kernel log is read: 'mmlogctl show' starts with all that dmesg"
	echo "  holds ('show -n 20': the newest; '-k': the kernel's alone).  On the"
	echo "  first start in a boot mmlogd also notes the records the kernel had"
	echo "  already overwritten (MMLOG_KMSG_MISSED), as journald does."
else
	echo "  (The kernel log is not read: /dev/kmsg needs CAP_SYSLOG here.)"
fi
echo
exec "$top/$B/mmlogd" --socket "$sock" --file "$ring" --size 64M \
    --syslog-socket "$var/syslog.sock" --journal-socket "$var/journal.sock" \
    --stdout-socket "$var/stdout" $kmsg
