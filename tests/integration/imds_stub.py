#!/usr/bin/env python3
"""A stand-in EC2 instance metadata service (IMDSv2) on 127.0.0.1.

It serves the seeded least-privilege user's access key as the instance
role's credentials, and an instance id, because moto's own IMDS hands out fixed keys that
moto's checks refuse. A token (PUT /latest/api/token) is required for
every GET, as on an instance that requires IMDSv2.

Usage: imds_stub.py CREDS_ENV PORT_FILE
  CREDS_ENV  the seeder's creds.env (AWS_ACCESS_KEY_ID=..., ...)
  PORT_FILE  written (atomically) with the port once it listens

Each request is logged on stderr as "METHOD PATH CODE".
"""
import datetime
import http.server
import json
import os
import sys

ROLE = "nss-iam-test-role"
# The instance the snapshot records it was made on (iam-sync asks).
INSTANCE_ID = "i-0123456789abcdef0"
TOKEN = "test-imds-token"
CREDS_PATH = "/latest/meta-data/iam/security-credentials/"


def role_document(creds_env):
    creds = {}
    with open(creds_env) as f:
        for line in f:
            if "=" in line:
                k, v = line.strip().split("=", 1)
                creds[k] = v
    exp = (datetime.datetime.now(datetime.timezone.utc)
           + datetime.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({"Code": "Success", "Type": "AWS-HMAC",
                       "AccessKeyId": creds["AWS_ACCESS_KEY_ID"],
                       "SecretAccessKey": creds["AWS_SECRET_ACCESS_KEY"],
                       "Token": "", "Expiration": exp})


class Handler(http.server.BaseHTTPRequestHandler):
    doc = ""

    def reply(self, code, body):
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
        sys.stderr.write("%s %s %d\n" % (self.command, self.path, code))
        sys.stderr.flush()

    def do_PUT(self):
        if self.path == "/latest/api/token":
            return self.reply(200, TOKEN)
        self.reply(404, "")

    def do_GET(self):
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            return self.reply(401, "")
        if self.path == CREDS_PATH:
            return self.reply(200, ROLE)
        if self.path == CREDS_PATH + ROLE:
            return self.reply(200, self.doc)
        if self.path == "/latest/meta-data/instance-id":
            return self.reply(200, INSTANCE_ID)
        self.reply(404, "")

    def log_message(self, *args):
        pass


def main():
    Handler.doc = role_document(sys.argv[1])
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, sys.argv[2])
    server.serve_forever()


if __name__ == "__main__":
    main()
