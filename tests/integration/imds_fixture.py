#!/usr/bin/env python3
"""A minimal IMDSv2 for the tests: the instance id of "this instance",
read from a file on every request, so that a test plays instance A, then
instance B, with one server.

  imds_fixture.py --id-file FILE --ready FILE

It binds 127.0.0.1 on a port the kernel picks and, once listening, writes
"PID PORT" to --ready. PUT /latest/api/token (with the TTL header, as
IMDSv2 requires) returns a token; GET /latest/meta-data/instance-id with
that token returns the file's first line; without the token, 401; any
other path, 404. SIGTERM ends it.
"""

import argparse
import http.server
import os
import signal
import sys

TOKEN = "imds-fixture-token"


def handler(id_file):
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def answer(self, code, body=b""):
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_PUT(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            if (self.path != "/latest/api/token" or
                    not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")):
                self.answer(400)
                return
            self.answer(200, TOKEN.encode())

        def do_GET(self):
            if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
                self.answer(401)
                return
            if self.path != "/latest/meta-data/instance-id":
                self.answer(404)
                return
            with open(id_file) as f:
                self.answer(200, f.readline().strip().encode())

    return H


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--id-file", required=True)
    p.add_argument("--ready", required=True)
    args = p.parse_args()
    srv = http.server.HTTPServer(("127.0.0.1", 0), handler(args.id_file))
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(0))
    tmp = args.ready + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (os.getpid(), srv.server_address[1]))
    os.rename(tmp, args.ready)
    srv.serve_forever()


if __name__ == "__main__":
    main()
