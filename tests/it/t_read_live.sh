#!/bin/bash
# Readers of a ring the daemon is busy overwriting: one writer goes
# round a 64 KiB ring again and again while mmlogctl show and verify run
# over and over.  Every entry show prints is whole and is the one with
# its seq (a single writer on a fresh ring: message "w K" has seq K);
# seqs only increase, and each gap is announced (-o cat: inline) as
# exactly that many entries lost.  verify never reports damage that is
# not there.
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 64K
"$HELPERS/loadgen" -s "$SOCK" -t w -n 100000000 -z 120 >/dev/null 2>&1 &
lg=$!
track $lg
wrapped() { [ "$(header_field wraps)" -ge 2 ]; }
wait_for "$(tmo 10)" wrapped ||
    fail "the writer did not get round the ring"

shows=0 verifies=0 lost_total=0
end=$(( $(date +%s) + 4 ))
while [ "$(date +%s)" -lt "$end" ]; do
	# json: every entry whole, the one with its seq, seqs increasing.
	"$MMLOGCTL" --file "$RING" show -o json >"$T/s.json" 2>"$T/s.err"
	rc=$?
	[ $rc -le 1 ] || fail "show exited $rc: $(cat "$T/s.err")"
	json_fields __SEQNUM MESSAGE <"$T/s.json" >"$T/s.tsv"
	[ -s "$T/s.tsv" ] || fail "show printed nothing: $(cat "$T/s.err")"
	awk -F '\t' '
	{
		split($2, w, " ")
		if (w[1] != "w" || w[2] + 0 != $1 || length($2) != 120) {
			printf "seq %s: \"%s\"\n", $1, substr($2, 1, 30); exit 1
		}
		if (NR > 1 && $1 <= prev) { printf "seq %s after %s\n", $1, prev; exit 1 }
		prev = $1
	}' "$T/s.tsv" >"$T/why" || fail "show -o json: $(cat "$T/why")"

	# cat: the loss notes between two entries add up to the gap.
	"$MMLOGCTL" --file "$RING" show -o cat >"$T/s.cat" 2>"$T/s.err"
	rc=$?
	[ $rc -le 1 ] || fail "show exited $rc: $(cat "$T/s.err")"
	awk '
	/^-- [0-9]+ entries lost/ { pending += $2; next }
	/^w [0-9]+x+$/ {
		k = $2 + 0
		if (length($0) != 120) { print "torn:", substr($0, 1, 30); exit 1 }
		if (seen && k - prev - 1 != pending) {
			printf "%d follows %d, but %d announced lost\n", k, prev, pending
			exit 1
		}
		if (seen) lost += pending
		pending = 0; prev = k; seen = 1; next
	}
	{ print "odd line:", substr($0, 1, 40); exit 1 }
	END { print lost + 0 }' "$T/s.cat" >"$T/why" || fail "show -o cat: $(cat "$T/why")"
	lost_total=$((lost_total + $(cat "$T/why")))
	shows=$((shows + 1))

	"$MMLOGCTL" --file "$RING" verify >"$T/v.out" 2>"$T/v.err" ||
	    fail "verify failed on a healthy live ring: $(grep -i problem "$T/v.out" | head -n 3) $(cat "$T/v.err")"
	verifies=$((verifies + 1))
done
alive $lg || fail "the writer stopped"
note "$shows shows ($lost_total entries lost to overwrite, all announced), $verifies verifies"
[ "$shows" -ge 3 ] || fail "only $shows shows in 4 s"
kill $lg
wait $lg 2>/dev/null
stop_daemon
"$MMLOGCTL" --file "$RING" verify >/dev/null || fail "verify after stop"
