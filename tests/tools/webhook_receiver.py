#!/usr/bin/env python3
"""webhook_receiver.py: a webhook endpoint for the alert tests of `flamekit serve`.

Listens on 127.0.0.1 (a free port, written to --port-file once listening), answers
HTTP 500 to the first --fail-first POSTs and 200 to the rest, and appends one JSON line per
POST to --out: {"n": 1, "status": 500, "content_type": "...", "body": "..."} (flushed at
once, so a test can poll the file). Runs until killed.

    python3 tests/tools/webhook_receiver.py --port-file P --out OUT [--fail-first 1]
"""
import argparse
import http.server
import json
import os


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    args = ap.parse_args()
    seen = {"n": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            seen["n"] += 1
            status = 500 if seen["n"] <= args.fail_first else 200
            record = {
                "n": seen["n"],
                "status": status,
                "content_type": self.headers.get("Content-Type"),
                "body": body.decode("utf-8", "replace"),
            }
            with open(args.out, "a") as f:
                f.write(json.dumps(record) + "\n")
            reply = b"failing on purpose\n" if status == 500 else b"ok\n"
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, fmt, *a):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
