#!/usr/bin/env python3
"""A syslog sink for the tests: receives datagrams on a Unix socket (the
one glibc's syslog() writes to, /dev/log) and appends each message, as one
line, to a file.

  syslog_sink.py --socket PATH --out FILE [--ready FILE]

The socket is created mode 0666, so that programs running as any user
(iam-authorized-keys runs as nobody under sshd) can log. Once it is bound,
the sink's pid is written to --ready, so a test waits for that file
before it starts what logs. Each message is written as received (glibc
sends "<PRI>Mmm dd hh:mm:ss IDENT[PID]: TEXT"), with newlines inside it
replaced by spaces and a trailing newline or NUL dropped, then flushed.
SIGTERM or SIGINT ends the sink and removes the socket.
"""

import argparse
import os
import signal
import socket
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--socket", required=True, help="socket path to bind")
    p.add_argument("--out", required=True, help="file the lines go to")
    p.add_argument("--ready", help="file that gets the pid once bound")
    args = p.parse_args()

    running = True

    def stop(signum, frame):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    try:
        os.unlink(args.socket)
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(args.socket)
    os.chmod(args.socket, 0o666)
    # A short timeout lets the loop see the stop flag.
    sock.settimeout(0.2)
    out = open(args.out, "ab", buffering=0)
    if args.ready:
        tmp = args.ready + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(tmp, args.ready)
    try:
        while running:
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            data = data.rstrip(b"\0\n").replace(b"\n", b" ")
            out.write(data + b"\n")
    finally:
        out.close()
        sock.close()
        try:
            os.unlink(args.socket)
        except FileNotFoundError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
