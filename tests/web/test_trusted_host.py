"""GATEHOUSE_PUBLIC_URL's host is the only one (besides loopback names) a request may name."""

import pytest


def test_a_forged_host_is_refused_when_the_public_url_is_set(make_app):
    from app.services import master_password
    from tests.support.app import PASSWORD

    app = make_app(GATEHOUSE_PUBLIC_URL="https://login.example.org")
    with app.app_context():
        master_password.set_first(PASSWORD)
    client = app.test_client()
    assert client.get("/login", headers={"Host": "login.example.org"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "127.0.0.1:8000"}).status_code == 200  # local probes
    refused = client.get("/login?next=/x", headers={"Host": "evil.example"})
    assert refused.status_code == 400 and b"evil.example" not in refused.data
    api = client.post("/api/v1/auth/token", json={"password": PASSWORD}, headers={"Host": "evil.example"})
    assert api.status_code == 400


@pytest.mark.parametrize("host", ["evil.example", "login.example.org"])
def test_any_host_without_a_public_url(app, host):
    assert app.test_client().get("/login", headers={"Host": host}).status_code == 200


def test_hosts_under_the_cookie_domain_are_trusted(make_app):
    """Forward auth for subdomains: the proxy's call to /verify may carry the tool's Host."""
    from app.services import master_password
    from tests.support.app import PASSWORD

    app = make_app(GATEHOUSE_PUBLIC_URL="https://auth.example.org", GATEHOUSE_COOKIE_DOMAIN="example.org")
    with app.app_context():
        master_password.set_first(PASSWORD)
    client = app.test_client()
    assert client.get("/api/v1/auth/verify", headers={"Host": "grafana.example.org"}).status_code == 401
    assert client.get("/api/v1/auth/verify", headers={"Host": "example.org.evil.example"}).status_code == 400
