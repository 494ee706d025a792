#!/bin/sh
# Installs the Debian packages the build and the tests need, if any is
# missing.  Used by `make deps`, and so by `make run` and `make test`.
# libgnutls28-dev (RELP over TLS) and libcurl4-gnutls-dev (HTTP(S) to
# systemd-journal-remote) build mmlog-forward; rsyslog and rsyslog-relp
# (imrelp) are the collector its tests forward to, openssl makes their
# certificates; strace checks the unit's system call filter
# (t_unit_security).
# faketime: t_query_filters sets the daemon's clock back; systemd-journal-
# remote: t_query_export imports `mmlogctl show -o export` into a journal.
# python3-minimal: Python's SysLogHandler and socket clients in the intake
# tests (t_syslog_clients, t_intake_activation, t_unit_security); systemd
# brings systemd-cat and systemd-journald (t_journal_clients,
# t_journald_forward), bsdutils logger.  libpcre2-dev: mmlogctl's -g
# (PCRE2, as journalctl's).
pkgs="gcc make pkg-config libev-dev libsystemd-dev check systemd procps gawk man-db
    groff-base libgnutls28-dev libcurl4-gnutls-dev rsyslog rsyslog-relp
    openssl strace faketime systemd-journal-remote python3-minimal bsdutils
    libpcre2-dev"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing missing build dependencies:$missing"
if [ "$(id -u)" = 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	echo "need root to install:$missing (apt-get install$missing)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q && $SUDO apt-get install -y -q $missing
