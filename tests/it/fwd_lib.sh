# fwd_lib.sh: shared by the forwarding tests (t_forward_*.sh), sourced
# after lib.sh.  A real rsyslogd runs in the foreground on 127.0.0.1 with
# a configuration the test writes: imrelp on a free port, one ruleset
# whose queue is Direct, so that imrelp answers a frame only after
# omfile wrote it (what "acknowledged" must mean for these tests), and
# omfile with RSYSLOG_SyslogProtocol23Format, which keeps the structured
# data.  Work directory, pid file and output are in the test's $T.
# The journal-remote tests run a real systemd-journal-remote instead
# (jr_start), whose journals journalctl reads back (jr_json).

MMLOGFWD=$IT_BUILD/mmlog-forward
RSYSLOGD=${RSYSLOGD:-$(command -v rsyslogd || echo /usr/sbin/rsyslogd)}
RS_N=0			# rsyslogds started so far
RS_PID=
RS_OUT=$T/rsyslog.out
FWD_N=0
FWD_SCHEME=relp		# fwd_start's transport
RS_INPUT_OPTS=		# more imrelp parameters (TLS)
RS_TCP_PORT=		# also imtcp on this port
FWD_PID=
FWD_ERR=

[ -x "$MMLOGFWD" ] || fail "mmlog-forward is not built ($MMLOGFWD)"
[ -x "$RSYSLOGD" ] || fail "rsyslogd not found (tests/deps.sh installs rsyslog and rsyslog-relp)"

RS_PORT=$("$HELPERS/tcpport" free) || fail "no free TCP port"

# rs_start: rsyslogd with imrelp on $RS_PORT, writing $RS_OUT.
rs_start() {
	RS_N=$((RS_N + 1))
	mkdir -p "$T/rs.work"
	cat >"$T/rsyslog.conf" <<EOF
global(workDirectory="$T/rs.work" maxMessageSize="64k")
module(load="imrelp")
input(type="imrelp" address="127.0.0.1" port="$RS_PORT" ruleset="fwd"
    $RS_INPUT_OPTS)
ruleset(name="fwd" queue.type="Direct") {
	action(type="omfile" file="$RS_OUT"
	    template="RSYSLOG_SyslogProtocol23Format")
}
EOF
	if [ -n "$RS_TCP_PORT" ]; then
		cat >>"$T/rsyslog.conf" <<EOF
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$RS_TCP_PORT" ruleset="fwd")
EOF
	fi
	rm -f "$T/rsyslog.pid"
	"$RSYSLOGD" -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" \
	    >>"$LOGS/rsyslogd.$RS_N.err" 2>&1 </dev/null &
	RS_PID=$!
	track "$RS_PID"
	wait_for "$(tmo 20)" "$HELPERS/tcpport" up "$RS_PORT" ||
	    fail "rsyslogd did not listen on port $RS_PORT (see rsyslogd.$RS_N.err)"
	[ -z "$RS_TCP_PORT" ] ||
	    wait_for "$(tmo 20)" "$HELPERS/tcpport" up "$RS_TCP_PORT" ||
	    fail "rsyslogd did not listen on port $RS_TCP_PORT"
	alive "$RS_PID" || fail "rsyslogd exited at start"
}

rs_kill() {
	kill -KILL "$RS_PID" 2>/dev/null
	wait "$RS_PID" 2>/dev/null
	untrack "$RS_PID"
	return 0
}

rs_stop() {
	kill -TERM "$RS_PID" 2>/dev/null
	wait_exit "$RS_PID" "$(tmo 20)" || fail "rsyslogd did not stop"
	untrack "$RS_PID"
}

# fwd_start [OPTIONS...]: mmlog-forward to our rsyslogd (or to $FWD_URL)
# in the background, with its cursor in $T/cursor and counters in
# $T/stats.
fwd_start() {
	FWD_N=$((FWD_N + 1))
	FWD_ERR=$T/fwd.$FWD_N.err
	"$MMLOGFWD" --to "${FWD_URL:-$FWD_SCHEME://127.0.0.1:$RS_PORT}" --file "$RING" \
	    --socket "$SOCK" --cursor-file "$T/cursor" \
	    --stats-file "$T/stats" --max-backoff 400 "$@" \
	    2>>"$FWD_ERR" </dev/null &
	FWD_PID=$!
	track "$FWD_PID"
}

# fwd_wait_exit: the forwarder (--once) must exit 0 by itself.
fwd_wait_exit() {
	wait_exit "$FWD_PID" "$(tmo 100)" || {
		tail -n 5 "$FWD_ERR" >&2
		fail "mmlog-forward did not finish"
	}
	untrack "$FWD_PID"
	[ "$EXIT_CODE" = 0 ] || {
		tail -n 5 "$FWD_ERR" >&2
		fail "mmlog-forward exited $EXIT_CODE"
	}
}

# stat_get KEY: a counter from the forwarder's stats file.
stat_get() {
	awk -F= -v k="$1" '$1 == k { print $2 }' "$T/stats" 2>/dev/null
}

# cursor_seq [FILE]: the seq in the cursor file ($T/cursor), in decimal
# (0 if none).
cursor_seq() {
	local c
	c=$(sed -n 's/.*i=\([0-9a-f]*\).*/\1/p' "${1:-$T/cursor}" 2>/dev/null)
	echo $(( 16#${c:-0} ))
}

# out_count: lines in rsyslog's file so far.
out_count() {
	if [ -f "$RS_OUT" ]; then
		wc -l <"$RS_OUT"
	else
		echo 0
	fi
}

# out_lines [FILE]: rsyslog's lines as "HOST<TAB>SEQ<TAB>MESSAGE" ("-"
# for a line without our seq, such as a loss notice).
out_lines() {
	awk '{
		s = "-"
		if (match($0, / seq="[0-9]+"/))
			s = substr($0, RSTART + 6, RLENGTH - 7)
		i = index($0, "\"] ")
		m = i ? substr($0, i + 3) : ""
		print $3 "\t" s "\t" m
	}' "${1:-$RS_OUT}"
}

# ring_seq_msg: the ring's entries as "SEQ<TAB>MESSAGE".
ring_seq_msg() {
	entries | awk -F '\t' '{ print $1 "\t" $5 }'
}

# tls_certs: a CA "ca", a server certificate "srv" (CN localhost) and a
# client one "clt" signed by it, and another CA "otherca", as
# $T/NAME.pem and $T/NAME.key (openssl, EC P-256).
tls_certs() {
	local ca
	command -v openssl >/dev/null || fail "openssl not found (tests/deps.sh installs it)"
	for ca in ca otherca; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -keyout "$T/$ca.key" -out "$T/$ca.pem" -days 2 \
		    -subj "/CN=mmlog test $ca" 2>/dev/null || fail "openssl: $ca"
	done
	_tls_cert srv localhost ca
	_tls_cert clt client ca
}

_tls_cert() {	# NAME CN CA
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout "$T/$1.key" -out "$T/$1.csr" -subj "/CN=$2" 2>/dev/null ||
	    fail "openssl req $1"
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$T/ext"
	openssl x509 -req -in "$T/$1.csr" -CA "$T/$3.pem" -CAkey "$T/$3.key" \
	    -CAcreateserial -out "$T/$1.pem" -days 2 -extfile "$T/ext" \
	    2>/dev/null || fail "openssl x509 $1"
}

# The imrelp options for TLS with the certificates of tls_certs.
RS_TLS_OPTS="tls=\"on\" tls.caCert=\"$T/ca.pem\" tls.myCert=\"$T/srv.pem\"
    tls.myPrivKey=\"$T/srv.key\" tls.authMode=\"certvalid\""

# systemd-journal-remote: jr_need skips the test without it (package
# systemd-journal-remote, which tests/deps.sh installs).
JR=${JR:-/lib/systemd/systemd-journal-remote}
JR_N=0			# journal-remotes started so far
JR_PID=
JR_DIR=$T/jr		# every journal it writes: jr.N.journal, rotated ones
JR_PORT=

jr_need() {
	if [ ! -x "$JR" ]; then
		note "SKIP: $JR is absent (package systemd-journal-remote)"
		exit 0
	fi
	command -v journalctl >/dev/null || fail "journalctl is missing"
	JR_PORT=$("$HELPERS/tcpport" free) || fail "no free TCP port"
	[ "$JR_PORT" != "$RS_PORT" ] || JR_PORT=$("$HELPERS/tcpport" free)
}

# jr_start [https]: systemd-journal-remote on 127.0.0.1:$JR_PORT, writing
# $JR_DIR/jr.N.journal; https with the server certificate of tls_certs,
# and our client's checked against the CA where journal-remote can
# (Debian 12's is built without --trust: "Option --trust is not
# available", and takes any client).
jr_start() {
	local listen=--listen-http=127.0.0.1:$JR_PORT tls=
	JR_N=$((JR_N + 1))
	mkdir -p "$JR_DIR"
	if [ "${1:-}" = https ]; then
		listen=--listen-https=127.0.0.1:$JR_PORT
		tls="--key=$T/srv.key --cert=$T/srv.pem"
		"$JR" --trust="$T/ca.pem" --help 2>&1 | grep -q 'not available' ||
		    tls="$tls --trust=$T/ca.pem"
	fi
	# shellcheck disable=SC2086
	"$JR" "$listen" $tls --output="$JR_DIR/jr.$JR_N.journal" \
	    --split-mode=none >>"$LOGS/journal-remote.$JR_N.err" 2>&1 </dev/null &
	JR_PID=$!
	track "$JR_PID"
	wait_for "$(tmo 20)" "$HELPERS/tcpport" up "$JR_PORT" ||
	    fail "systemd-journal-remote did not listen on $JR_PORT (see journal-remote.$JR_N.err)"
	alive "$JR_PID" || fail "systemd-journal-remote exited at start"
}

jr_stop() {
	kill -TERM "$JR_PID" 2>/dev/null
	wait_exit "$JR_PID" "$(tmo 20)" || fail "systemd-journal-remote did not stop"
	untrack "$JR_PID"
}

jr_kill() {
	kill -KILL "$JR_PID" 2>/dev/null
	wait "$JR_PID" 2>/dev/null
	untrack "$JR_PID"
	return 0
}

# jr_json: every entry of every journal written so far, as journalctl
# -o json lines: journal-remote 1's, then 2's...  Each is read on its
# own: reading several journals at once, journalctl shows an entry that
# is in two of them (the same times, boot id and content) only once,
# and the copies an entry sent again has are what some tests count.
jr_json() {
	local n
	for n in $(seq 1 "$JR_N"); do
		jr_json_of "$n"
	done
}

# jr_json_of N: the entries of journal-remote N's journal (its file and
# those it rotated), in order.
jr_json_of() {
	local f files=()
	for f in "$JR_DIR/jr.$1.journal" "$JR_DIR/jr.$1@"*.journal; do
		[ -e "$f" ] && files+=(--file "$f")
	done
	[ ${#files[@]} -gt 0 ] || return 0
	journalctl "${files[@]}" -o json --no-pager 2>"$T/journalctl.err" ||
	    fail "journalctl --file: $(head -n 3 "$T/journalctl.err")"
}

# jr_count: entries in the journals.
jr_count() {
	jr_json | wc -l
}
