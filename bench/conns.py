#!/usr/bin/env python3
"""conns.py — the RSS of a server holding many open keep-alive connections.

bench/run calls it with Lucia's PID: it opens N connections to the loopback
address, sends one GET on each (so the server has read a request and holds
the connection's buffers, as a real idle client would leave it), waits for
every answer, reads VmRSS of PID from /proc while all N are still open, then
closes them. Prints "rss_kib K open N answered A".

Bounded: N is capped, every socket has a timeout and the whole run a deadline.
"""
import selectors
import socket
import sys
import time

CONNECTIONS_MAX = 10000
DEADLINE_S = 60.0


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def main(argv):
    if len(argv) != 5:
        print("usage: conns.py PID PORT N PATH", file=sys.stderr)
        return 2
    pid, port, n, path = int(argv[1]), int(argv[2]), int(argv[3]), argv[4]
    if not 1 <= n <= CONNECTIONS_MAX:
        print("conns.py: N must be 1 to %d" % CONNECTIONS_MAX, file=sys.stderr)
        return 2
    deadline = time.monotonic() + DEADLINE_S
    request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"
               % path).encode()
    sel = selectors.DefaultSelector()
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(request)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
            socks.append(s)
        answered = 0
        pending = set(socks)
        while pending and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=1.0):
                s = key.fileobj
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    continue
                if s in pending and data:
                    pending.discard(s)
                    answered += 1
                    sel.unregister(s)
                elif not data:
                    pending.discard(s)
                    sel.unregister(s)
        time.sleep(0.5)  # let the server settle with every connection open
        open_now = sum(1 for s in socks if s.fileno() >= 0)
        print("rss_kib %d open %d answered %d" % (rss_kib(pid), open_now, answered))
    finally:
        for s in socks:
            s.close()
        sel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
