"""`gatehouse backup` against a real gunicorn that keeps serving sign-ins and forward-auth meanwhile."""

import sqlite3
import stat
import threading

import requests

from tests.support.app import PASSWORD
from tests.e2e.server import Server, gatehouse
from tests.e2e.test_scale_out_workers import attempt


def test_a_backup_taken_while_requests_are_served_holds_the_live_session(tmp_path):
    server = Server(tmp_path / "instance", GATEHOUSE_TRUSTED_PROXIES="127.0.0.1")
    server.prepare(PASSWORD)
    server.start()
    statuses: list[int] = []
    stop = threading.Event()
    try:
        signed_in = attempt(server, PASSWORD, "203.0.113.1")
        cookie = signed_in.cookies["gatehouse_session"]
        with sqlite3.connect(tmp_path / "instance" / "gatehouse.db") as live:
            (session_id,) = live.execute("SELECT id FROM login_sessions WHERE revoked_at IS NULL").fetchone()

        def traffic():  # writes while the copies are taken: new sessions, and touches of the live one
            n = 0
            while not stop.is_set() and n < 2000:
                n += 1
                statuses.append(attempt(server, PASSWORD, f"198.51.100.{n % 250 + 1}").status_code)
                statuses.append(requests.get(server.url + "/api/v1/auth/verify", timeout=10,
                                             cookies={"gatehouse_session": cookie}).status_code)

        worker = threading.Thread(target=traffic)
        worker.start()
        copies = []
        for n in range(3):
            copies.append(tmp_path / f"backup-{n}.db")
            result = gatehouse(server.env, "backup", str(copies[-1]))
            assert result.returncode == 0, result.stderr
        during = len(statuses)
        stop.set()
        worker.join(60)
    finally:
        stop.set()
        server.stop()
    assert during >= 3 and set(statuses) <= {303, 204}, statuses  # served meanwhile, no error
    for copy in copies:
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        with sqlite3.connect(copy) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            row = db.execute("SELECT revoked_at FROM login_sessions WHERE id = ?", (session_id,)).fetchone()
            assert row == (None,)  # the session signed in before the backup is there, live
            assert db.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
