"""Start the real thing: `gatehouse db upgrade`, then gunicorn with the shipped config."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_answering(process: subprocess.Popen, probe: Callable[[], object], what: str,
                   errors: Callable[[], str] = lambda: "", seconds: float = 15) -> None:
    """Wait until `probe()` gets any HTTP answer from the server `process` runs; fail with `errors()`
    as soon as the process exits, or when it has not answered within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{what} exited:\n{errors()}"
        try:
            probe()
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    raise AssertionError(f"{what} did not answer:\n{errors()}")


def gatehouse_env(instance: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEHOUSE_", "GUNICORN_", "WEB_CONCURRENCY"))}
    env.update(
        GATEHOUSE_INSTANCE_DIR=str(instance),
        GATEHOUSE_COOKIE_SECURE="0",
        GATEHOUSE_BCRYPT_ROUNDS="4",
        GATEHOUSE_LOG_FORMAT="json",
    )
    env.update(extra)
    return env


def gatehouse(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "gatehouse"), *args], env=env, input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=60)


class Server:
    """A gunicorn process serving Gatehouse on a free loopback port."""

    def __init__(self, instance: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = gatehouse_env(instance, GATEHOUSE_BIND=f"127.0.0.1:{self.port}", **env)
        self.log = instance.parent / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def prepare(self, password: str | None) -> None:
        result = gatehouse(self.env, "db", "upgrade")
        assert result.returncode == 0, result.stderr
        if password is not None:
            result = gatehouse(self.env, "set-password", "--stdin", stdin=password + "\n")
            assert result.returncode == 0, result.stderr

    def start(self, *gunicorn_args: str, wait: bool = True, via_cli: bool = False, app: str = "wsgi:app") -> "Server":
        """Run `gunicorn -c gunicorn.conf.py ARGS APP` (or `gatehouse serve ARGS` from elsewhere)."""
        self.instance_log = open(self.log, "ab")
        if via_cli:
            command, cwd = [str(BIN / "gatehouse"), "serve", *gunicorn_args], self.log.parent
        else:
            command, cwd = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", *gunicorn_args, app], ROOT
        self.process = subprocess.Popen(
            command,
            cwd=cwd, env=self.env, stdout=self.instance_log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        if wait:
            try:
                self.wait_ready()
            except AssertionError:
                self.stop(signal.SIGKILL)  # never leave a half-started server behind
                raise
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.output()}")
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or slow on a busy machine
                time.sleep(0.1)
        raise AssertionError(f"gunicorn did not answer within {timeout}s:\n{self.output()}")

    def wait_exit(self, timeout: float = 20) -> int:
        """The exit code of a gunicorn that is expected to stop on its own within `timeout`."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise AssertionError(f"gunicorn still running after {timeout}s:\n{self.output()}") from None
        finally:
            self.instance_log.close()

    def kill(self) -> None:
        """`kill -9` the master and its workers, as a crash or the OOM killer would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.instance_log.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send `sig` (default SIGTERM, a graceful stop) and return the exit code."""
        if self.process is None:
            return 0
        try:
            if self.process.poll() is None:
                if sig == signal.SIGKILL:  # the workers too, or they linger until they notice
                    os.killpg(self.process.pid, sig)
                else:
                    self.process.send_signal(sig)
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait()
            return self.process.returncode
        finally:
            self.instance_log.close()
