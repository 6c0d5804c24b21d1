"""RP-initiated logout at /oidc/logout, and the sign-in form's CSP letting the sign-in end at an app."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.support.app import csrf_token
from tests.support.oidc import authorize_url, exchange, get_code, query_of, register, userinfo

BACK = "https://app.example.org/signed-out"


def signed_in_with_tokens(app, client, auth):
    client_id, secret = register(app, post_logout=[BACK])
    auth.login()
    return client_id, exchange(client, client_id, secret, get_code(client, client_id)).get_json()


def test_with_an_id_token_hint_the_app_signs_out_of_gatehouse_and_returns(app, client, auth):
    client_id, body = signed_in_with_tokens(app, client, auth)
    query = urlencode({"id_token_hint": body["id_token"], "post_logout_redirect_uri": BACK, "state": "s1"})
    response = client.get(f"/oidc/logout?{query}")
    assert response.status_code == 302 and response.location == BACK + "?state=s1"
    assert response.headers["Clear-Site-Data"] == '"cache"'
    assert client.get("/").status_code == 303 and userinfo(client, body["access_token"]).status_code == 401


def test_without_a_hint_a_page_asks_first_and_its_form_needs_our_csrf_token(app, client, auth):
    client_id, body = signed_in_with_tokens(app, client, auth)
    query = urlencode({"client_id": client_id, "post_logout_redirect_uri": BACK})
    page = client.get(f"/oidc/logout?{query}")
    assert page.status_code == 200 and "<strong>grafana</strong> asks" in page.get_data(as_text=True)
    assert client.get("/").status_code == 200  # nothing happened yet
    forged = client.post("/oidc/logout", data={"client_id": client_id, "post_logout_redirect_uri": BACK})
    assert forged.status_code == 400 and client.get("/").status_code == 200
    confirmed = client.post("/oidc/logout", data={"client_id": client_id, "post_logout_redirect_uri": BACK,
                                                  "csrf_token": csrf_token(client, "/sessions")})
    assert confirmed.status_code == 302 and confirmed.location == BACK
    assert userinfo(client, body["access_token"]).status_code == 401


def test_an_unregistered_return_address_is_not_followed(app, client, auth):
    client_id, body = signed_in_with_tokens(app, client, auth)
    query = urlencode({"id_token_hint": body["id_token"], "post_logout_redirect_uri": "https://evil.example/"})
    response = client.get(f"/oidc/logout?{query}")
    assert response.status_code == 303 and response.location == "/login"  # signed out, kept here


def test_a_forged_hint_is_a_page_and_signs_nobody_out(app, client, auth):
    _client_id, body = signed_in_with_tokens(app, client, auth)
    head, payload, _signature = body["id_token"].split(".")
    response = client.get("/oidc/logout?" + urlencode({"id_token_hint": f"{head}.{payload}.AAAA"}))
    assert response.status_code == 400 and "This sign-out link is not valid" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_the_sign_in_form_may_end_at_a_registered_app(app, client):
    client_id, _secret = register(app, redirect_uris=["https://grafana.example.org:3000/login/generic_oauth",
                                                      "app.immich:///oauth-callback"])
    response = client.get(authorize_url(client_id, redirect_uri="app.immich:///oauth-callback"))
    assert response.status_code == 303
    csp = client.get(response.location).headers["Content-Security-Policy"]
    assert csp.endswith("form-action 'self' https://grafana.example.org:3000 app.immich:")
    assert client.get("/sessions").headers["Content-Security-Policy"].endswith("form-action 'self'")
    assert query_of(response.location)["next"].startswith("/oidc/authorize")
