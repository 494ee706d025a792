#!/bin/sh
# `make run`: mmlogd in the foreground with its socket and ring under
# ./var/, no root and no systemd needed.
B=${1:-build}
top=$(pwd)
mkdir -p "$top/var"
sock="$top/var/mmlogd.sock"
ring="$top/var/mmlogd.ring"
cat <<EOT
mmlogd runs in the foreground; stop it with Ctrl-C (the ring is kept).

In another terminal:
  export MMLOG_SOCKET=$sock MMLOG_FILE=$ring PATH=$top/$B:\$PATH
  mmlogctl write hello                 # log a line
  echo "from a pipe" | mmlogctl write -t demo -p warning
  mmlogctl show                        # read it back (works with mmlogd stopped too)
  mmlogctl show -f                     # follow live
  mmlogctl status                      # ring and daemon counters

EOT
exec "$top/$B/mmlogd" --socket "$sock" --file "$ring" --size 64M
