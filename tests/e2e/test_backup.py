"""`gatehouse backup` against a real gunicorn that keeps serving sign-ins and forward-auth meanwhile."""

import sqlite3
import stat
import threading

import requests

from tests.support.app import PASSWORD
from tests.support.served import attempt
from tests.e2e.server import Server, gatehouse


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


def test_restore_end_to_end_a_backup_taken_while_serving(tmp_path):
    """`gatehouse backup` while gunicorn serves (the copy carries the live instance lease), then
    `gatehouse restore`: refused while serving; after the stop it puts the backup back, keeps the
    replaced database, and the next start is not refused by the lease the backup carried."""
    instance = tmp_path / "instance"
    server = Server(instance, GATEHOUSE_TRUSTED_PROXIES="127.0.0.1")
    server.prepare(PASSWORD)
    server.start()
    copy = tmp_path / "backup.db"
    try:
        assert attempt(server, PASSWORD, "203.0.113.1").status_code == 303
        result = gatehouse(server.env, "backup", str(copy))
        assert result.returncode == 0, result.stderr
        refused = gatehouse(server.env, "restore", "--yes", str(copy))
        assert refused.returncode == 1 and "an instance is serving from this database" in refused.stderr
    finally:
        server.stop()
    with sqlite3.connect(copy) as backup_db:  # the serving instance's lease, carried in the copy
        assert backup_db.execute("SELECT count(*) FROM instance_lease").fetchone() == (1,)
    new = "a password set after the backup was taken"
    assert gatehouse(server.env, "set-password", "--stdin", stdin=new + "\n").returncode == 0

    restored = gatehouse(server.env, "restore", "--yes", str(copy))
    assert restored.returncode == 0, restored.stderr
    with sqlite3.connect(instance / "gatehouse.db") as live:
        assert live.execute("SELECT count(*) FROM instance_lease").fetchone() == (0,)
    kept = [p for p in instance.iterdir() if p.name.startswith("gatehouse.db.replaced-")]
    assert len(kept) == 1 and f"kept as {kept[0]}" in restored.stdout
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600

    again = Server(instance, GATEHOUSE_TRUSTED_PROXIES="127.0.0.1")
    again.start()  # not refused: the lease the backup carried was removed
    try:
        assert attempt(again, PASSWORD, "203.0.113.2").status_code == 303  # the password of the backup
        assert attempt(again, new, "203.0.113.3").status_code == 401
        assert requests.get(again.url + "/readyz", timeout=10).status_code == 200
    finally:
        again.stop()
