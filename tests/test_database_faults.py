"""The database failing under a request (docs/design.md, "Faults"): a 503 with Retry-After from the
app's own error handling, never a bare 500, and no broken session or half-done change left behind.

Real faults (tests/support/faults.py): PostgreSQL backends terminated with pg_terminate_backend at a
chosen statement, a PostgreSQL server that takes no writes (read-only transactions, as a standby
after a failover), a full disk (SQLite on a tiny tmpfs), and no file descriptor left (EMFILE, in a
process of its own). Issue 22 found each of these answering 500 on 0702507.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from flask import request_finished
from sqlalchemy import func, select

from app.extensions import db
from app.models import LoginSession, SignInEvent
from app.services import activity
from tests.support.app import PASSWORD, AuthActions, csrf_token
from tests.support.external import require_external
from tests.support.faults import backend_pid, fill, starts, terminate, terminated_at, tiny_filesystem

NEW_PASSWORD = "a brand new passphrase for the faults"


def live_sessions(app) -> int:
    with app.app_context():
        live = select(func.count()).select_from(LoginSession).where(LoginSession.revoked_at.is_(None))
        return db.session.scalar(live)


def assert_unavailable(response) -> None:
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    assert b"Traceback" not in response.data


def change_password(client, current: str, new: str):
    token = csrf_token(client, "/password")
    return client.post("/password", data={"csrf_token": token, "current": current, "new": new, "confirm": new})


# --- PostgreSQL backends terminated mid-request ---

@pytest.mark.databases("postgresql")
def test_a_backend_terminated_after_the_last_query_leaves_the_answer_alone(app, client, auth, postgres):
    """The teardown's rollback met the dead connection and raised outside every error handler."""
    auth.login()

    def kill(_sender, response, **_extra):
        terminate(postgres.admin, backend_pid(db.session.connection()))

    with request_finished.connected_to(kill, app):
        page = client.get("/sessions")
    assert page.status_code == 200 and b"Traceback" not in page.data
    assert client.get("/sessions").status_code == 200  # a fresh connection for the next request


@pytest.mark.databases("postgresql")
def test_a_sign_in_whose_connection_dies_is_503_and_the_next_one_works(app, client, auth, postgres):
    engine = app.extensions["gatehouse.db"].engine
    with terminated_at(engine, postgres.admin, starts("INSERT INTO login_sessions")) as hit:
        assert_unavailable(auth.login())
    assert hit and live_sessions(app) == 0
    assert auth.login().status_code == 303 and live_sessions(app) == 1


@pytest.mark.databases("postgresql")
def test_an_api_token_whose_connection_dies_is_a_json_503(app, client, postgres):
    engine = app.extensions["gatehouse.db"].engine
    with terminated_at(engine, postgres.admin, starts("INSERT INTO login_sessions")):
        refused = client.post("/api/v1/auth/token", json={"password": PASSWORD})
    assert_unavailable(refused)
    assert refused.get_json()["error"] == "unavailable"
    assert client.post("/api/v1/auth/token", json={"password": PASSWORD}).status_code == 200


@pytest.mark.databases("postgresql")
def test_the_sign_in_activity_survives_a_connection_lost_after_the_sign_in(app, client, auth, postgres):
    engine = app.extensions["gatehouse.db"].engine
    with terminated_at(engine, postgres.admin, starts("INSERT INTO signin_events")) as hit:
        assert auth.login().status_code == 303
    assert hit
    with app.app_context():
        kinds = db.session.scalars(select(SignInEvent.kind)).all()
    assert kinds == [activity.SIGNED_IN]


@pytest.mark.databases("postgresql")
def test_a_password_change_whose_connection_dies_changes_nothing(app, client, auth, postgres):
    auth.login()
    other = AuthActions(app.test_client())
    other.login()
    engine = app.extensions["gatehouse.db"].engine
    with terminated_at(engine, postgres.admin, starts("DELETE FROM settings")) as hit:
        assert_unavailable(change_password(client, PASSWORD, NEW_PASSWORD))
    assert hit and live_sessions(app) == 2  # no fresh session left over, nobody signed out
    assert client.get("/sessions").status_code == 200  # this browser still signed in
    assert AuthActions(app.test_client()).login(PASSWORD).status_code == 303
    assert AuthActions(app.test_client()).login(NEW_PASSWORD).status_code == 401


# --- a database that can be read but not written ---

@pytest.mark.databases("postgresql")
def test_a_read_only_database_answers_503_to_writes_and_readyz(make_app, app, database_url):
    """A PostgreSQL server in read-only transactions (a standby after a failover): reads work, writes fail."""
    read_only = make_app(GATEHOUSE_DATABASE_URL=database_url + "?options=-c%20default_transaction_read_only%3Don")
    client = read_only.test_client()
    assert client.get("/login").status_code == 200 and client.get("/healthz").status_code == 200
    assert_unavailable(client.get("/readyz"))
    assert_unavailable(AuthActions(client).login())
    assert_unavailable(client.post("/api/v1/auth/token", json={"password": PASSWORD}))
    assert app.test_client().get("/readyz").status_code == 200  # the same database, written normally


@pytest.mark.databases("sqlite")
def test_a_full_disk_is_503_for_sign_in_and_password_change_and_readyz(make_app, migrated_template, tmp_path):
    with tiny_filesystem(tmp_path / "tiny", "1m") as tiny:
        if tiny is None:
            require_external("cannot mount a tmpfs for a full disk (not root)")
        app = make_app(GATEHOUSE_DATABASE_URL=f"sqlite:///{tiny}/gatehouse.db")
        engine = app.extensions["gatehouse.db"].engine
        try:
            (tiny / "gatehouse.db").write_bytes(migrated_template.read_bytes())
            (tiny / "gatehouse.db").chmod(0o600)
            with app.app_context():
                from app.services import master_password

                master_password.set_first(PASSWORD)
            client = app.test_client()
            auth = AuthActions(client)
            assert auth.login().status_code == 303
            filler = fill(tiny)

            assert client.get("/sessions").status_code == 200  # reads still work
            assert_unavailable(client.get("/readyz"))
            assert_unavailable(change_password(client, PASSWORD, NEW_PASSWORD))
            assert_unavailable(AuthActions(app.test_client()).login())
            assert_unavailable(app.test_client().post("/api/v1/auth/token", json={"password": PASSWORD}))

            filler.unlink()  # space again: everything works, and nothing of the failed writes was kept
            assert client.get("/readyz").status_code == 200
            assert live_sessions(app) == 1
            assert AuthActions(app.test_client()).login(PASSWORD).status_code == 303
        finally:
            engine.dispose()


# --- no file descriptor left ---

EMFILE_SCRIPT = textwrap.dedent("""
    import json, os, resource, sys
    from pathlib import Path
    sys.path.insert(0, os.getcwd())
    from tests.support.app import make_test_app, PASSWORD
    from app.services import master_password

    tmp, template = Path(sys.argv[1]), Path(sys.argv[2])
    app = make_test_app(tmp, template)
    with app.app_context():
        master_password.set_first(PASSWORD)
    client = app.test_client()
    assert client.post("/api/v1/auth/token", json={"password": PASSWORD}).status_code == 200
    app.extensions["gatehouse.db"].engine.dispose()  # the next request opens the database anew
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
    held = []
    try:
        while True:
            held.append(os.open(os.devnull, os.O_RDONLY))
    except OSError:
        pass
    answer = client.post("/api/v1/auth/token", json={"password": PASSWORD})
    for fd in held:
        os.close(fd)
    after = client.post("/api/v1/auth/token", json={"password": PASSWORD})
    print(json.dumps({"status": answer.status_code, "retry": answer.headers.get("Retry-After"),
                      "body": answer.get_json(), "after": after.status_code}))
""")


@pytest.mark.databases("sqlite")
def test_no_file_descriptor_to_open_the_database_is_a_503(migrated_template, tmp_path):
    from tests.e2e.server import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEHOUSE_", "PROMETHEUS_"))}
    run = subprocess.run([sys.executable, "-c", EMFILE_SCRIPT, str(tmp_path), str(migrated_template)],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503 and int(answer["retry"]) > 0 and answer["body"]["error"] == "unavailable"
    assert answer["after"] == 200
