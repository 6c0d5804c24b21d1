"""The /sessions page: what it lists, and that revoking takes effect on the very next request."""

import re

from app.extensions import db, session_cache
from app.models import LoginSession
from app.security.tokens import hash_token
from app.services import login_sessions
from tests.support.app import count_rows, csrf_token

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def start(app, kind=login_sessions.API, label=None, ip="198.51.100.7", ua="curl/8.5.0"):
    with app.app_context():
        return login_sessions.create(kind, ip, ua, label)


def bearer(app, started):
    with app.app_context():
        from app.web.signed_in import signer

        return {"Authorization": "Bearer " + signer().sign(started.token)}


def revoked_ids(app):
    with app.app_context():
        return {row.id for row in db.session.query(LoginSession).filter(LoginSession.revoked_at.isnot(None))}


def test_anonymous_is_sent_to_login(client):
    assert client.get("/sessions").location == "/login?next=/sessions"
    assert client.post("/sessions/revoke-others").status_code == 400  # CSRF is checked first
    token = csrf_token(client, "/login")
    assert client.post("/sessions/revoke-others", data={"csrf_token": token}).location == "/login?next=/sessions/revoke-others"


def test_lists_sessions_with_kind_label_browser_and_current_marked(client, auth, app):
    other = start(app, label="backup script")
    client.environ_base["HTTP_USER_AGENT"] = FIREFOX
    auth.login()
    page = client.get("/sessions", environ_base={"REMOTE_ADDR": "192.0.2.44", "HTTP_USER_AGENT": FIREFOX})
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "API token" in body and "backup script" in body and "curl 8" in body and "198.51.100.7" in body
    assert "Firefox 128 on Linux" in body and "this session" in body
    assert body.count('class="current"') == 1
    assert "Your address as Gatehouse sees it: <code>192.0.2.44</code>" in body
    assert f"/sessions/{other.row.id}/revoke" in body


def test_revoked_and_expired_sessions_are_not_listed(client, auth, app):
    gone = start(app, label="gone-label")
    with app.app_context():
        login_sessions.revoke_token(gone.token)
    auth.login()
    assert "gone-label" not in client.get("/sessions").get_data(as_text=True)


def test_revoke_one_takes_effect_on_the_next_request(client, auth, app):
    other = start(app)
    headers = bearer(app, other)
    assert client.get("/", headers=headers).status_code == 200  # now cached
    auth.login()
    token = csrf_token(client, "/sessions")
    response = client.post(f"/sessions/{other.row.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 303 and response.location == "/sessions"
    with app.app_context():
        assert session_cache.backend.get(hash_token(other.token)) is None
    assert "The session has been signed out." in client.get("/sessions").get_data(as_text=True)
    anonymous = app.test_client()
    assert anonymous.get("/", headers=headers).status_code == 303
    assert client.get("/").status_code == 200  # this browser is untouched


def test_revoke_own_session_signs_out(client, auth, app):
    auth.login()
    with app.app_context():
        own = db.session.query(LoginSession).one().id
    response = client.post(f"/sessions/{own}/revoke", data={"csrf_token": csrf_token(client, "/sessions")})
    assert response.status_code == 303 and response.location == "/login"
    assert client.get("/").status_code == 303


def test_revoke_unknown_or_already_revoked_is_404(client, auth, app):
    other = start(app)
    auth.login()
    token = csrf_token(client, "/sessions")
    assert client.post("/sessions/999999/revoke", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/sessions/{other.row.id}/revoke", data={"csrf_token": token}).status_code == 303
    assert client.post(f"/sessions/{other.row.id}/revoke", data={"csrf_token": token}).status_code == 404
    assert client.post("/sessions/abc/revoke", data={"csrf_token": token}).status_code == 404


def test_revoke_without_csrf_is_400_and_changes_nothing(client, auth, app):
    other = start(app)
    auth.login()
    assert client.post(f"/sessions/{other.row.id}/revoke").status_code == 400
    assert client.post("/sessions/revoke-others", data={"csrf_token": "forged"}).status_code == 400
    assert revoked_ids(app) == set()


def test_get_on_revoke_routes_is_405(client, auth):
    auth.login()
    assert client.get("/sessions/1/revoke").status_code == 405
    assert client.get("/sessions/revoke-others").status_code == 405


def test_revoke_others_keeps_only_the_current(client, auth, app):
    others = [start(app), start(app, kind=login_sessions.BROWSER)]
    auth.login()
    response = client.post("/sessions/revoke-others", data={"csrf_token": csrf_token(client, "/sessions")})
    assert response.status_code == 303
    assert revoked_ids(app) == {o.row.id for o in others}
    assert count_rows(app) == 3
    page = client.get("/sessions").get_data(as_text=True)
    assert "Signed out 2 other sessions." in page and len(re.findall(r"/sessions/\d+/revoke", page)) == 1
    for other in others:
        assert app.test_client().get("/", headers=bearer(app, other)).status_code == 303


def test_home_links_to_sessions(client, auth):
    auth.login()
    assert 'href="/sessions"' in client.get("/").get_data(as_text=True)


def test_revoking_an_id_beyond_any_row_is_404(client, auth):
    auth.login()
    token = csrf_token(client, "/sessions")
    response = client.post("/sessions/99999999999999999999999/revoke", data={"csrf_token": token})
    assert response.status_code == 404 and b"Traceback" not in response.data
