"""The forward-auth shortcut (app/edge/forward_auth.py): it answers what Flask answers, and only
an allowing answer; every refusal, error and other request goes to Flask. The same requests with
the edge off are tests/edge/test_parity.py's corpus.
"""

import logging

import pytest
from flask import request_started
from werkzeug.test import EnvironBuilder

from app.edge.forward_auth import ForwardAuthShortcut
from app.edge.gates import EdgeError
from tests.support.app import PASSWORD

VERIFY = "/api/v1/auth/verify"
FORWARD_AUTH = "/api/v1/auth/forward-auth"


@pytest.fixture
def edge_off(make_app, app):
    """The same database as `app`, served with every shortcut off."""
    return make_app(GATEHOUSE_EDGE=False)


def call(wsgi, app, method="GET", path=VERIFY, **builder):
    """(status, headers, body, whether Flask dispatched the request) for one WSGI call."""
    dispatched = []

    def seen(sender, **_extra):
        dispatched.append(True)

    environ = EnvironBuilder(path=path, method=method, environ_base={"REMOTE_ADDR": "127.0.0.1"},
                             **builder).get_environ()
    answer = []
    with request_started.connected_to(seen, app):
        body = b"".join(wsgi(environ, lambda status, headers, exc=None: answer.append((status, headers))))
    status, headers = answer[0]
    return status, sorted(headers), body, bool(dispatched)


@pytest.fixture
def credentials(client):
    token = client.post("/api/v1/auth/token", json={"password": PASSWORD}).get_json()["token"]
    assert client.post("/api/v1/auth/login", json={"password": PASSWORD}).status_code == 200
    cookie = client.get_cookie("gatehouse_session").value
    return {"cookie": {"Cookie": f"gatehouse_session={cookie}"}, "bearer": {"Authorization": f"Bearer {token}"}}


FORWARDED = {"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "grafana.example.org",
             "X-Forwarded-Uri": "/d/home", "Accept": "text/html"}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("kind", ["cookie", "bearer"])
@pytest.mark.parametrize("path, status", [(VERIFY, "204 NO CONTENT"), (FORWARD_AUTH, "200 OK")])
def test_fast_answer_is_the_full_paths_answer(app, edge_off, credentials, kind, method, path, status):
    headers = {**credentials[kind], **FORWARDED}
    fast = call(app.wsgi_app, app, method, path, headers=headers)
    full = call(edge_off.wsgi_app, edge_off, method, path, headers=headers)
    assert fast[3] is False and full[3] is True  # the fast path answered; the full path went through Flask
    assert fast[:3] == full[:3] and fast[0] == status
    assert ("Remote-User", app.config["GATEHOUSE_REMOTE_USER"]) in fast[1]
    assert ("Cache-Control", "no-store") in fast[1] and ("X-Frame-Options", "DENY") in fast[1]


def test_forward_auth_refusal_goes_through_flask(app):
    status, headers, _body, dispatched = call(app.wsgi_app, app, path=FORWARD_AUTH, headers=FORWARDED)
    assert status.startswith("302") and dispatched and any(name == "Location" for name, _ in headers)


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer forged.value"}, {"Authorization": "Basic abc"},
    {"Cookie": "gatehouse_session=forged.value"}, {"X-Forwarded-Uri": "/grafana/"},
])
def test_refusals_go_through_flask(app, headers):
    status, answer, _body, dispatched = call(app.wsgi_app, app, headers=headers)
    assert status.startswith("401") and dispatched
    assert any(name == "X-Gatehouse-Login" for name, _ in answer)


@pytest.mark.parametrize("foreign", ["Basic YWRtaW46eA==", "Bearer glsa_0123456789abcdef", "Bearer forged.value"])
def test_a_tools_own_authorization_leaves_the_cookie_to_decide(app, edge_off, credentials, foreign):
    """As on the full path: an Authorization header Gatehouse did not sign is ignored (SPEC §4b)."""
    headers = {**credentials["cookie"], "Authorization": foreign}
    fast = call(app.wsgi_app, app, headers=headers)
    assert fast[0].startswith("204") and fast[:3] == call(edge_off.wsgi_app, edge_off, headers=headers)[:3]


def test_a_dead_gatehouse_bearer_does_not_fall_back_to_the_cookie(client, app, credentials):
    assert client.post("/api/v1/auth/logout", headers=credentials["bearer"]).status_code == 200
    headers = {**credentials["cookie"], **credentials["bearer"]}
    status, answer, _body, dispatched = call(app.wsgi_app, app, headers=headers)
    assert status.startswith("401") and dispatched
    assert ("WWW-Authenticate", 'Bearer realm="gatehouse", error="invalid_token"') in answer


def test_proxy_authorization_carries_gatehouses_token_beside_the_tools(app, edge_off, credentials):
    token = credentials["bearer"]["Authorization"]
    headers = {"Proxy-Authorization": token, "Authorization": "Bearer glsa_0123456789abcdef"}
    fast = call(app.wsgi_app, app, headers=headers)
    assert fast[0].startswith("204") and not fast[3] and fast[:3] == call(edge_off.wsgi_app, edge_off, headers=headers)[:3]


def test_revoked_session_refused_at_once(client, app, credentials):
    assert call(app.wsgi_app, app, headers=credentials["bearer"])[0].startswith("204")
    assert client.post("/api/v1/auth/logout", headers=credentials["bearer"]).status_code == 200
    status, _headers, _body, dispatched = call(app.wsgi_app, app, headers=credentials["bearer"])
    assert status.startswith("401") and dispatched


def test_other_methods_and_paths_go_through_flask(app, credentials):
    status, _h, _b, dispatched = call(app.wsgi_app, app, "POST", headers=credentials["bearer"])
    assert status.startswith("405") and dispatched
    status, _h, _b, dispatched = call(app.wsgi_app, app, path=VERIFY + "/", headers=credentials["bearer"])
    assert status.startswith("404") and dispatched


def test_before_setup_the_gate_answers(fresh_app):
    status, _h, _b, dispatched = call(fresh_app.wsgi_app, fresh_app, headers={"Cookie": "gatehouse_session=x.y"})
    assert status.startswith("503") and dispatched


def test_untrusted_forwarded_for_still_warned_once(app, credentials, caplog):
    headers = {**credentials["bearer"], "X-Forwarded-For": "203.0.113.9"}
    with caplog.at_level(logging.WARNING, logger="gatehouse.access"):
        for _ in range(3):
            status, _h, _b, dispatched = call(app.wsgi_app, app, headers=headers)
            assert status.startswith("204") and not dispatched
    warnings = [r for r in caplog.records if getattr(r, "event", None) == "untrusted_forwarded_for"]
    assert len(warnings) == 1 and warnings[0].client_ip == "127.0.0.1"


def test_an_error_falls_back_to_the_full_path(make_app, migrated_template, tmp_path):
    """A check that fails (here: the sessions table is gone) is run again by Flask, which answers as always.

    On a SQLite file of this test's own: the shared PostgreSQL test database must keep its tables.
    """
    import shutil

    from sqlalchemy import text

    from app.extensions import db, session_cache
    from app.services import master_password

    own = tmp_path / "own.db"
    shutil.copy(migrated_template, own)
    app = make_app(GATEHOUSE_DATABASE_URL=f"sqlite:///{own}")
    with app.app_context():
        master_password.set_first(PASSWORD)
    token = app.test_client().post("/api/v1/auth/token", json={"password": PASSWORD}).get_json()["token"]
    with app.app_context():
        session_cache.backend.clear()  # the next check must read the database
        db.session.execute(text("DROP TABLE login_sessions"))
        db.session.commit()
    status, _h, body, dispatched = call(app.wsgi_app, app, headers={"Authorization": f"Bearer {token}"})
    assert status[0] == "5" and dispatched and b"Traceback" not in body


def test_no_shortcut_with_the_edge_off(edge_off):
    assert not _layers(edge_off.wsgi_app, ForwardAuthShortcut)


def test_a_hook_nobody_declared_stops_the_shortcut_from_installing(app):
    """The next hook cannot be forgotten: an undeclared before_request hook refuses the shortcut."""
    app.before_request(lambda: None)
    with pytest.raises(EdgeError, match="is not declared in app/edge/gates.py"):
        ForwardAuthShortcut(app, app.wsgi_app)


def test_a_declared_hook_without_an_environ_check_stops_it_too(app):
    from app.edge import gates

    def hook():
        return None

    app.before_request(hook)
    gates.declare(app, "a new check", "before", hook)  # acts on every request, and no shortcut can run it
    with pytest.raises(EdgeError, match="has no check a shortcut"):
        ForwardAuthShortcut(app, app.wsgi_app)


def _layers(wsgi, kind):
    found = []
    while wsgi is not None:
        if isinstance(wsgi, kind):
            found.append(wsgi)
        wsgi = getattr(wsgi, "wsgi_app", None)
    return found
