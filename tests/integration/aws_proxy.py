#!/usr/bin/env python3
"""A test proxy in front of moto: pages IAM lists and injects faults.

Every request is forwarded byte for byte (method, path, query, headers
including Host and Authorization, body), so SigV4 signatures still verify
at moto. On the way back, for JSON responses (ContentType=JSON):

  * ListUsers, GetGroup, ListSSHPublicKeys and
    GetAccountAuthorizationDetails (its UserDetailList) are paged, because moto
    returns every item at once: MaxItems from the request (default
    --page-size), Marker an opaque token made here.
  * the fault chosen by --fault or at run time by
    GET /__proxy/fault?name=NAME[&action=ACTION][&count=N][&seconds=S]
    is applied (name=none clears it; seconds: how long this stall lasts,
    instead of --stall-seconds). Faults: throttle-once, throttle-N,
    throttle-forever, 500, 503, reset-mid-body, stall, truncated-body,
    invalid-json, wrong-shape, huge-body, loop-marker, missing-marker,
    bad-key-body, lose-90-percent.

--auth-log FILE appends the Authorization header of every request, one
per line, so that a test can look for its signatures where they must not
be (logs).

GET /__proxy/stats returns {"actions": {Action: count}, "total": n,
"faults": n, "fault": {...}}; POST /__proxy/reset-stats zeroes the counts.
The port is printed on stdout (one line) and written to --port-file.
"""

import argparse
import base64
import binascii
import http.client
import http.server
import json
import os
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse

PAGED = {"ListUsers": "Users", "GetGroup": "Users",
         "ListSSHPublicKeys": "SSHPublicKeys",
         "GetAccountAuthorizationDetails": "UserDetailList"}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect",
              "proxy-connection", "te", "trailer", "upgrade"}
MARKER_PREFIX = b"nss-iam-proxy-page:"
FAULTS = {"throttle-once", "throttle-forever", "500", "503",
          "reset-mid-body", "stall", "truncated-body", "invalid-json",
          "wrong-shape", "huge-body", "loop-marker", "missing-marker",
          "bad-key-body", "lose-90-percent", "none"}
HUGE_BYTES = 50 * 1024 * 1024


class State:
    """Fault selection and counters, shared by the handler threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.actions = {}
        self.total = 0
        self.injected = 0
        self.set_fault("none", None, None)

    def set_fault(self, name, action, count, seconds=None):
        if name.startswith("throttle-") and name[9:].isdigit():
            count, name = int(name[9:]), "throttle"
        elif name == "throttle-once":
            count, name = 1, "throttle"
        elif name == "throttle-forever":
            name = "throttle"
        elif name not in FAULTS:
            raise ValueError("unknown fault %r" % name)
        with self.lock:
            self.fault = None if name == "none" else name
            self.fault_action = action or None
            self.remaining = count
            self.stall = seconds

    def count(self, action):
        with self.lock:
            self.total += 1
            self.actions[action] = self.actions.get(action, 0) + 1

    def take_fault(self, action):
        """The fault to apply to this request, or None; uses up one."""
        with self.lock:
            if self.fault is None:
                return None
            if self.fault_action and self.fault_action != action:
                return None
            if self.remaining is not None:
                if self.remaining <= 0:
                    return None
                self.remaining -= 1
            self.injected += 1
            return self.fault

    def stats(self):
        with self.lock:
            return {"actions": dict(self.actions), "total": self.total,
                    "faults": self.injected,
                    "fault": {"name": self.fault,
                              "action": self.fault_action,
                              "remaining": self.remaining}}

    def reset(self):
        with self.lock:
            self.actions, self.total, self.injected = {}, 0, 0


def encode_marker(offset):
    return base64.b64encode(MARKER_PREFIX + str(offset).encode()).decode()


def decode_marker(marker):
    """Offset in the list, or None when the marker is not one of ours."""
    try:
        raw = base64.b64decode(marker, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(MARKER_PREFIX):
        return None
    digits = raw[len(MARKER_PREFIX):]
    return int(digits) if digits.isdigit() else None


def error_body(code, message, sender=True):
    return json.dumps({"Error": {"Type": "Sender" if sender else "Receiver",
                                 "Code": code, "Message": message},
                       "RequestId": "aws-proxy"}).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aws-proxy"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("aws_proxy: " + fmt % args + "\n")

    # --- plumbing -------------------------------------------------------

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def params(self, body):
        """Request parameters from the query string and a form body."""
        query = urllib.parse.urlsplit(self.path).query
        p = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        ctype = self.headers.get("Content-Type", "")
        if body and "x-www-form-urlencoded" in ctype:
            form = urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                          keep_blank_values=True)
            for k, v in form:
                p.setdefault(k, v)
        return p

    def send(self, status, body, headers=(), ctype="application/json"):
        self.send_response(status)
        sent = set()
        for k, v in headers:
            if k.lower() in HOP_BY_HOP or k.lower() == "content-length":
                continue
            sent.add(k.lower())
            self.send_header(k, v)
        if "content-type" not in sent:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def forward(self, body):
        """Send the request to moto unchanged; (status, headers, body)."""
        up = self.server.upstream
        if up.scheme == "https":
            conn = http.client.HTTPSConnection(
                up.hostname, up.port, timeout=60,
                context=self.server.upstream_ctx)
        else:
            conn = http.client.HTTPConnection(up.hostname, up.port,
                                              timeout=60)
        try:
            conn.putrequest(self.command, self.path, skip_host=True,
                            skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in HOP_BY_HOP and k.lower() != \
                        "content-length":
                    conn.putheader(k, v)
            if body or self.command in ("POST", "PUT"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    # --- control endpoint -----------------------------------------------

    def control(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        st = self.server.state
        if url.path == "/__proxy/stats":
            return self.send(200, json.dumps(st.stats()).encode())
        if url.path == "/__proxy/reset-stats":
            st.reset()
            return self.send(200, b'{"status": "ok"}')
        if url.path == "/__proxy/fault":
            try:
                count = int(q["count"]) if q.get("count") else None
                seconds = float(q["seconds"]) if q.get("seconds") else None
                st.set_fault(q.get("name", "none"), q.get("action"), count,
                             seconds)
            except ValueError as e:
                return self.send(400, json.dumps({"error": str(e)}).encode())
            return self.send(200, json.dumps(st.stats()["fault"]).encode())
        return self.send(404, b'{"error": "no such control endpoint"}')

    # --- request --------------------------------------------------------

    def handle_any(self):
        if self.path.startswith("/__proxy/"):
            self.read_body()
            return self.control()
        body = self.read_body()
        params = self.params(body)
        action = params.get("Action", "-")
        self.server.state.count(action)
        self.record_auth()
        fault = self.server.state.take_fault(action)
        if fault == "throttle":
            return self.send(400, error_body("Throttling", "Rate exceeded"))
        if fault in ("500", "503"):
            code = "InternalFailure" if fault == "500" else \
                "ServiceUnavailable"
            return self.send(int(fault), error_body(code, fault, False))
        if fault == "stall":
            time.sleep(self.server.state.stall or self.server.stall_seconds)
        try:
            status, headers, rbody = self.forward(body)
        except OSError as e:
            return self.send(502, error_body("BadGateway", str(e), False))
        if status == 200 and params.get("ContentType") == "JSON":
            rbody, err = self.rewrite(action, params, rbody, fault)
            if err:
                return self.send(400, error_body("ValidationError", err))
        if fault in ("reset-mid-body", "truncated-body"):
            return self.cut(status, headers, rbody, fault == "reset-mid-body")
        if fault == "invalid-json":
            rbody = b'{"' + action.encode() + b'Response": {"Users": [{"'
        if fault == "huge-body":
            return self.huge(headers)
        return self.send(status, rbody, headers)

    def record_auth(self):
        if not self.server.auth_log:
            return
        line = self.headers.get("Authorization", "-").replace("\n", " ")
        with self.server.state.lock, open(self.server.auth_log, "a") as f:
            f.write(line + "\n")

    def cut(self, status, headers, rbody, reset):
        """Announce the whole body, send half, then close: with a TCP RST
        (reset) or a normal FIN (truncated)."""
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(rbody)))
        self.end_headers()
        self.wfile.write(rbody[:len(rbody) // 2])
        self.wfile.flush()
        if reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        self.close_connection = True

    def huge(self, headers):
        head = b'{"ListUsersResponse": {"ListUsersResult": {"Padding": "'
        tail = b'"}}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(HUGE_BYTES))
        self.end_headers()
        chunk = b"x" * (1 << 20)
        left = HUGE_BYTES - len(head) - len(tail)
        try:
            self.wfile.write(head)
            while left > 0:
                n = min(left, len(chunk))
                self.wfile.write(chunk[:n])
                left -= n
            self.wfile.write(tail)
        except (BrokenPipeError, ConnectionResetError):
            # A client that caps the body size hangs up early: expected.
            self.close_connection = True

    def rewrite(self, action, params, rbody, fault):
        """Page a list and apply body faults. Returns (body, error)."""
        try:
            doc = json.loads(rbody)
            result = doc[action + "Response"][action + "Result"]
        except (ValueError, KeyError, TypeError):
            return rbody, None
        key = PAGED.get(action)
        if key and isinstance(result.get(key), list):
            if fault == "lose-90-percent" and action == "ListUsers":
                result[key] = result[key][::10]
            err = self.page(result, key, params, fault)
            if err:
                return rbody, err
        if fault == "bad-key-body" and action == "GetSSHPublicKey":
            k = result.get("SSHPublicKey") or {}
            k["SSHPublicKeyBody"] = 'command="x" ' + k.get(
                "SSHPublicKeyBody", "")
        if fault == "wrong-shape":
            if key:
                result[key] = 42
            else:
                doc[action + "Response"][action + "Result"] = ["wrong"]
        return json.dumps(doc).encode(), None

    def page(self, result, key, params, fault):
        items = result[key]
        offset = 0
        if params.get("Marker"):
            offset = decode_marker(params["Marker"])
            if offset is None or offset > len(items):
                return "Invalid Marker"
        size = self.server.page_size
        if params.get("MaxItems"):
            v = params["MaxItems"]
            if not v.isdigit() or not 1 <= int(v) <= 1000:
                return "MaxItems must be 1..1000"
            # IAM may return fewer items than MaxItems on a page (the
            # client must follow IsTruncated): --page-size is the
            # service's own page size.
            size = min(size, int(v))
        end = offset + size
        result[key] = items[offset:end]
        result["IsTruncated"] = end < len(items)
        result.pop("Marker", None)
        if fault == "loop-marker":
            result["IsTruncated"] = True
            # The first page points at a valid offset even when the list
            # fits in one page; every later page repeats its marker.
            result["Marker"] = (params.get("Marker")
                                or encode_marker(min(end, len(items))))
        elif fault == "missing-marker":
            result["IsTruncated"] = True
        elif end < len(items):
            result["Marker"] = encode_marker(end)
        return None

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that gave up (stall, huge-body) is part of the tests.
        if isinstance(sys.exc_info()[1], (ConnectionError, socket.timeout)):
            return
        super().handle_error(request, client_address)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--upstream", required=True,
                   help="moto URL, e.g. http://127.0.0.1:PORT")
    p.add_argument("--upstream-ca", help="CA file for an https upstream")
    p.add_argument("--port", type=int, default=0, help="0: any free port")
    p.add_argument("--port-file")
    p.add_argument("--tls-cert", help="serve https with this certificate")
    p.add_argument("--tls-key")
    p.add_argument("--page-size", type=int, default=100)
    p.add_argument("--fault", default="none")
    p.add_argument("--fault-action")
    p.add_argument("--fault-count", type=int)
    p.add_argument("--stall-seconds", type=float, default=120.0)
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--auth-log", help="append each Authorization header")
    args = p.parse_args(argv)
    if not 1 <= args.page_size <= 1000:
        p.error("--page-size must be 1..1000")

    state = State()
    try:
        state.set_fault(args.fault, args.fault_action, args.fault_count)
    except ValueError as e:
        p.error(str(e))
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.state = state
    srv.upstream = urllib.parse.urlsplit(args.upstream)
    srv.upstream_ctx = ssl.create_default_context(cafile=args.upstream_ca)
    srv.page_size = args.page_size
    srv.stall_seconds = args.stall_seconds
    srv.verbose = args.verbose
    srv.auth_log = args.auth_log
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        # rename: a reader never sees a half-written port file
        os.replace(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    srv.serve_forever()
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
