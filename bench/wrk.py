"""wrk runs and sign-ins shared by the benchmarks that drive a real gunicorn."""

from __future__ import annotations

import re
import subprocess

import requests

from bench.proc import cpu_seconds

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def run(url: str, headers: dict[str, str], seconds: int, threads: int = 1, connections: int = 8,
        pid: int | None = None, strict: bool = True) -> tuple[float, float | None]:
    """(requests per second, worker `pid`'s CPU seconds per request or None).

    `strict`: any non-2xx/3xx answer aborts; else only the 2xx/3xx answers count towards the rate.
    """
    flags = [x for name, value in headers.items() for x in ("-H", f"{name}: {value}")]
    cpu = cpu_seconds(pid) if pid else 0.0
    done = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", *flags, url],
                          capture_output=True, text=True)
    cpu = cpu_seconds(pid) - cpu if pid else None
    if done.returncode != 0:
        raise SystemExit(f"wrk failed on {url}:\n{done.stdout}{done.stderr}")
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if failed and strict:
        raise SystemExit(f"{url}: {failed.group(1)} failed responses:\n{done.stdout}")
    count = int(re.search(r"(\d+) requests in", done.stdout).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))
    if failed:
        rate *= 1 - int(failed.group(1)) / max(count, 1)
    return rate, (cpu / max(count, 1) if cpu is not None else None)


def sign_in(url: str, password: str) -> str:
    """A `Cookie:` header value with a fresh browser session, signed in through the login form."""
    browser = requests.Session()
    token = CSRF_RE.search(browser.get(url + "/login").text).group(1)
    response = browser.post(url + "/login", data={"csrf_token": token, "password": password}, allow_redirects=False)
    assert response.status_code == 303, response.status_code
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies if c.name.endswith("gatehouse_session"))
