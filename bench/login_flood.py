"""Login-flood benchmark (`make bench`): gunicorn as shipped, real bcrypt cost 12, behind a trusted proxy.

Quiet phase, then FLOOD_SECONDS of wrong-password logins from 1,000 X-Forwarded-For addresses,
once as shipped and once with the global budget spent early (`SCENARIOS`).
No nginx in front: the app itself is flooded. Measured in both phases: (a) the admin's
trusted-device sign-in latency (device cookie, from an address the attackers also use),
(b) throughput of `/api/v1/auth/verify` with a cached session, and of the authenticated
page `/` (wrk, so the measuring client costs the shared cores little), (c) how many bcrypt
checks ran (log lines). Targets (issue 17): (a) <= 2x quiet and never refused, (b) verify
>= 60% of quiet; `/` is printed for reference.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.wrk import run as wrk_run  # noqa: E402
from tests.e2e.server import Server  # noqa: E402  (the same real-gunicorn runner the e2e tests use)

HERE = Path(__file__).resolve().parent
PASSWORD = "benchmark master password, long enough"
FLOOD_SECONDS = float(os.environ.get("FLOOD_SECONDS", 20))
QUIET_SECONDS = 8.0
FLOOD_CLIENTS = int(os.environ.get("FLOOD_CLIENTS", 8))  # attacker connections, each as fast as it can
PAGE_CLIENTS = 4  # wrk connections measuring verify and `/`
ADDRESSES = [f"10.{n // 250}.{n % 250}.1" for n in range(1000)]
ADMIN_IP = ADDRESSES[7]  # shares an address with the attack (same NAT)
CSRF = "csrf_token\" type=\"hidden\" value=\""


def csrf(session: requests.Session, url: str) -> str:
    page = session.get(url + "/login").text
    return page.split(CSRF, 1)[1].split('"', 1)[0]


class Admin:
    def __init__(self, url: str) -> None:
        self.url, self.device, self.refused = url, None, []

    def login(self) -> float:
        """One sign-in with the device cookie (a fresh browser session each time); seconds taken."""
        session = requests.Session()
        if self.device:
            session.cookies.set("gatehouse_device", self.device)
        token = csrf(session, self.url)
        started = time.perf_counter()
        response = session.post(self.url + "/login", data={"csrf_token": token, "password": PASSWORD},
                                headers={"X-Forwarded-For": ADMIN_IP}, allow_redirects=False)
        took = time.perf_counter() - started
        if response.status_code != 303:
            self.refused.append(response.status_code)
        self.device = response.cookies.get("gatehouse_device") or self.device
        self.session_cookie = response.cookies.get("gatehouse_session") or getattr(self, "session_cookie", None)
        return took


def throughput(url: str, cookie: str, seconds: float) -> float:
    """2xx answers per second over `seconds` (wrk, PAGE_CLIENTS connections; refusals do not count)."""
    return wrk_run(url, {"Cookie": f"gatehouse_session={cookie}"}, max(1, round(seconds)),
                   connections=PAGE_CLIENTS, strict=False)[0]


def flood(url: str, seconds: float) -> subprocess.Popen:
    """wrk (C, so the attacker costs the shared CPU little) posting wrong passwords as fast as it can."""
    session = requests.Session()
    token = csrf(session, url)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    env = {**os.environ, "FLOOD_CSRF_TOKEN": token, "FLOOD_COOKIE": cookie}
    return subprocess.Popen(
        ["wrk", "-t1", f"-c{FLOOD_CLIENTS}", f"-d{seconds:.0f}s", "-s", str(HERE / "flood.lua"), url],
        env=env, stdout=subprocess.PIPE, text=True,
    )


def phase(server: Server, admin: "Admin", verify: str, seconds: float, attack: bool) -> dict:
    """Admin sign-ins every second and page throughput for `seconds`, with or without the flood."""
    checks_before = bcrypt_checks(server.output())
    wrk = flood(server.url, seconds + 1) if attack else None
    time.sleep(1)  # the flood at full speed before measuring
    stop, latencies = threading.Event(), []

    def admin_loop() -> None:
        while not stop.is_set():
            latencies.append(admin.login())
            stop.wait(1)

    thread = threading.Thread(target=admin_loop)
    thread.start()
    verify_rate = throughput(verify, admin.session_cookie, seconds / 2)
    page_rate = throughput(server.url + "/", admin.session_cookie, seconds / 2)
    stop.set()
    thread.join()
    result = {"admin": latencies, "verify": verify_rate, "page": page_rate}
    if wrk is not None:
        output = wrk.communicate()[0]
        result["statuses"] = json.loads(output.split("STATUSES ", 1)[1].splitlines()[0])
        result["requests"] = sum(result["statuses"].values())
        result["checks"] = bcrypt_checks(server.output()) - checks_before - len(latencies)
        result["wrk"] = [line for line in output.splitlines() if "Requests/sec" in line]
    return result


def bcrypt_checks(output: str) -> int:
    events = []
    for line in output.splitlines():
        if line.startswith("{"):
            events.append(json.loads(line).get("event"))
    return sum(1 for e in events if e in ("login_failed", "login_succeeded"))


# (what it shows, extra settings). The second spends the global budget of failed checks in the
# flood's first seconds, so most guesses are refused 429 (blocked) instead of 503 (busy).
SCENARIOS = [
    ("as shipped", {}),
    ("global budget spent (GATEHOUSE_LOGIN_GLOBAL=10/3600)", {"GATEHOUSE_LOGIN_GLOBAL": "10/3600"}),
]


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("make bench needs wrk (apt install wrk)")
    for name, settings in SCENARIOS:
        print(f"login flood, {name}:")
        with tempfile.TemporaryDirectory() as tmp:
            server = Server(Path(tmp) / "instance", GATEHOUSE_BCRYPT_ROUNDS="12", GATEHOUSE_TRUSTED_PROXIES="127.0.0.1",
                            **settings)
            server.prepare(PASSWORD)
            server.start()
            try:
                run(server)
            finally:
                server.stop()


def run(server: Server) -> None:
    url, admin = server.url, Admin(server.url)
    admin.login()  # the admin's browser: gets its device cookie
    verify = url + "/api/v1/auth/verify"
    if requests.get(verify, cookies={"gatehouse_session": admin.session_cookie}).status_code == 404:
        print("note: this build has no /api/v1/auth/verify; measuring the authenticated page / in its place")
        verify = url + "/"
    quiet = phase(server, admin, verify, QUIET_SECONDS, attack=False)
    loud = phase(server, admin, verify, FLOOD_SECONDS - 1, attack=True)
    report(url, verify, quiet, loud, admin.refused)


def report(url: str, verify: str, quiet: dict, loud: dict, refused: list[int]) -> None:
    q_admin, f_admin = statistics.median(quiet["admin"]), statistics.median(loud["admin"])
    print(f"flood: {loud['requests']} wrong-password POSTs in {FLOOD_SECONDS:.0f} s from {len(ADDRESSES)} addresses "
          f"via X-Forwarded-For, {FLOOD_CLIENTS} connections ({loud['requests'] / FLOOD_SECONDS:.0f}/s); "
          f"statuses {loud['statuses']}")
    admin_ok = f_admin / q_admin <= 2 and not refused
    print(f"(a) admin trusted-device sign-in: quiet median {q_admin * 1000:.0f} ms (n={len(quiet['admin'])}), "
          f"flood median {f_admin * 1000:.0f} ms, max {max(loud['admin']) * 1000:.0f} ms (n={len(loud['admin'])}) "
          f"-> {f_admin / q_admin:.2f}x; refused: {refused or 'never'}  target <= 2x, never refused: "
          f"{'PASS' if admin_ok else 'MISS'}")
    kept = loud["verify"] / quiet["verify"]
    print(f"(b) {verify.removeprefix(url)}: quiet {quiet['verify']:.0f}/s, flood {loud['verify']:.0f}/s "
          f"-> {kept:.0%}  target >= 60%: {'PASS' if kept >= 0.6 else 'MISS'}; page / (reference): "
          f"quiet {quiet['page']:.0f}/s, flood {loud['page']:.0f}/s -> {loud['page'] / quiet['page']:.0%}")
    print(f"(c) bcrypt checks run for the flood: {loud['checks']} of {loud['requests']} attempts")


if __name__ == "__main__":
    main()
