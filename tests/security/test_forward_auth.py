"""The forward-auth decision (app/security/forward_auth.py) on its own: session → answer."""

from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.datastructures import Headers

from app.access.decision import ALLOW, SIGN_IN
from app.security.forward_auth import FORWARD_AUTH, VERIFY, Settings, decide

SUBDOMAINS = Settings(public_url="https://auth.example.org", cookie_domain="example.org", remote_user="admin", cookies_secure=True)
SAME_HOST = Settings(public_url="", cookie_domain="", remote_user="admin", cookies_secure=True)
PAGE = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def traefik(uri="/d/abc?x=1&y=2", host="grafana.example.org", method="GET", accept=PAGE, **extra):
    return Headers({"X-Forwarded-Method": method, "X-Forwarded-Proto": "https", "X-Forwarded-Host": host,
                    "X-Forwarded-Uri": uri, "Accept": accept, "Host": "127.0.0.1:8000", **extra})


def rd_of(location: str) -> str | None:
    values = parse_qs(urlsplit(location).query).get("rd")
    return values[0] if values else None


@pytest.mark.parametrize("endpoint, status", [(VERIFY, 204), (FORWARD_AUTH, 200)])
def test_valid_session_passes_with_remote_user(endpoint, status):
    answer = decide(endpoint, ALLOW, traefik(), SUBDOMAINS)
    assert answer.status == status and answer.headers == {"Remote-User": "admin"} and answer.body is None


def test_remote_user_is_the_setting():
    settings = Settings("https://auth.example.org", "example.org", "root@home", True)
    assert decide(FORWARD_AUTH, ALLOW, traefik(), settings).headers["Remote-User"] == "root@home"


@pytest.mark.parametrize("method, status", [("GET", 302), ("HEAD", 302), ("get", 302), ("POST", 303), ("DELETE", 303)])
def test_page_load_is_redirected_to_the_portal_with_rd(method, status):
    answer = decide(FORWARD_AUTH, SIGN_IN, traefik(method=method), SUBDOMAINS)
    assert answer.status == status
    location = answer.headers["Location"]
    assert location.startswith("https://auth.example.org/login?rd=")
    assert rd_of(location) == "https://grafana.example.org/d/abc?x=1&y=2"


@pytest.mark.parametrize("extra", [{"X-Requested-With": "XMLHttpRequest"}, {"Accept": "application/json"}, {"Accept": "*/*"}, {"Accept": ""}])
def test_xhr_and_scripts_get_401_json(extra):
    answer = decide(FORWARD_AUTH, SIGN_IN, traefik(**extra), SUBDOMAINS)
    assert answer.status == 401 and "Location" not in answer.headers
    assert answer.body == {"error": "unauthorized", "message": "No valid session."}
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse"'


def test_refused_credential_says_invalid_token():
    answer = decide(FORWARD_AUTH, SIGN_IN, traefik(accept="application/json"), SUBDOMAINS, credential_sent=True)
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse", error="invalid_token"'


def test_verify_401_carries_absolute_location_and_local_login():
    headers = Headers({"X-Original-URL": "https://files.example.org/share/a%20b?c=%2F", "X-Original-URI": "/share/a%20b?c=%2F",
                       "Host": "files.example.org"})
    answer = decide(VERIFY, SIGN_IN, headers, SUBDOMAINS)
    assert answer.status == 401 and answer.body["error"] == "unauthorized"
    location = answer.headers["Location"]
    assert location.startswith("https://auth.example.org/login?rd=")
    assert rd_of(location) == "https://files.example.org/share/a%20b?c=%2F"
    assert parse_qs(urlsplit(answer.headers["X-Gatehouse-Login"]).query)["next"] == ["/share/a%20b?c=%2F"]


def test_verify_rd_from_forwarded_parts():
    headers = Headers({"X-Forwarded-Proto": "https", "X-Forwarded-Host": "grafana.example.org", "X-Forwarded-Uri": "/x?y=1"})
    assert rd_of(decide(VERIFY, SIGN_IN, headers, SUBDOMAINS).headers["Location"]) == "https://grafana.example.org/x?y=1"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Original-URL": "https://evil.test/x"},
        {"X-Original-URL": "https://example.org.evil.test/x"},
        {"X-Original-URL": "https://grafana.example.org@evil.test/"},
        {"X-Original-URL": "javascript:alert(1)"},
        {"X-Original-URL": "http://grafana.example.org/"},  # http while cookies are Secure
        {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evilexample.org", "X-Forwarded-Uri": "/"},
        {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "grafana.example.org", "X-Forwarded-Uri": "x"},
        {"X-Forwarded-Proto": "javascript", "X-Forwarded-Host": "grafana.example.org", "X-Forwarded-Uri": "/"},
        {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "grafana.example.org", "X-Forwarded-Uri": "/\t/x"},
        {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "grafana.example.org\r\nX: y", "X-Forwarded-Uri": "/"},
    ],
)
def test_never_a_location_outside_the_allowed_hosts(headers):
    for endpoint in (VERIFY, FORWARD_AUTH):
        answer = decide(endpoint, SIGN_IN, {"Accept": PAGE, **headers}, SUBDOMAINS)  # a dict: werkzeug refuses CR/LF
        assert answer.headers["Location"] == "https://auth.example.org/login", headers


def test_same_host_without_public_url_uses_the_requested_host():
    headers = Headers({"X-Forwarded-Proto": "https", "X-Forwarded-Host": "example.org", "X-Forwarded-Uri": "/grafana/x", "Accept": PAGE})
    location = decide(FORWARD_AUTH, SIGN_IN, headers, SAME_HOST).headers["Location"]
    assert location == "https://example.org/login?rd=https%3A%2F%2Fexample.org%2Fgrafana%2Fx"


def test_same_host_nginx_headers_keep_the_local_login():
    headers = Headers({"Host": "example.org:8443", "X-Forwarded-Proto": "https", "X-Original-URI": "/console/?a=1&b=2"})
    answer = decide(VERIFY, SIGN_IN, headers, SAME_HOST)
    assert answer.headers["X-Gatehouse-Login"] == "/login?next=%2Fconsole%2F%3Fa%3D1%26b%3D2"
    assert answer.headers["Location"] == "https://example.org:8443/login?rd=https%3A%2F%2Fexample.org%3A8443%2Fconsole%2F%3Fa%3D1%26b%3D2"


def test_garbage_host_gives_a_relative_login():
    headers = Headers({"Host": "bad host", "X-Forwarded-Uri": "/x", "Accept": PAGE})
    assert decide(FORWARD_AUTH, SIGN_IN, headers, SAME_HOST).headers["Location"] == "/login"


def test_a_double_slash_path_stays_on_the_tool():
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "grafana.example.org", "X-Forwarded-Uri": "//evil.test/", "Accept": PAGE}
    assert rd_of(decide(FORWARD_AUTH, SIGN_IN, headers, SUBDOMAINS).headers["Location"]) == "https://grafana.example.org//evil.test/"


def test_allowed_without_a_session_names_no_user():
    """An access rule's bypass: the request goes on, without Remote-User."""
    from app.access.decision import ALLOW

    assert decide(VERIFY, ALLOW, traefik(), SUBDOMAINS, identified=False).headers == {}
    assert decide(FORWARD_AUTH, ALLOW, traefik(), SUBDOMAINS, identified=False).status == 200


def test_reauthenticate_sends_to_the_login_with_reauth():
    from app.access.decision import REAUTHENTICATE

    page = decide(FORWARD_AUTH, REAUTHENTICATE, traefik(), SUBDOMAINS)
    assert page.status == 302 and parse_qs(urlsplit(page.headers["Location"]).query)["reauth"] == ["1"]
    script = decide(FORWARD_AUTH, REAUTHENTICATE, traefik(accept="application/json"), SUBDOMAINS)
    assert script.status == 401 and script.body["error"] == "reauthentication_required"
    assert 'error="invalid_token"' in script.headers["WWW-Authenticate"]
    nginx = decide(VERIFY, REAUTHENTICATE, Headers({"X-Original-URI": "/console/x", "Host": "example.org"}), SAME_HOST)
    assert nginx.status == 401 and nginx.headers["X-Gatehouse-Login"] == "/login?next=%2Fconsole%2Fx&reauth=1"


@pytest.mark.parametrize("outcome, error", [("deny", "forbidden"), ("two_factor_required", "two_factor_required")])
def test_refusals_by_a_rule_are_403(outcome, error):
    script = decide(VERIFY, outcome, traefik(accept="application/json"), SUBDOMAINS)
    assert script.status == 403 and script.body["error"] == error and script.page is None
    page = decide(FORWARD_AUTH, outcome, traefik(), SUBDOMAINS)
    assert page.status == 403 and page.body is None and page.page.outcome == outcome
    assert page.page.two_factor_url == "https://auth.example.org/two-factor"
    assert rd_of(page.page.sign_in_url) == "https://grafana.example.org/d/abc?x=1&y=2"
