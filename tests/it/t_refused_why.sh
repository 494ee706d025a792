#!/bin/bash
# A client refused for --max-clients always learns why (ERROR EUSERS,
# "Too many users"), however it races the refusal:
#   - the daemon stops the client's sends (SHUT_RD) before it reads and
#     counts what was queued, so it never closes with frames unread: a
#     Unix socket closed so gives its peer ECONNRESET, which the peer's
#     next call returns first (265 of 300 such clients got it before);
#   - the library, told ECONNRESET by a peer that did close with frames
#     unread (a stand-in here), still reads the ERROR queued behind it:
#     `mmlogctl write --sync` said "Broken pipe" before, now why.
. "$(dirname "$0")/lib.sh"

need_ctl
start_daemon --size 1M --max-clients 1
python3 - "$SOCK" "$T/error.bin" <<'EOP' >"$T/probe.out" 2>&1 || fail "probe: $(cat "$T/probe.out")"
import socket, sys, time
path = sys.argv[1]
hold = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
hold.connect(path)
time.sleep(0.3)
res = {}
err = None
for i in range(200):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    k = "sent"
    try:
        for j in range(2000):
            s.send(b"x" * 64)
    except BrokenPipeError:
        k = "epipe"
    except ConnectionResetError:
        k = "reset"
    try:
        d = s.recv(4096)
        k += "/why" if d else "/eof"
        if d and err is None:
            err = d
    except ConnectionResetError:
        k += "/reset"
    res[k] = res.get(k, 0) + 1
    s.close()
open(sys.argv[2], "wb").write(err or b"")
print(" ".join("%s=%d" % kv for kv in sorted(res.items())))
EOP
out=$(cat "$T/probe.out")
case "$out" in
*reset*) fail "refused clients saw ECONNRESET: $out" ;;
esac
[ -s "$T/error.bin" ] || fail "no ERROR read from a refusal: $out"
alive "$DPID" || fail "mmlogd died"
stop_daemon

# The stand-in: waits for the client's frames, then answers with that
# ERROR and closes at once, without reading them.
python3 - "$T/fake" "$T/error.bin" <<'EOP' >"$T/fake.out" 2>&1 &
import socket, sys, time
l = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
l.bind(sys.argv[1])
l.listen(8)
err = open(sys.argv[2], "rb").read()
while True:
    c, _ = l.accept()
    time.sleep(0.3)
    c.send(err)
    c.close()
EOP
fk=$!
track $fk
wait_for "$(tmo 10)" test -S "$T/fake" || fail "the stand-in did not listen"
"$MMLOGCTL" --socket "$T/fake" write --sync -t over "one too many" 2>"$T/over.err" &&
    fail "a refused write succeeded"
grep -qi 'too many users' "$T/over.err" || fail "refusal: $(cat "$T/over.err")"
kill $fk
exit 0
