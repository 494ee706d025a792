#!/bin/bash
# -b with --since when the clock went back between boots (a machine
# without a battery-backed clock): boot A's entries are written now,
# boot B's by an mmlogd whose clock (libfaketime) stands two days back.
# `show -b -1 --since T` must show boot A's entries from T on, though
# the seek by time, misled by boot B's older times, lands past boot A
# (it printed "-- No entries --"); the other combinations stay right.
. "$(dirname "$0")/lib.sh"

need_ctl
need_faketime
A=0123456789abcdef0123456789abcdef
B=fedcba9876543210fedcba9876543210
N=20000

start_daemon_env "MMLOGD_TEST_BOOT_ID=$A" --size 8M
t0=$(date +%s)
loadgen -t a -n $N -p 6 >/dev/null 2>"$T/lg.err" || fail "loadgen A"
ctl write --sync -t a "a last" >/dev/null || fail "write A"
stop_daemon
start_daemon_env "MMLOGD_TEST_BOOT_ID=$B LD_PRELOAD=$FAKETIME_LIB FAKETIME=-2d \
FAKETIME_DONT_FAKE_MONOTONIC=1 ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0" --size 8M
loadgen -t b -n $N -p 6 >/dev/null 2>"$T/lg.err" || fail "loadgen B"
ctl write --sync -t b "b last" >/dev/null || fail "write B"

show() { ctl --file "$RING" show "$@"; }
count() { show "$@" -o json | wc -l; }
tA=$(show -b -1 -n 1 -o json | json_fields __REALTIME_TIMESTAMP)
tB=$(show -b 0 -n 1 -o json | json_fields __REALTIME_TIMESTAMP)
[ "$tB" -lt "$tA" ] || fail "boot B's clock is not behind boot A's ($tB, $tA)"
assert_eq "-b -1" $((N + 1)) "$(count -b -1)"
assert_eq "-b -1 --since (boot A's start)" $((N + 1)) "$(count -b -1 --since "@$((t0 - 1))")"
assert_eq "-b -1 --since, the last entry shown" "a last" \
    "$(show -b -1 --since "@$((t0 - 1))" -o cat | tail -n 1)"
assert_eq "-b -1 --since after boot A" 0 "$(count -b -1 --since "@$((tA / 1000000 + 2))")"
assert_eq "-b 0 --since (boot B's clock, 3 days back)" $((N + 1)) \
    "$(count -b 0 --since "@$((t0 - 3 * 86400))")"
assert_eq "-b 0 --since (boot A's time, after all of boot B)" 0 \
    "$(count -b 0 --since "@$((t0 - 1))")"
stop_daemon
