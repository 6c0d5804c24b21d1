"""One corpus, the edge on and off (GATEHOUSE_EDGE, app/edge/stack.py): the same status, headers
(Date aside) and body for every request. Both apps serve one database; each request is sent to
both, in the same order.

The first two cases are the drifts a review found on 0702507, where the forward-auth shortcut
kept its own list of checks: a forged `Host` and a refused instance were answered 204 by the
shortcut and 400 / 503 by Flask.
"""

from __future__ import annotations

import pytest

from app.runtime import lease, lifecycle
from app.services import login_sessions
from tests.support.app import PASSWORD

VERIFY = "/api/v1/auth/verify"
FORWARD_AUTH = "/api/v1/auth/forward-auth"
PUBLIC = {"GATEHOUSE_PUBLIC_URL": "https://auth.example.org", "GATEHOUSE_COOKIE_DOMAIN": "example.org",
          "GATEHOUSE_COOKIE_SECURE": True}
COOKIE = "__Secure-gatehouse_session"
PAGE_LOAD = {"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "grafana.example.org",
             "X-Forwarded-Uri": "/d/home?x=1", "Accept": "text/html"}


class Pair:
    """The same app twice, on one database: the edge on, and off."""

    def __init__(self, make_app, **settings) -> None:
        self.on = make_app(**settings)
        self.off = make_app(**settings, GATEHOUSE_EDGE=False)

    def answers(self, path, method="GET", headers=None):
        """(answer with the edge on, answer with it off), each (status, headers without Date, body)."""
        return tuple(_answer(app, path, method, headers or {}) for app in (self.on, self.off))

    def same(self, path, method="GET", headers=None):
        on, off = self.answers(path, method, headers)
        assert on == off, f"{method} {path} {headers}: edge on {on[0]}, off {off[0]}"
        return on


def _answer(app, path, method, headers):
    response = app.test_client().open(path, method=method, headers=headers, base_url="https://auth.example.org")
    kept = sorted((k, v) for k, v in response.headers.items() if k != "Date")
    return response.status_code, kept, response.get_data()


@pytest.fixture
def pair(make_app, app):
    return Pair(make_app, **PUBLIC)


@pytest.fixture
def token(pair):
    """A live bearer token, and the same session's cookie value."""
    with pair.off.app_context():
        started = login_sessions.create(login_sessions.API, None, None)
        from app.web import signed_in

        signed = signed_in.signer().sign(started.token)
    return signed


def test_drift_a_forged_host_is_400_on_both_paths(pair, token):
    for host in ("example.org.evil.example", "evil.example", "auth.example.org.evil.example"):
        status = pair.same(VERIFY, headers={"Host": host, "Authorization": f"Bearer {token}"})[0]
        assert status == 400, host


def test_drift_a_refused_instance_is_503_on_both_paths(make_app, app, tmp_path, monkeypatch):
    pair = Pair(make_app)
    with pair.on.app_context():
        from app.extensions import db

        assert lease.acquire(db.engine, "another-host:1")  # another instance serves from this database
        started = login_sessions.create(login_sessions.API, None, None)
        from app.web import signed_in

        bearer = {"Authorization": "Bearer " + signed_in.signer().sign(started.token)}
    monkeypatch.setenv("GATEHOUSE_INSTANCE_ID", "this-host:2")
    for app_ in (pair.on, pair.off):
        lifecycle.serve_on_first_request(app_)
    for path in (VERIFY, FORWARD_AUTH, "/api/v1/auth/session", "/healthz"):
        status = pair.same(path, headers=bearer)[0]
        assert status == 503, path


@pytest.mark.parametrize("path", [VERIFY, FORWARD_AUTH])
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "OPTIONS"])
def test_the_corpus_is_answered_alike(pair, token, path, method):
    with pair.off.app_context():
        cookie = f"{COOKIE}={token}"
    cases = [
        {},
        {"Authorization": f"Bearer {token}"},
        {"Authorization": f"Bearer {token}", "Cookie": cookie},  # both: the header speaks
        {"Cookie": cookie},
        {"Cookie": f"{COOKIE}=forged.value; {cookie}"},  # duplicate cookies: the first one counts
        {"Cookie": f"{cookie}; {COOKIE}=forged.value"},
        {"Cookie": f"{COOKIE}="},
        {"Cookie": "gatehouse_session=" + token},  # the wrong name for Secure cookies
        {"Authorization": "Basic YWRtaW46eA=="},  # a tool's own credential
        {"Authorization": "Bearer glsa_0123456789abcdef"},
        {"Authorization": "Basic YWRtaW46eA==", "Cookie": cookie},
        {"Proxy-Authorization": f"Bearer {token}"},
        {"Authorization": f"Bearer {token}", "Host": "grafana.example.org"},  # a host under the cookie domain
        {"Authorization": f"Bearer {token}", "Host": "example.org.evil.example"},
        {"Authorization": f"Bearer {token}", "X-Forwarded-For": "203.0.113.9"},  # from an untrusted peer
        {**PAGE_LOAD},
        {**PAGE_LOAD, "Authorization": f"Bearer {token}"},
        {**PAGE_LOAD, "X-Requested-With": "XMLHttpRequest"},
        {**PAGE_LOAD, "X-Forwarded-Host": "evil.example"},
    ]
    for headers in cases:
        pair.same(path, method, headers)


@pytest.mark.parametrize("ttl, after", [(60, 204), (0, 401)])
def test_a_session_revoked_by_another_process(make_app, app, ttl, after):
    """Each app has the session in its in-process cache; another process (the CLI) revokes it:
    both answer alike, 204 until their cache time passes (SPEC §5), 401 at once without a cache time."""
    pair = Pair(make_app, **PUBLIC, GATEHOUSE_CACHE_TTL_SECONDS=ttl)
    with pair.off.app_context():
        from app.web import signed_in

        bearer = {"Authorization": "Bearer " + signed_in.signer().sign(
            login_sessions.create(login_sessions.API, None, None).token)}
    assert pair.same(VERIFY, headers=bearer)[0] == 204
    with make_app(**PUBLIC).app_context():
        assert login_sessions.revoke_all() == 1
    assert pair.same(VERIFY, headers=bearer)[0] == after


def test_before_setup_both_answer_alike(make_app, fresh_app):
    pair = Pair(make_app)
    for path in (VERIFY, FORWARD_AUTH, "/", "/login"):
        pair.same(path, headers={"Cookie": "gatehouse_session=x.y"})


def test_pages_are_answered_alike(make_app, app):
    """The kept pages (app/edge/page_cache.py) are the rendered pages, CSRF token aside."""
    pair = Pair(make_app)
    for path in ("/login", "/login?next=/sessions", "/login?rd=https://evil.example/"):
        on, off = pair.answers(path)
        assert on[0] == off[0] == 200
        assert _without_token(on[2]) == _without_token(off[2])
        assert [h for h in on[1] if h[0] != "Set-Cookie"] == [h for h in off[1] if h[0] != "Set-Cookie"]


def _without_token(body: bytes) -> bytes:
    import re

    return re.sub(rb'(csrf_token"[^>]*value=")[^"]+"', rb'\1"', body)


def test_password_is_what_the_fixture_set(pair):
    """The pair serves the `app` fixture's database: its password signs in on both."""
    for app_ in (pair.on, pair.off):
        assert app_.test_client().post("/api/v1/auth/token", json={"password": PASSWORD},
                                       base_url="https://auth.example.org").status_code == 200


ACCESS_RULES = """\
[networks]
home = ["192.168.1.0/24"]

[[rule]]
name = "grafana api"
hosts = ["grafana.example.org"]
paths = ["/api/**"]
policy = "bypass"

[[rule]]
name = "proxmox"
hosts = ["pve.example.org"]
policy = "two_factor"
max_age = "15m"

[[rule]]
name = "fresh files"
hosts = ["files.example.org"]
policy = "signed_in"
max_age = "1h"

[[rule]]
name = "no admin from outside"
hosts = ["*.example.org"]
paths = ["/admin/**"]
networks = ["!home"]
policy = "deny"
"""


def _tool(url_host: str, path: str, accept: str = "text/html") -> dict[str, str]:
    return {"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "https", "X-Forwarded-Host": url_host,
            "X-Forwarded-Uri": path, "Accept": accept}


def test_one_request_per_access_policy_is_answered_alike(make_app, app, tmp_path):
    """docs/access.md: bypass, signed_in, two_factor, max_age and deny, each through the shortcut
    and through Flask, with the session each needs and one each refuses."""
    from datetime import timedelta

    from sqlalchemy import update

    from app.extensions import db
    from app.models import LoginSession, utcnow
    from app.web import signed_in

    path = tmp_path / "access.toml"
    path.write_text(ACCESS_RULES)
    pair = Pair(make_app, **PUBLIC, GATEHOUSE_ACCESS_FILE=str(path))
    with pair.off.app_context():
        def bearer(methods, minutes_ago=0):
            started = login_sessions.create(login_sessions.API, None, None, methods=methods)
            db.session.execute(update(LoginSession).where(LoginSession.id == started.row.id)
                               .values(authenticated_at=utcnow() - timedelta(minutes=minutes_ago)))
            db.session.commit()
            return {"Authorization": "Bearer " + signed_in.signer().sign(started.token)}

        password, two_factor = bearer(("password",)), bearer(("password", "code"))
        stale = bearer(("password", "code"), minutes_ago=90)
    cases = [
        ({**_tool("grafana.example.org", "/api/health")}, 204),  # bypass, no session
        ({**_tool("grafana.example.org", "/api/health"), **password}, 204),  # bypass, named
        ({**_tool("grafana.example.org", "/api/%2e%2e/admin")}, 403),  # ambiguous: the strictest (deny)
        ({**_tool("grafana.example.org", "/d/1")}, 401),  # signed_in (default), none
        ({**_tool("grafana.example.org", "/d/1"), **password}, 204),
        ({**_tool("pve.example.org", "/"), **password}, 403),  # two_factor, password only
        ({**_tool("pve.example.org", "/"), **two_factor}, 204),
        ({**_tool("files.example.org", "/x"), **stale}, 401),  # max_age: sign in again
        ({**_tool("files.example.org", "/x"), **two_factor}, 204),
        ({**_tool("grafana.example.org", "/admin/"), **two_factor}, 403),  # deny
    ]
    page_load = {204: 200, 401: 302, 403: 403}  # forward-auth's answer to the same page load
    for headers, status in cases:
        assert pair.same(VERIFY, headers=headers)[0] == status, headers
        assert pair.same(FORWARD_AUTH, headers=headers)[0] == page_load[status], headers
