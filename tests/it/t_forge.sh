#!/bin/bash
# A client plants a record header (sshd[1], uid 0, valid CRC, the next
# seq) inside its message where the head will land a lap later (forge.c).
# The daemon clears the slot at its head before publishing it, and
# recovery follows only the exact next seq: the forgery is never shown,
# live or after a restart, and a forged seq near 2^64 cannot make the
# numbering wrap.
. "$(dirname "$0")/lib.sh"

need_ctl
for fake in next huge; do
	rm -f "$RING"
	start_daemon --size 1M
	if [ "$fake" = huge ]; then
		"$HELPERS/forge" "$SOCK" "$RING" 0xfffffffffffffffe >"$T/forge.out" 2>&1
	else
		"$HELPERS/forge" "$SOCK" "$RING" >"$T/forge.out" 2>&1
	fi || fail "$fake: forge failed: $(cat "$T/forge.out")"
	ctl --file "$RING" show -o json >"$T/live.json" 2>"$T/live.err" ||
	    fail "$fake: show failed: $(cat "$T/live.err")"
	grep -q 'Accepted password' "$T/live.json" &&
	    fail "$fake: the forged entry is shown while the daemon runs"
	stop_daemon
	start_daemon
	next=$(grep ' ready: ' "$DERR" | sed -n 's/.*next seq \([0-9]*\)$/\1/p')
	[ -n "$next" ] && [ "$next" -lt 1000000 ] ||
	    fail "$fake: numbering after the restart: next seq '$next'"
	loadgen -t after -n 3 -a >"$T/after" 2>"$T/lg.err" ||
	    fail "$fake: loadgen after the restart: $(cat "$T/lg.err")"
	ctl --file "$RING" show -o json >"$T/after.json" 2>"$T/after.err" ||
	    fail "$fake: show failed: $(cat "$T/after.err")"
	grep -q 'Accepted password' "$T/after.json" &&
	    fail "$fake: the forged entry is shown after a restart"
	grep -q '"_UID" *: *"0"' "$T/after.json" && [ "$(id -u)" != 0 ] &&
	    fail "$fake: an entry claims uid 0"
	ctl --file "$RING" verify >"$T/verify.out" 2>&1 ||
	    fail "$fake: verify: $(grep -i problem "$T/verify.out")"
	stop_daemon
done

# --- Records forged inside a message (issue 16, finding 1).  A client
# that cannot read the ring (uid 65534 when we are root) writes one entry
# whose message holds 20 complete records, CRC and all, numbered just
# after it, from sshd, pid 1, uid 0 (forge plant); real entries follow.
# Then one byte of its own record's header is damaged (bit rot), or the
# file is put in the state a power loss leaves (dirty, another boot, the
# record after it never reached the disk, the header's head ahead).  No
# reader (show -o json, show, mmlog-forward) and no restarted mmlogd may
# present a forged record, and every real entry after them must still be
# shown.  The same on an unkeyed ring (what an older mmlogd wrote:
# ringhack unkey), where the chain proof alone keeps the forgeries out,
# and which mmlogd converts to a keyed ring when it starts.
. "$(dirname "$0")/fwd_lib.sh"
AS=
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	AS="setpriv --reuid 65534 --regid 65534 --clear-groups"
	chmod 711 "$T"		# the forger reaches the socket, not the ring
fi
RS_TCP_PORT=$("$HELPERS/tcpport" free) || fail "no free TCP port"
[ "$RS_TCP_PORT" != "$RS_PORT" ] || RS_TCP_PORT=$("$HELPERS/tcpport" free)
rs_start

rm -f "$RING"
start_daemon --size 1M
loadgen -t before -n 20 -a >/dev/null 2>"$T/lg.err" || fail "loadgen before"
# shellcheck disable=SC2086
$AS "$HELPERS/forge" plant "$SOCK" 20 >"$T/plant.out" 2>&1 ||
    fail "forge plant: $(cat "$T/plant.out")"
# shellcheck disable=SC2086
[ -n "$AS" ] && $AS cat "$RING" >/dev/null 2>&1 &&
    fail "the unprivileged forger can read the ring"
own=$(awk '$1 == "own" { print $2 }' "$T/plant.out")
[ -n "$own" ] || fail "forge plant: $(cat "$T/plant.out")"
# More than MML_WALK_REACH (64 KiB) of real entries after the forgery.
loadgen -t after -n 400 -z 200 -a >/dev/null 2>"$T/lg.err" || fail "loadgen after"
stop_daemon
ring_entries | cut -f 1,5 >"$T/real"
grep -q FORGED "$T/real" && fail "the independent reader shows a forgery"
"$HELPERS/ringhack" scan "$RING" >"$T/scan.planted"
"$HELPERS/ringhack" recs "$RING" >"$T/recs.planted"
own_off=$(awk -v s="$own" '$1 == s && $5 == "entry" { print $2 }' "$T/recs.planted")
next_off=$(awk -v s="$((own + 1))" '$1 == s && $5 == "entry" { print $2 }' "$T/recs.planted")
next_size=$(awk -v s="$((own + 1))" '$1 == s && $5 == "entry" { print $4 }' "$T/recs.planted")
[ -n "$own_off" ] && [ -n "$next_off" ] || fail "no record of seq $own or after"
cp "$RING" "$T/ring.planted"
note "forger's entry $own at offset $own_off, $AS"

# readers WHAT WANT [prefix]: show -o json presents exactly WANT ("SEQ
# TAB MESSAGE" lines; with "prefix", a prefix of WANT that holds every
# entry up to $own), show and mmlog-forward (tcp, --once, to rsyslogd)
# the same entries; none presents a forged record.
readers() {
	local what=$1 want=$2 mode=${3:-exact} n
	timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$RING" show -o json \
	    >"$T/r.json" 2>"$T/r.err" ||
	    fail "$what: show -o json exited $?: $(tail -n 2 "$T/r.err")"
	# A forged record is sshd's (the forger's own entry holds the same
	# bytes in its message, and may be shown as such).
	json_fields SYSLOG_IDENTIFIER _PID <"$T/r.json" | grep -q '^sshd' &&
	    fail "$what: show -o json presents a forged record"
	# (The forger's own message is binary: compared as present only.)
	json_fields __SEQNUM MESSAGE <"$T/r.json" | grep -v 'ring converted\|unclean shutdown' |
	    awk -F '\t' -v o="$own" '$1 == o { $0 = o "\t-" } 1' >"$T/r.got"
	awk -F '\t' -v o="$own" '$1 == o { $0 = o "\t-" } 1' "$want" \
	    >"$T/r.want"
	want=$T/r.want
	if [ "$mode" = exact ]; then
		cmp -s "$want" "$T/r.got" || fail "$what: show -o json is not" \
		    "every real entry: $(diff "$want" "$T/r.got" | head -n 6)"
	else
		n=$(wc -l <"$T/r.got")
		head -n "$n" "$want" | cmp -s - "$T/r.got" ||
		    fail "$what: show -o json is not real entries in order:" \
		    "$(head -n "$n" "$want" | diff - "$T/r.got" | head -n 6)"
		awk -F '\t' -v o="$own" '$1 <= o' "$want" | cmp -s - \
		    <(awk -F '\t' -v o="$own" '$1 <= o' "$T/r.got") ||
		    fail "$what: entries up to $own are not all shown"
	fi
	timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$RING" show \
	    >"$T/r.txt" 2>&1 || fail "$what: show exited $?"
	grep -q ' sshd\[1\]: FORGED' "$T/r.txt" && fail "$what: show" \
	    "presents a forged record: $(grep ' sshd\[' "$T/r.txt" | head -n 1)"
	[ "$(grep -c ' after\[' "$T/r.txt")" = "$(grep -c '	after' "$T/r.got")" ] ||
	    fail "$what: show and show -o json disagree"
	: >"$RS_OUT"
	rm -f "$T/cursor"
	timeout -k 2 "$(tmo 60)" "$MMLOGFWD" --to "tcp://127.0.0.1:$RS_TCP_PORT" \
	    --file "$RING" --socket "$SOCK" --cursor-file "$T/cursor" --once \
	    2>"$T/fwd.err" || fail "$what: mmlog-forward exited $?:" \
	    "$(tail -n 2 "$T/fwd.err")"
	n=$(wc -l <"$T/r.got")
	wait_for "$(tmo 20)" eval '[ "$(out_lines | awk -F "\t" "\$2 != \"-\"" |
	    wc -l)" -ge "$n" ]' || fail "$what: rsyslog took" \
	    "$(out_count) lines, not $n"
	grep -q ' sshd 1 ' "$RS_OUT" && fail "$what: mmlog-forward sent a" \
	    "forged record: $(grep ' sshd 1 ' "$RS_OUT" | head -n 1)"
	out_lines | awk -F '\t' -v o="$own" '$2 != "-" { print $2 "\t" \
	    ($2 == o ? "-" : $3) }' | grep -v 'ring converted\|unclean shutdown' |
	    cmp -s - "$T/r.got" ||
	    fail "$what: mmlog-forward did not send what show shows"
}

# bitrot: the forger's own record, its length field damaged.
bitrot() {
	"$HELPERS/ringhack" xor "$RING" $((4096 + own_off + 4)) 0x55 ||
	    fail "ringhack xor"
}

# powerloss: dirty, another boot, the durable cursor just after the
# forger's entry, the next record lost; the header's head_seq is ahead.
powerloss() {
	dd if=/dev/zero of="$RING" bs=1 seek=$((4096 + next_off)) \
	    count="$next_size" conv=notrunc 2>/dev/null
	dd if=/dev/zero of="$RING" bs=1 seek=128 count=16 conv=notrunc 2>/dev/null
	"$HELPERS/ringhack" poke32 "$RING" 60 1 &&
	"$HELPERS/ringhack" poke64 "$RING" 64 "$next_off" &&
	"$HELPERS/ringhack" poke64 "$RING" 72 "$own" || fail "ringhack poke"
}

awk -F '\t' -v o="$own" '$1 != o' "$T/real" >"$T/want.rot"
awk -F '\t' -v o="$own" '$1 != o + 1' "$T/real" >"$T/want.loss"
awk -F '\t' -v o="$own" '$1 <= o' "$T/real" >"$T/want.durable"
for fmt in keyed unkeyed; do
	for dmg in bitrot powerloss; do
		cp "$T/ring.planted" "$RING"
		if [ "$fmt" = unkeyed ]; then
			"$HELPERS/ringhack" unkey "$RING" >/dev/null ||
			    fail "ringhack unkey"
		fi
		$dmg
		if [ "$dmg" = bitrot ]; then
			want=$T/want.rot
		else
			want=$T/want.loss
		fi
		mode=exact
		# Unkeyed, not closed cleanly: the newest 64 KiB are unproven.
		[ "$fmt$dmg" = unkeyedpowerloss ] && mode=prefix
		readers "$fmt, $dmg" "$want" "$mode"
		start_daemon
		if [ "$fmt" = unkeyed ]; then
			grep -q "converted to keyed record checksums" "$DERR" ||
			    fail "$fmt, $dmg: mmlogd did not convert the ring"
		fi
		# After a power loss, recovery ends the ring at the lost record.
		[ "$dmg" = powerloss ] && want=$T/want.durable
		awk -F '\t' '$2 !~ /unclean shutdown/' "$want" >"$T/want.now"
		readers "$fmt, $dmg, mmlogd restarted" "$T/want.now" \
		    "$( [ "$dmg" = powerloss ] && echo prefix || echo exact)"
		stop_daemon
	done
done
rs_stop
note "forged records never presented: keyed and unkeyed, bit rot and power loss"
