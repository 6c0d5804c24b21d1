"""Answer every request with its request line and headers, as traefik/whoami does."""

import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = "".join([f"{self.command} {self.path} {self.request_version}\n",
                        *(f"{name}: {value}\n" for name, value in self.headers.items())]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET


# As PID 1 the process has no default SIGTERM action: stop at once instead of waiting for SIGKILL.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
ThreadingHTTPServer(("0.0.0.0", 80), Echo).serve_forever()
