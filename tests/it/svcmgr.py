#!/usr/bin/env python3
# svcmgr.py: stands in for systemd as the service manager of one
# Type=notify service with Restart=always, a socket unit and a file
# descriptor store (FileDescriptorStoreMax=), for the end-to-end tests
# of what mmlogd keeps across its restarts (PID 1 is not systemd here).
#
# usage: svcmgr.py DIR STDOUT-PATH CMD [ARGS...]
#
# It binds a listening SOCK_STREAM socket at STDOUT-PATH (mode 0666) and
# a notification socket at DIR/notify, then runs CMD with the listening
# socket as descriptor 3 named "stdout", the stored descriptors after it
# under the names they were stored with (LISTEN_FDS, LISTEN_FDNAMES,
# LISTEN_PID, NOTIFY_SOCKET), as systemd does.  Like systemd it
#   - keeps each descriptor sent with FDSTORE=1 under its FDNAME= (one
#     already stored, the same socket, is not stored twice);
#   - closes those named by FDSTOREREMOVE=1 and FDNAME=;
#   - closes a stored descriptor that reports POLLHUP or POLLERR;
#   - starts CMD again 100 ms after it exits, whatever its status.
# SIGTERM stops CMD (SIGTERM), closes the store and exits 0: a unit
# stopped for good.  Each event is a line of DIR/log:
#   start N PID STORED | ready PID | store NAME | dup NAME | remove NAME
#   | hup NAME | exit PID STATUS | stop
# and DIR/pid holds the running CMD's pid.
import array
import os
import select
import signal
import socket
import sys
import time


def main():
    if len(sys.argv) < 4:
        print("usage: svcmgr.py DIR STDOUT-PATH CMD [ARGS...]",
              file=sys.stderr)
        return 2
    d, path, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    logf = open(os.path.join(d, "log"), "a", buffering=1)

    def log(*words):
        logf.write(" ".join(str(w) for w in words) + "\n")

    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0)
    lst.bind(path)
    os.umask(old)
    lst.listen(128)
    npath = os.path.join(d, "notify")
    try:
        os.unlink(npath)
    except FileNotFoundError:
        pass
    ntf = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ntf.bind(npath)
    ntf.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)

    store = []          # [name, fd], in the order stored
    rpipe, wpipe = os.pipe()
    os.set_blocking(wpipe, False)
    signal.set_wakeup_fd(wpipe)
    stopping = [False]

    def on_term(signum, frame):
        stopping[0] = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGCHLD, lambda s, f: None)

    def start(n):
        fds = [lst.fileno()] + [fd for _, fd in store]
        names = ["stdout"] + [name for name, _ in store]
        pid = os.fork()
        if pid == 0:
            try:
                # Out of the way first, then 3, 4, ... in order.
                high = [os.dup(fd) for fd in fds]
                for i, fd in enumerate(high):
                    os.dup2(fd, 3 + i, inheritable=True)
                env = dict(os.environ)
                env.update(LISTEN_FDS=str(len(fds)),
                           LISTEN_FDNAMES=":".join(names),
                           LISTEN_PID=str(os.getpid()),
                           NOTIFY_SOCKET=npath)
                signal.set_wakeup_fd(-1)
                for s in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
                    signal.signal(s, signal.SIG_DFL)
                os.closerange(3 + len(fds), 1024)
                os.execvpe(cmd[0], cmd, env)
            finally:
                os._exit(127)
        with open(os.path.join(d, "pid.tmp"), "w") as f:
            f.write("%d\n" % pid)
        os.rename(os.path.join(d, "pid.tmp"), os.path.join(d, "pid"))
        log("start", n, pid, len(store))
        return pid

    def same(fd, other):
        a, b = os.fstat(fd), os.fstat(other)
        return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)

    def notified():
        try:
            msg, anc, flags, addr = ntf.recvmsg(
                4096, socket.CMSG_SPACE(253 * 4) +
                socket.CMSG_SPACE(12), socket.MSG_DONTWAIT)
        except BlockingIOError:
            return False
        fds, pid = [], 0
        for level, typ, data in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                a = array.array("i")
                a.frombytes(data[:len(data) - len(data) % a.itemsize])
                fds.extend(a)
            elif level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                pid = int.from_bytes(data[0:4], sys.byteorder)
        kv = {}
        for line in msg.decode("utf-8", "replace").split("\n"):
            if "=" in line:
                k, v = line.split("=", 1)
                kv[k] = v
        if kv.get("READY") == "1":
            log("ready", pid)
        name = kv.get("FDNAME", "stored")
        if kv.get("FDSTORE") == "1":
            for fd in fds:
                if any(same(fd, o) for _, o in store):
                    os.close(fd)
                    log("dup", name)
                else:
                    store.append([name, fd])
                    log("store", name)
            fds = []
        for fd in fds:
            os.close(fd)
        if kv.get("FDSTOREREMOVE") == "1":
            for e in [e for e in store if e[0] == name]:
                os.close(e[1])
                store.remove(e)
                log("remove", name)
        return True

    n = 1
    child = start(n)
    restart_at = None
    while True:
        if stopping[0]:
            if child:
                os.kill(child, signal.SIGTERM)
                _, st = os.waitpid(child, 0)
                log("exit", child, st)
            for _, fd in store:
                os.close(fd)
            log("stop")
            return 0
        if child is None and restart_at is not None and \
                time.monotonic() >= restart_at:
            n += 1
            child = start(n)
            restart_at = None
        p = select.poll()
        p.register(rpipe, select.POLLIN)
        p.register(ntf.fileno(), select.POLLIN)
        for _, fd in store:
            p.register(fd, 0)
        try:
            ready = p.poll(50)
        except InterruptedError:
            ready = []
        for fd, ev in ready:
            if fd == rpipe:
                os.read(rpipe, 512)
            elif fd == ntf.fileno():
                while notified():
                    pass
            elif ev & (select.POLLHUP | select.POLLERR):
                for e in [e for e in store if e[1] == fd]:
                    os.close(fd)
                    store.remove(e)
                    log("hup", e[0])
        if child:
            r, st = os.waitpid(child, os.WNOHANG)
            if r == child:
                log("exit", child, st)
                child = None
                restart_at = time.monotonic() + 0.1


if __name__ == "__main__":
    sys.exit(main())
