"""Two tiny "tools" behind the proxy, and a way for HTTP clients to reach `*.gatehouse.test`.

A tool answers every GET/POST with an HTML page naming itself and, in `<pre id="seen">`,
JSON of what it received: the path and every value of `Remote-User` (and look-alike header
names a WSGI server would fold into the same variable), and `Authorization` and
`Proxy-Authorization` when they reach it. Tests read that to see what the
proxy let through. Run as `python -m tests.e2e.tools NAME PORT`.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from tests.e2e.server import ROOT, free_port, wait_answering

DOMAIN = "gatehouse.test"
IDENTITY_HEADERS = ("remote-user", "remote_user")
CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization")


class ToolHandler(BaseHTTPRequestHandler):
    name = "tool"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 65536))
        seen = {
            "tool": self.name,
            "path": self.path,
            "remote_user": [value for key, value in self.headers.items() if key.lower() in IDENTITY_HEADERS],
        }
        for header in CREDENTIAL_HEADERS:  # named only when sent: what a tool's own clients put there
            if header in self.headers:
                seen[header.lower().replace("-", "_")] = self.headers.get_all(header)
        body = (f"<!doctype html><title>{self.name}</title><h1 id=\"tool\">{self.name} says hello</h1>"
                f"<pre id=\"seen\">{html.escape(json.dumps(seen))}</pre>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, format, *args) -> None:  # quiet: the test output is enough
        pass


def seen(page: str) -> dict:
    """What the tool received, read back from its page."""
    start = page.index('<pre id="seen">') + len('<pre id="seen">')
    return json.loads(html.unescape(page[start:page.index("</pre>", start)]))


class Tool:
    """`python -m tests.e2e.tools NAME PORT` on loopback, stopped by `stop()`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, "-m", "tests.e2e.tools", name, str(self.port)], cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_answering(self.process, lambda: requests.get(f"http://127.0.0.1:{self.port}/", timeout=1), f"tool {name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def resolve_test_domain(monkeypatch) -> None:
    """Make `*.gatehouse.test` resolve to 127.0.0.1 for requests (urllib3) in this test only.

    The URL, the Host header and the cookie jar keep the real names, so domain cookies
    behave as in a browser; only the TCP connection goes to loopback.
    """
    import urllib3.util.connection as connection

    original = connection.create_connection

    def create_connection(address, *args, **kwargs):
        host, port = address
        if host == DOMAIN or host.endswith("." + DOMAIN):
            host = "127.0.0.1"
        return original((host, port), *args, **kwargs)

    monkeypatch.setattr(connection, "create_connection", create_connection)


def main() -> None:
    name, port = sys.argv[1], int(sys.argv[2])
    handler = type("Handler", (ToolHandler,), {"name": name})
    ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever()


if __name__ == "__main__":
    main()
