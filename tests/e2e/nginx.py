"""A real nginx (Debian's package) in the foreground, from the shipped deploy/nginx/ files.

The shipped file is used as written (with deploy/nginx/snippets/ beside it, as under
/etc/nginx/) except for the lines a test must change: the listen addresses (plain HTTP on
free loopback ports instead of 443 with certificates and 80) and the gunicorn and tool
addresses. Each substitution must match, so the test fails if the
example drifts away from what is tested here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import requests

from tests.e2e.server import ROOT, free_port, wait_answering

CONF = ROOT / "deploy" / "nginx" / "gatehouse.conf"
SUBDOMAINS = ROOT / "deploy" / "nginx" / "subdomains.conf"
SNIPPETS = ROOT / "deploy" / "nginx" / "snippets"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def site_config(gatehouse_port: int, tool_port: int, port: int, http_port: int | None = None) -> str:
    text = CONF.read_text()
    replacements = [
        ("    listen 443 ssl;\n", f"    listen 127.0.0.1:{port};\n"),
        ("    listen [::]:443 ssl;\n", ""),
        ("    listen 80;\n", f"    listen 127.0.0.1:{http_port or free_port()};\n"),
        ("    listen [::]:80;\n", ""),
        ("    server 127.0.0.1:8000;", f"    server 127.0.0.1:{gatehouse_port};"),
        ("proxy_pass http://127.0.0.1:9000/;", f"proxy_pass http://127.0.0.1:{tool_port}/;"),
    ]
    for old, new in replacements:
        assert text.count(old) == 1, f"{CONF} no longer contains {old!r}"
        text = text.replace(old, new)
    lines = [line for line in text.splitlines() if not line.strip().startswith("ssl_certificate")]
    return "\n".join(lines) + "\n"


def subdomains_config(port: int, gatehouse_port: int, tool_ports: tuple[int, int], http_port: int | None = None) -> str:
    """deploy/nginx/subdomains.conf on plain HTTP, example.org names mapped to gatehouse.test ones;
    its :80 server (the redirect to HTTPS) on `http_port`."""
    text = SUBDOMAINS.read_text()
    replacements = [
        ("    listen 443 ssl;\n", f"    listen 127.0.0.1:{port};\n", 3),
        ("    listen [::]:443 ssl;\n", "", 3),
        ("    listen 80;\n", f"    listen 127.0.0.1:{http_port or free_port()};\n", 1),
        ("    listen [::]:80;\n", "", 1),
        ("server_name .example.org;", "server_name .gatehouse.test;", 1),
        ("server_name auth.example.org;", "server_name auth.gatehouse.test;", 1),
        ("server_name grafana.example.org;", "server_name app1.gatehouse.test;", 1),
        ("server_name files.example.org;", "server_name app2.gatehouse.test;", 1),
        ("    server 127.0.0.1:8000;", f"    server 127.0.0.1:{gatehouse_port};", 1),
        ("proxy_pass http://127.0.0.1:3000;", f"proxy_pass http://127.0.0.1:{tool_ports[0]};", 1),
        ("proxy_pass http://127.0.0.1:3001;", f"proxy_pass http://127.0.0.1:{tool_ports[1]};", 1),
    ]
    for old, new, count in replacements:
        assert text.count(old) == count, f"{SUBDOMAINS} no longer contains {old!r} {count} time(s)"
        text = text.replace(old, new)
    lines = [line for line in text.splitlines() if not line.strip().startswith("ssl_certificate")]
    return "\n".join(lines) + "\n"


def main_config(prefix: Path, site: Path) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""
    temps = "\n".join(f"    {kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}daemon off;
worker_processes 1;
pid {prefix / 'nginx.pid'};
error_log {prefix / 'error.log'} info;
events {{ worker_connections 64; }}
http {{
    access_log {prefix / 'access.log'};
{temps}
    include {site};
}}
"""


class Nginx:
    """nginx with the same-host example, or with `site` text (made for `port`) when given."""

    def __init__(self, prefix: Path, gatehouse_port: int, tool_port: int, site_text: str | None = None,
                 port: int | None = None) -> None:
        self.prefix = prefix
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        prefix.mkdir(parents=True, exist_ok=True)
        shutil.copytree(SNIPPETS, prefix / "snippets", dirs_exist_ok=True)  # `include snippets/…` is read from here
        site = prefix / "gatehouse.conf"
        site.write_text(site_text if site_text is not None else site_config(gatehouse_port, tool_port, self.port))
        self.config = prefix / "nginx.conf"
        self.config.write_text(main_config(prefix, site))
        self.process: subprocess.Popen | None = None

    def start(self, binary: str) -> "Nginx":
        command = [binary, "-p", str(self.prefix), "-c", str(self.config), "-e", str(self.prefix / "error.log")]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_answering(self.process, lambda: requests.get(self.url + "/healthz", timeout=1), "nginx", self.errors)
        return self

    def errors(self) -> str:
        log = self.prefix / "error.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
