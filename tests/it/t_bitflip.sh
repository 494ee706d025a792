#!/bin/bash
# Bit rot.  A full, wrapped 1 MiB ring is closed in order, then 100
# distinct bytes of its entries are flipped (ringhack, seeded: IT_SEED,
# default 4), which also says which entries it damaged.  Then:
# - mmlogctl verify exits 1 and reports every damaged record, as a
#   problem, at the record's offset and with exactly its seqs: the union
#   of the reported seqs is exactly the set ringhack damaged;
# - mmlogctl show (all, -n, -r) prints every undamaged entry unchanged,
#   never a damaged one, and says how many it lost, where;
# - mmlogd starts on the damaged ring, keeps logging (the new entries
#   overwrite damaged ones on their way), and everything above still
#   holds afterwards.
# The same with a few damaged records at the edges: the oldest entry, the
# newest (payload, header, the two newest), a seq field, a run of three,
# the WRAP marker, the entry after it; and the daemon evicting a record
# whose seq field is damaged.  What readers must show is computed from
# the clean ring and a scan of the damaged one, never from its header.
# Last, a flipped byte anywhere in the static header makes mmlogd refuse
# the file with the reason, and leaves it unchanged.
. "$(dirname "$0")/lib.sh"

need_ctl
SEED=${IT_SEED:-4}
FLIPS=100
note "seed $SEED"
# Wrong reports are collected, so that one run lists all of them.
FAILED=
flag() {
	echo "FAIL: $*" >&2
	FAILED="${FAILED:+$FAILED; }$1"
}

start_daemon --size 1M --sync-interval 100
# Records of 176 bytes: 1 MiB holds about 5950, so 12000 wrap it twice.
loadgen -t bf -n 12000 -z 100 2>"$T/lg.err" || fail "loadgen: $(cat "$T/lg.err")"
stop_daemon
ring_entries | cut -f 1,5 >"$T/orig" || fail "ringcat failed"
"$HELPERS/ringhack" recs "$RING" >"$T/recs" || fail "ringhack recs failed"
grep -q ' wrap$' "$T/recs" || fail "the ring did not wrap"
cp "$RING" "$T/ring.clean"
tail0=$(head -n 1 "$T/orig" | cut -f 1)
: >"$T/none"


# expect EXTRA: from ringhack's account of the damage ($T/damaged.all,
# "SEQ OFF" per damaged entry), the clean ring's layout ($T/recs, $T/orig)
# and a scan of the ring as it is now, what readers must find: the old
# entries whose bytes no newer record (seq above the old newest) has
# overwritten or retired (a WRAP retires the rest of the region), less
# the damaged ones, then the lines of EXTRA (entries written since), into
# $T/want; the damaged entries still there into $T/damaged.  Nothing
# here trusts the header's tail.
expect() {
	"$HELPERS/ringhack" scan "$RING" >"$T/scan" || fail "ringhack scan failed"
	# The writer also clears the 64 bytes after its newest record (the
	# slot where the head is): what lay there is gone too.
	awk -v newest="$newest" -v cap=1048576 '
	FILENAME == ARGV[1] {
		if ($1 > newest || ($1 == newest + 1 && $5 == "wrap")) {
			lo[++n] = $2; hi[n] = ($5 == "wrap") ? cap : $2 + $4
			if ($5 != "wrap" && $1 > top) {
				top = $1; gend = $2 + $4 + (8 - $4 % 8) % 8 }
		}
		next }
	FNR == 1 && top > 0 && cap - gend >= 64 { lo[++n] = gend; hi[n] = gend + 64 }
	{
		for (i = 1; i <= n; i++)
			if ($2 < hi[i] && $2 + $4 > lo[i]) { print $1; next }
	}' "$T/scan" "$T/recs" >"$T/gone"
	awk 'FILENAME == ARGV[1] { gone[$1] = 1; next } !($1 in gone)' \
	    "$T/gone" "$T/damaged.all" >"$T/damaged"
	awk -F '\t' '
	FILENAME == ARGV[1] { gone[$1] = 1; next }
	FILENAME == ARGV[2] { split($0, a, " "); gone[a[1]] = 1; next }
	!($1 in gone)' "$T/gone" "$T/damaged.all" "$T/orig" >"$T/want"
	cat "$1" >>"$T/want"
}

# check_verify WHAT [OKOFF]: verify's report on $RING against
# $T/damaged: it exits 1 if anything is damaged, else 0, and reports each
# damaged entry as a problem at the offset of the record where its run of
# lost seqs starts, and no other seq.  OKOFF: the offset of a damaged
# record that holds no entry (a WRAP), which may be reported without seqs.
check_verify() {
	local what=$1 okoff=${2:-none} rc nprob want_rc
	timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$RING" verify \
	    >"$T/verify.out" 2>"$T/verify.err"
	rc=$?
	cp "$T/verify.out" "$LOGS/verify.$what.out"
	[ "$rc" -le 1 ] || fail "$what: verify exited $rc" \
	    "$(tail -n 3 "$T/verify.out" "$T/verify.err")"
	want_rc=0
	[ -s "$T/damaged" ] || [ "$okoff" != none ] && want_rc=1
	[ "$rc" = "$want_rc" ] || flag "$what: verify exited $rc, expected" \
	    "$want_rc: $(grep -v '^verifying' "$T/verify.out" | head -n 3)"
	# Each problem as "OFFHEX FIRST LAST" (FIRST LAST "-" if it names no
	# seq), "durable SEQ" for the durable seq lost with the newest
	# entries, or "? line" if it is not about a damaged record.
	awk '
	function range(r, off) {
		if (r !~ /^[0-9]+(\.\.[0-9]+)?$/) { print off, "-", "-"; return }
		n = split(r, a, /\.\./); print off, a[1], a[n] }
	/^problem: damaged record at offset 0x/ {
		off = $6; sub(/^0x/, "", off)
		r = $0; sub(/.*\): seq /, "", r); sub(/ lost;.*/, "", r)
		range(r, off); next }
	/^problem: the records end at offset 0x/ {
		off = $7; sub(/^0x/, "", off)
		r = $0; sub(/.*: seq /, "", r); sub(/ missing.*/, "", r)
		range(r, off); next }
	/^problem: durable seq [0-9]+ is not in the ring/ { print "durable", $4; next }
	/^problem:/ { print "?", $0 }
	/^note: sequence numbers jump/ { print "?", $0 }
	' "$T/verify.out" >"$T/reported"
	awk -v okoff="$okoff" '
	FILENAME == ARGV[1] { dmg[$1] = 1; off[$1] = $2; next }
	FILENAME == ARGV[2] { if ($5 == "entry") roff[$1] = $2; next }
	$1 == "?" { sub(/^\? /, ""); print "unexpected: " $0; bad = 1; next }
	$1 == "durable" {
		if (!($2 in dmg)) { printf "durable seq %s called lost, but it is whole\n", $2; bad = 1 }
		next }
	$2 == "-" {
		if ($1 != okoff) { printf "a problem at 0x%s names no seq\n", $1; bad = 1 }
		next }
	{
		o = sprintf("%x", roff[$2])
		if (!($2 in roff))
			{ printf "reported seq %s is not in the ring\n", $2; bad = 1 }
		else if (o != $1) {
			printf "seqs %s..%s reported at offset 0x%s, but seq %s is at 0x%s\n", $2, $3, $1, $2, o
			bad = 1 }
		for (s = $2; s <= $3; s++) {
			if (!(s in dmg)) { printf "seq %s reported lost, but it is whole\n", s; bad = 1 }
			seen[s] = 1
		}
	}
	END {
		for (s in dmg) if (!(s in seen)) {
			printf "damaged seq %s (offset 0x%x) not reported\n", s, off[s]
			bad = 1 }
		exit bad
	}' "$T/damaged" "$T/recs" "$T/reported" | sort >"$T/verify.why"
	[ -s "$T/verify.why" ] && flag "$what: verify misreports" \
	    "the damage: $(head -n 12 "$T/verify.why")" \
	    "($(wc -l <"$T/verify.why") lines; see verify.$what.out)"
	nprob=$(grep -c '^problem:' "$T/verify.out")
	grep -q "; $nprob problems*\$" "$T/verify.out" ||
	    flag "$what: verify's summary does not count its $nprob problems:" \
	    "$(tail -n 1 "$T/verify.out")"
	return 0
}

# check_show WHAT: show prints exactly $T/want, and reports every entry
# of $T/damaged as lost, at the offset of the record where the loss
# starts; -n 100 and -r agree.
check_show() {
	local what=$1 rc f
	timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$RING" show -o json \
	    >"$T/show.json" 2>"$T/show.err"
	rc=$?
	cp "$T/show.err" "$LOGS/show.$what.err"
	[ "$rc" = 0 ] || fail "$what: show exited $rc: $(tail -n 3 "$T/show.err")"
	json_fields __SEQNUM MESSAGE <"$T/show.json" >"$T/got"
	cmp -s "$T/want" "$T/got" ||
	    flag "$what: show differs from the whole entries:" \
	    "$(diff "$T/want" "$T/got" | head -n 8)"
	# "N entries lost (corrupt record at offset 0xOFF: why)": a run of N
	# damaged seqs from the record at OFF.
	awk '
	FILENAME == ARGV[1] { dmg[$1] = 1; total++; next }
	FILENAME == ARGV[2] { if ($5 == "entry") at[sprintf("%x", $2)] = $1
		next }
	/entries lost/ {
		n = $2; o = $0; sub(/.*offset 0x/, "", o); sub(/[^0-9a-f].*/, "", o)
		sum += n
		if (!(o in at)) { printf "loss of %d at 0x%s: no entry starts there\n", n, o; bad = 1; next }
		for (s = at[o]; s < at[o] + n; s++)
			if (!(s in dmg)) { printf "loss of %d at 0x%s includes whole seq %s\n", n, o, s; bad = 1 }
		if ($0 ~ /unclean shutdown/) { printf "damage called an unclean shutdown: %s\n", $0; bad = 1 }
		next }
	/damaged|corrupt/ { next }
	{ printf "unexpected: %s\n", $0; bad = 1 }
	END {
		if (sum != total) { printf "show reports %d lost entries, %d are damaged\n", sum, total; bad = 1 }
		exit bad
	}' "$T/damaged" "$T/recs" "$T/show.err" >"$T/show.why"
	[ -s "$T/show.why" ] && flag "$what: show misreports the loss:" \
	    "$(head -n 8 "$T/show.why")"
	# The seeking paths: the newest 100, and newest first.
	timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$RING" show -n 100 \
	    -o json >"$T/show-n.json" 2>>"$T/show-n.err" ||
	    fail "$what: show -n 100 failed: $(tail -n 3 "$T/show-n.err")"
	json_fields __SEQNUM MESSAGE <"$T/show-n.json" >"$T/got-n"
	tail -n 100 "$T/want" | cmp -s - "$T/got-n" ||
	    flag "$what: show -n 100 is not the newest 100 whole entries:" \
	    "$(tail -n 100 "$T/want" | diff - "$T/got-n" | head -n 6)"
	timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$RING" show -r -o json \
	    >"$T/show-r.json" 2>>"$T/show-r.err" ||
	    fail "$what: show -r failed: $(tail -n 3 "$T/show-r.err")"
	json_fields __SEQNUM MESSAGE <"$T/show-r.json" | tac | cmp -s - "$T/want" ||
	    flag "$what: show -r is not the whole entries, newest first"
	for f in short cat export; do
		timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$RING" show -o "$f" \
		    >/dev/null 2>>"$T/show-o.err" ||
		    fail "$what: show -o $f failed: $(tail -n 3 "$T/show-o.err")"
	done
	return 0
}

# daemon WHAT N: mmlogd on the damaged ring takes N ACKed entries (which
# overwrite old records, stepping over damaged ones), numbered on from the
# newest, and stops in order; the lines go to $T/after.
daemon() {
	start_daemon --sync-interval 100
	loadgen -t after -n "$2" -z 100 -a >"$T/after.acked" 2>"$T/lg.err" ||
	    fail "$1: loadgen on the damaged ring: $(cat "$T/lg.err")"
	alive "$DPID" || fail "$1: mmlogd died on the damaged ring"
	stop_daemon
	assert_eq "$1: ACKed entries" "$2" "$(wc -l <"$T/after.acked")"
	sed 's/ /\t/' "$T/after.acked" >"$T/after"
	assert_eq "$1: first new seq" $((newest + 1)) \
	    "$(head -n 1 "$T/after" | cut -f 1)"
}

newest=$(tail -n 1 "$T/orig" | cut -f 1)

# --- 100 random flips.
"$HELPERS/ringhack" flip "$RING" "$SEED" "$FLIPS" >"$T/damaged.all" \
    2>"$T/flips" || fail "ringhack flip: $(tail -n 2 "$T/flips")"
[ "$LOGS" = "$T" ] || cp "$T/flips" "$LOGS/flips"
assert_eq "bytes flipped" "$FLIPS" "$(grep -c '^flip ' "$T/flips")"
note "$FLIPS flipped bytes damaged $(wc -l <"$T/damaged.all") of" \
    "$(wc -l <"$T/orig") entries"
cmp -s "$RING" "$T/ring.clean" && fail "ringhack changed nothing"
expect "$T/none"
check_verify random
check_show random
# The independent reader crosses the damage too (it stops, with an
# error, only where the newest entries are damaged and nothing follows).
ring_entries 2>&1 >/dev/null | grep -v '^ringcat: gap of ' |
    awk 'FILENAME == ARGV[1] { dmg[$1] = 1; next }
    !($2 == "seq" && ($3 in dmg)) { print; exit 1 }' "$T/damaged" - \
    >"$T/ringcat.why" || fail "ringcat on the damaged ring: $(cat "$T/ringcat.why")"

# The daemon starts on it and keeps logging; 2000 new entries overwrite
# a third of the ring.
daemon restarted 2000
expect "$T/after"
check_verify restarted
check_show restarted
note "after 2000 new entries: $(wc -l <"$T/gone") old entries overwritten," \
    "$(wc -l <"$T/damaged") damaged ones left"

# --- A few damaged records at a time, at the edges.
# edge WHAT TYPE BYTE MASK SEQ...: XORs byte BYTE of the records of type
# TYPE (entry, wrap) that carry the SEQs with MASK, in a fresh copy of
# the clean ring, then checks verify and show.
edge() {
	local what=$1 type=$2 byte=$3 mask=$4 seq off okoff=
	shift 4
	cp "$T/ring.clean" "$RING"
	: >"$T/damaged.all"
	for seq in "$@"; do
		off=$(awk -v s="$seq" -v t="$type" '$1 == s && $5 == t { print $2 }' \
		    "$T/recs")
		[ -n "$off" ] || fail "$what: no $type record with seq $seq"
		"$HELPERS/ringhack" xor "$RING" $((4096 + off + byte)) "$mask" ||
		    fail "ringhack xor failed"
		if [ "$type" = entry ]; then
			echo "$seq $off" >>"$T/damaged.all"
		else
			okoff=$(printf %x "$off")
		fi
	done
	expect "$T/none"
	check_verify "$what" "$okoff"
	check_show "$what"
}
wrapseq=$(awk '$5 == "wrap" { print $1 }' "$T/recs")
edge oldest-len entry 4 0x55 "$tail0"
edge newest-payload entry 150 0x55 "$newest"
edge newest-len entry 4 0x55 "$newest"
edge newest-two entry 150 0x55 $((newest - 1)) "$newest"
edge middle-seq entry 26 0x55 9000
edge middle-three entry 100 0x55 8000 8001 8002
edge wrap-marker wrap 20 0x55 "$wrapseq"
edge after-wrap entry 100 0x55 "$wrapseq"

# The daemon evicting damaged records: the sixth oldest entry's seq
# field damaged, to a value far beyond any seq (bit 45) or to one within
# the ring's range (bit 11: 2048 more); 10 new entries make the daemon
# evict that record.  It keeps the rest, and numbers on above the newest.
edge evict-huge-seq entry 29 0x20 $((tail0 + 5))
daemon evict-huge-seq 10
expect "$T/after"
check_verify evict-huge-seq
check_show evict-huge-seq
edge evict-seq-in-range entry 25 0x08 $((tail0 + 5))
daemon evict-seq-in-range 10
expect "$T/after"
check_verify evict-seq-in-range
check_show evict-seq-in-range

# --- The static header: any flipped byte there is refused with the
# reason, and the file is left as it was.
for spec in 0:magic 5:magic 8:version 10:version 12:'header size' \
    14:'header size' 16:checksum 21:checksum 30:checksum 42:checksum \
    50:checksum 56:checksum 59:checksum; do
	pos=${spec%%:*}
	want=${spec#*:}
	cp "$T/ring.clean" "$T/hdr"
	"$HELPERS/ringhack" xor "$T/hdr" "$pos" $(( (pos * 37 + SEED) % 255 + 1 )) ||
	    fail "ringhack xor failed"
	sum=$(sha256sum <"$T/hdr")
	run_refused "header byte $pos flipped" --socket "$SOCK" --file "$T/hdr"
	[ "$EXIT_CODE" = 1 ] || fail "header byte $pos: exit $EXIT_CODE, expected 1"
	grep -q "refusing ring '$T/hdr'" "$DERR" ||
	    fail "header byte $pos: no refusal naming the file: $(cat "$DERR")"
	grep -qi "$want" "$DERR" ||
	    fail "header byte $pos: the reason is not about the $want: $(cat "$DERR")"
	assert_eq "header byte $pos: file unchanged" "$sum" "$(sha256sum <"$T/hdr")"
	ls "$T"/hdr.new-* >/dev/null 2>&1 && fail "header byte $pos: temporary file left"
	[ -e "$SOCK" ] && fail "header byte $pos: socket left behind"
	timeout -k 2 "$(tmo 60)" "$MMLOGCTL" --file "$T/hdr" verify \
	    >"$T/hv.out" 2>&1
	rc=$?
	[ "$rc" = 1 ] || fail "header byte $pos: verify exited $rc, expected 1"
	grep -qi "$want" "$T/hv.out" ||
	    fail "header byte $pos: verify does not name the $want: $(cat "$T/hv.out")"
done
note "13 static header flips refused, files unchanged"
[ -z "$FAILED" ] || fail "$FAILED"
