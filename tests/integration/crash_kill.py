#!/usr/bin/env python3
"""Run a command and SIGKILL it at a chosen moment; say what it was writing.

  crash_kill.py --dir DIR --prefix PREFIX MODE [--log FILE] -- CMD [ARG...]

MODE is one of
  --measure          no kill: report when a file named PREFIX* was created
                     in DIR and when it was renamed away or deleted
  --at-ms MS         kill MS milliseconds after the start
  --after-temp-us US kill US microseconds after the command creates a file
                     PREFIX* in DIR (the writer's temporary file); if it
                     never does, it runs to its end

DIR is watched with inotify, so even a file that lives well under a
millisecond is seen, and the kill follows its creation closely.

Prints one JSON object:
  killed         the kill was sent (false: the command had ended first)
  rc             its exit status (null when killed)
  ms             time of the kill or of the end, from the start
  temp_left      a PREFIX* file it created still exists after its death:
                 it died while writing one
  temp_first_ms  first creation of a PREFIX* file (null: none)
  temp_last_ms   last rename or deletion of one (null: none)
  temp_max       the most PREFIX* files that existed at once (two would
                 mean two writers)
  end_epoch_ms   wall-clock time (ms since the epoch) of the kill or end
The command's stdout and stderr go to --log (default /dev/null).
"""

import argparse
import ctypes
import json
import os
import select
import signal
import struct
import subprocess
import sys
import time

IN_CREATE = 0x100
IN_DELETE = 0x200
IN_MOVED_FROM = 0x40
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC
EVENT = struct.Struct("iIII")
# Below this, the wait for the kill is a busy loop (select is too coarse).
SPIN_S = 0.002
# The longest wait between two looks at the command.
TICK_S = 0.005


class Watch:
    """inotify on one directory: creations and removals of PREFIX* files."""

    def __init__(self, directory, prefix):
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        wd = libc.inotify_add_watch(self.fd, os.fsencode(directory),
                                    IN_CREATE | IN_DELETE | IN_MOVED_FROM)
        if wd < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch", directory)
        self.prefix = os.fsencode(prefix)
        self.live = set()
        self.created = set()
        self.most = 0
        self.first = self.last = None

    def wait(self, timeout):
        select.select([self.fd], [], [], max(timeout, 0))

    def drain(self, now):
        """Read pending events; True if a PREFIX* file was created."""
        created = False
        while True:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                return created
            off = 0
            while off < len(buf):
                _, mask, _, n = EVENT.unpack_from(buf, off)
                name = buf[off + EVENT.size:off + EVENT.size + n].rstrip(b"\0")
                off += EVENT.size + n
                if not name.startswith(self.prefix):
                    continue
                if mask & IN_CREATE:
                    self.live.add(name)
                    self.created.add(name)
                    self.most = max(self.most, len(self.live))
                    if self.first is None:
                        self.first = now
                    created = True
                elif mask & (IN_DELETE | IN_MOVED_FROM):
                    self.live.discard(name)
                    self.last = now


def ms(t):
    return None if t is None else round(t * 1000.0, 3)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--log", default=os.devnull)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--measure", action="store_true")
    g.add_argument("--at-ms", type=float)
    g.add_argument("--after-temp-us", type=float)
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        p.error("no command")

    w = Watch(args.dir, args.prefix)
    kill_at = None if args.at_ms is None else args.at_ms / 1000.0
    out = {"killed": False, "rc": None}
    with open(args.log, "ab") as log:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log)
    try:
        while True:
            now = time.monotonic() - t0
            if w.drain(now) and args.after_temp_us is not None and \
                    kill_at is None:
                kill_at = now + args.after_temp_us / 1e6
            rc = proc.poll()
            if rc is not None:
                w.drain(time.monotonic() - t0)
                out["rc"] = rc
                out["ms"] = ms(now)
                out["end_epoch_ms"] = int(time.time() * 1000)
                break
            if kill_at is not None and now >= kill_at:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                out["end_epoch_ms"] = int(time.time() * 1000)
                out["killed"] = True
                out["ms"] = ms(now)
                w.drain(time.monotonic() - t0)
                break
            left = TICK_S if kill_at is None else kill_at - now
            if left > SPIN_S:
                w.wait(min(left - SPIN_S, TICK_S))
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    out["temp_left"] = any(
        os.path.lexists(os.path.join(os.fsencode(args.dir), n))
        for n in w.created)
    out["temp_first_ms"] = ms(w.first)
    out["temp_last_ms"] = ms(w.last)
    out["temp_max"] = w.most
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
