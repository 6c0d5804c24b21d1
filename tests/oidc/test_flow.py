"""The code flow end to end through Flask's test client: sign-in, code, tokens, ID token,
userinfo, refresh rotation, prompt, max_age, the two_factor policy, re-authentication."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.models import LoginSession, SignInEvent, utcnow
from app.oidc import clients
from app.runtime import metrics
from tests.support.app import PASSWORD, csrf_token
from tests.support.oidc import (
    ISSUER, authorize_url, exchange, get_code, id_claims, pkce, query_of, refresh, register, userinfo,
)
from tests.support.two_factor import NOW, SECRET_RE, code_clock, code_for, enable_codes


def sign_in_through(client, auth, url):
    """Follow an authorization request to /login and sign in there; the answer of the return."""
    response = client.get(url)
    assert response.status_code == 303 and response.location.startswith("/login?next=/oidc/authorize")
    signed = auth.login(next_path=query_of(response.location)["next"])
    assert signed.status_code == 303 and signed.location.startswith("/oidc/authorize?")
    return client.get(signed.location)


def test_a_confidential_app_signs_in_and_reads_userinfo(app, client, auth):
    client_id, secret = register(app)
    before = metrics.OIDC_TOKENS_CODE._value.get()
    answer = sign_in_through(client, auth, authorize_url(client_id))
    query = query_of(answer.location)
    assert answer.status_code == 302 and answer.location.startswith("https://app.example.org/callback?")
    assert query["state"] == "st-123" and query["iss"] == ISSUER
    tokens = exchange(client, client_id, secret, query["code"])
    assert tokens.status_code == 200, tokens.get_json()
    assert tokens.headers["Cache-Control"] == "no-store"
    body = tokens.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and "refresh_token" not in body
    claims = id_claims(client, body["id_token"])
    assert claims["iss"] == ISSUER and claims["aud"] == [client_id] and claims["nonce"] == "n-456"
    assert claims["amr"] == ["pwd"] and claims["groups"] == ["admins"] and claims["preferred_username"] == "admin"
    assert claims["email"] == "admin@example.org" and claims["email_verified"] is True
    assert abs(claims["auth_time"] - utcnow().timestamp()) < 30 and "at_hash" in claims
    info = userinfo(client, body["access_token"])
    assert info.status_code == 200
    assert info.get_json() == {"sub": claims["sub"], "name": "admin", "preferred_username": "admin",
                               "email": "admin@example.org", "email_verified": True, "groups": ["admins"]}
    assert metrics.OIDC_TOKENS_CODE._value.get() == before + 1


def test_the_subject_is_the_same_for_every_app_and_sign_in(app, client, auth):
    first, first_secret = register(app, "one")
    second, second_secret = register(app, "two", groups=["viewers", "ops"])
    auth.login()
    subjects, groups = set(), []
    for n, (client_id, secret) in enumerate(((first, first_secret), (second, second_secret), (first, first_secret))):
        body = exchange(client, client_id, secret, get_code(client, client_id, nonce=f"n{n}"), post=True).get_json()
        claims = id_claims(client, body["id_token"])
        subjects.add(claims["sub"])
        groups.append(claims["groups"])
    assert len(subjects) == 1 and groups == [["admins"], ["viewers", "ops"], ["admins"]]


def test_the_app_sign_in_is_in_the_activity_and_the_apps_last_use(app, client, auth):
    client_id, _secret = register(app)
    auth.login()
    get_code(client, client_id)
    with app.app_context():
        event = db.session.scalars(select(SignInEvent).where(SignInEvent.kind == "app_signed_in")).one()
        assert event.detail == "grafana"
        assert clients.find(client_id).last_used_at is not None
    page = client.get("/activity").get_data(as_text=True)
    assert "App sign-in" in page and "(grafana)" in page


def test_a_public_app_uses_pkce_and_gets_a_rotating_refresh_token_with_offline_access(app, client, auth):
    client_id, secret = register(app, "phone", public=True)
    assert secret is None
    verifier, challenge = pkce()
    auth.login()
    code = get_code(client, client_id, code_challenge=challenge, code_challenge_method="S256",
                    scope="openid offline_access")
    body = exchange(client, client_id, None, code, code_verifier=verifier).get_json()
    assert "refresh_token" in body and body["scope"] == "openid offline_access"
    again = refresh(client, client_id, None, body["refresh_token"])
    assert again.status_code == 200, again.get_json()
    rotated = again.get_json()
    assert rotated["refresh_token"] != body["refresh_token"] and userinfo(client, rotated["access_token"]).status_code == 200
    # The old refresh token presented again: the whole family (the new tokens too) is revoked.
    reuse = refresh(client, client_id, None, body["refresh_token"])
    assert reuse.status_code == 400 and reuse.get_json()["error"] == "invalid_grant"
    assert userinfo(client, rotated["access_token"]).status_code == 401
    assert refresh(client, client_id, None, rotated["refresh_token"]).status_code == 400


def test_a_refresh_keeps_the_granting_session_from_idling_out(app, client, auth):
    client_id, secret = register(app)
    auth.login()
    body = exchange(client, client_id, secret, get_code(client, client_id, scope="openid offline_access")).get_json()
    with app.app_context():
        db.session.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=25)))
        db.session.commit()
    assert refresh(client, client_id, secret, body["refresh_token"]).status_code == 200
    with app.app_context():
        seen = db.session.scalar(select(LoginSession.last_seen_at))
    assert utcnow() - seen < timedelta(minutes=1)


def test_prompt_none_with_a_session_answers_without_a_page(app, client, auth):
    client_id, _secret = register(app)
    auth.login()
    assert get_code(client, client_id, prompt="none")


def test_prompt_login_and_an_old_sign_in_ask_for_the_password_again_on_the_same_session(app, client, auth):
    client_id, secret = register(app)
    auth.login()
    with app.app_context():
        old = utcnow() - timedelta(hours=1)
        db.session.execute(update(LoginSession).values(authenticated_at=old))
        db.session.commit()
    for params in ({"prompt": "login"}, {"max_age": "600"}):
        response = client.get(authorize_url(client_id, **params))
        assert response.status_code == 303 and "reauth=1" in response.location
        target = query_of(response.location)["next"]
        assert "prompt=" not in target and "max_age=" not in target
        form = client.get(response.location).get_data(as_text=True)
        assert "asks for a recent sign-in" in form and 'name="reauth" type="hidden" value="1"' in form
    again = client.post("/login", data={"csrf_token": csrf_token(client, "/sessions"), "password": PASSWORD,
                                        "next": target, "reauth": "1"})
    assert again.status_code == 303 and again.location == target
    assert not [c for c in again.headers.getlist("Set-Cookie") if c.startswith("gatehouse_session=")]
    code = query_of(client.get(target).location)["code"]
    claims = id_claims(client, exchange(client, client_id, secret, code).get_json()["id_token"])
    assert utcnow().timestamp() - claims["auth_time"] < 30
    with app.app_context():
        assert len(db.session.scalars(select(LoginSession.id)).all()) == 1  # the same session


def test_max_age_that_is_not_a_number_goes_back_as_invalid_request(app, client, auth):
    client_id, _secret = register(app)
    auth.login()
    response = client.get(authorize_url(client_id, max_age="soon"))
    assert response.status_code == 302 and query_of(response.location)["error"] == "invalid_request"


def test_a_two_factor_app_needs_a_code_and_says_amr(app, client, auth, monkeypatch):
    client_id, secret = register(app, policy="two_factor")
    auth.login()  # password only: codes are off
    page = client.get(authorize_url(client_id))
    assert page.status_code == 403 and "needs two-factor sign-in" in page.get_data(as_text=True)
    totp, _recovery = enable_codes(app)
    clock = code_clock(monkeypatch, NOW + 30)
    response = client.get(authorize_url(client_id))  # codes on now: the session (password only) signs in again
    assert response.status_code == 303 and response.location.startswith("/login")
    client.get("/logout")
    auth.login(next_path=query_of(response.location)["next"])
    done = client.post("/login/code", data={"csrf_token": csrf_token(client, "/login"), "code": code_for(totp, clock.now)})
    assert done.status_code == 303 and done.location.startswith("/oidc/authorize")
    code = query_of(client.get(done.location).location)["code"]
    claims = id_claims(client, exchange(client, client_id, secret, code).get_json()["id_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"]


def test_the_session_that_turned_codes_on_signs_in_again_with_a_code_for_a_two_factor_app(app, client, auth, monkeypatch):
    """Turning codes on keeps the browser that did it, signed in with its password only: a
    two_factor app sends it through /login and /login/code again, which refreshes that session."""
    clock = code_clock(monkeypatch)
    client_id, secret = register(app, policy="two_factor")
    auth.login()
    token = csrf_token(client, "/two-factor")
    client.post("/two-factor/totp/begin", data={"csrf_token": token, "password": PASSWORD})
    totp = SECRET_RE.search(client.get("/two-factor").get_data(as_text=True)).group(1)
    assert client.post("/two-factor/totp/confirm", data={"csrf_token": token, "code": code_for(totp, clock.now)}).status_code == 200
    clock.advance(30)
    response = client.get(authorize_url(client_id))
    assert response.status_code == 303 and "reauth=1" in response.location
    target = query_of(response.location)["next"]
    step = client.post("/login", data={"csrf_token": csrf_token(client, "/sessions"), "password": PASSWORD,
                                       "next": target, "reauth": "1"})
    assert step.status_code == 303 and step.location == "/login/code"
    assert client.get("/login/code").status_code == 200  # the signed-in browser is not sent away
    done = client.post("/login/code", data={"csrf_token": csrf_token(client, "/sessions"),
                                            "code": code_for(totp, clock.now)})
    assert done.status_code == 303 and done.location == target
    assert not [c for c in done.headers.getlist("Set-Cookie") if c.startswith("gatehouse_session=")]
    code = query_of(client.get(target).location)["code"]
    claims = id_claims(client, exchange(client, client_id, secret, code).get_json()["id_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    with app.app_context():
        assert len(db.session.scalars(select(LoginSession.id).where(LoginSession.revoked_at.is_(None))).all()) == 1
