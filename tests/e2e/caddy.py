"""A real Caddy (Debian's package) in the foreground, from the shipped deploy/caddy/ examples.

As with nginx (tests/e2e/nginx.py), the shipped file is used as written except for what a
test must change: site addresses become plain HTTP on one free loopback port (`http://`
turns automatic HTTPS off for that site), `example.org` names become `gatehouse.test` names,
and the gunicorn and tool addresses are the test's. Each substitution must match, so the
test fails if the example drifts away from what is tested here. A global block is put in
front: no admin endpoint, bind to loopback, state under the test's folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import requests

from tests.e2e.server import ROOT, wait_answering

SUBDOMAINS = ROOT / "deploy" / "caddy" / "subdomains.Caddyfile"
SAME_HOST = ROOT / "deploy" / "caddy" / "same-host.Caddyfile"


def caddy_binary() -> str | None:
    return shutil.which("caddy") or next((p for p in ("/usr/bin/caddy",) if os.access(p, os.X_OK)), None)


def substitute(path: Path, replacements: list[tuple[str, str, int]]) -> str:
    """Apply (old, new, expected count) to the shipped file; a count that differs fails the test."""
    text = path.read_text()
    for old, new, count in replacements:
        assert text.count(old) == count, f"{path} no longer contains {old!r} {count} time(s)"
        text = text.replace(old, new)
    return text


def subdomains_config(port: int, gatehouse_port: int, tool_ports: tuple[int, int]) -> str:
    return substitute(SUBDOMAINS, [
        ("\nauth.example.org {", f"\nhttp://auth.gatehouse.test:{port} {{", 1),
        ("\ngrafana.example.org {", f"\nhttp://app1.gatehouse.test:{port} {{", 1),
        ("\nfiles.example.org {", f"\nhttp://app2.gatehouse.test:{port} {{", 1),
        ("127.0.0.1:8000", f"127.0.0.1:{gatehouse_port}", 2),
        ("127.0.0.1:3000", f"127.0.0.1:{tool_ports[0]}", 1),
        ("127.0.0.1:3001", f"127.0.0.1:{tool_ports[1]}", 1),
    ])


def same_host_config(port: int, gatehouse_port: int, tool_port: int) -> str:
    return substitute(SAME_HOST, [
        ("\nexample.org {", f"\nhttp://gatehouse.test:{port} {{", 1),
        ("127.0.0.1:8000", f"127.0.0.1:{gatehouse_port}", 2),
        ("127.0.0.1:3000", f"127.0.0.1:{tool_port}", 1),
    ])


GLOBAL = """{
	admin off
	default_bind 127.0.0.1
	auto_https off
	log {
		output file %s
		level INFO
	}
}
"""


class Caddy:
    def __init__(self, prefix: Path, site: str, port: int) -> None:
        self.prefix = prefix
        self.port = port
        prefix.mkdir(parents=True, exist_ok=True)
        self.config = prefix / "Caddyfile"
        self.config.write_text(GLOBAL % (prefix / "caddy.log") + site)
        self.env = {**os.environ, "HOME": str(prefix), "XDG_DATA_HOME": str(prefix / "data"), "XDG_CONFIG_HOME": str(prefix / "config")}
        self.process: subprocess.Popen | None = None
        self.output = prefix / "stdout.log"

    def start(self, binary: str, probe_host: str) -> "Caddy":
        check = subprocess.run([binary, "validate", "--config", str(self.config), "--adapter", "caddyfile"],
                               capture_output=True, text=True, env=self.env, timeout=30)
        assert check.returncode == 0, check.stdout + check.stderr
        with open(self.output, "wb") as out:
            self.process = subprocess.Popen([binary, "run", "--config", str(self.config), "--adapter", "caddyfile"],
                                            stdout=out, stderr=subprocess.STDOUT, env=self.env)
        wait_answering(self.process, lambda: requests.get(f"http://127.0.0.1:{self.port}/healthz",
                                                          headers={"Host": probe_host}, timeout=1),
                       "caddy", self.errors)
        return self

    def errors(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in (self.output, self.prefix / "caddy.log") if p.exists())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
