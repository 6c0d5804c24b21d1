"""The request a proxy asks about, read from its headers (app/access/proxied.py)."""

import ipaddress

import pytest

from app.access.proxied import read_request

TRUSTED = [ipaddress.ip_network("127.0.0.1/32")]


def read(pairs, peer="127.0.0.1"):
    """As gunicorn hands a request on: HTTP_* keys, a header sent twice joined by a comma."""
    environ = {"REMOTE_ADDR": peer}
    for name, value in pairs:
        key = "HTTP_" + name.upper().replace("-", "_")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return read_request(environ, TRUSTED)


def test_nginx_subdomains():
    found = read([("X-Original-URL", "https://Grafana.example.org/api/x?y=1"), ("X-Forwarded-Method", "post"),
                  ("X-Forwarded-For", "192.168.1.7"), ("Host", "grafana.example.org")])
    assert (found.host, found.path.path, found.method, str(found.address)) == (
        "grafana.example.org", "/api/x", "POST", "192.168.1.7")


def test_caddy_and_traefik():
    found = read([("X-Forwarded-Host", "files.example.org"), ("X-Forwarded-Uri", "/a//b"), ("X-Forwarded-Method", "GET"),
                  ("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "fd00::5"), ("Host", "127.0.0.1:8000")])
    assert (found.host, found.path.path, found.method, str(found.address)) == (
        "files.example.org", "/a/b", "GET", "fd00::5")


def test_nginx_same_host():
    found = read([("Host", "example.org"), ("X-Original-URI", "/console/x"), ("X-Original-Method", "GET")])
    assert (found.host, found.path.path, found.method, found.address) == ("example.org", "/console/x", "GET", None)


@pytest.mark.parametrize("pairs", [
    # A client typed the header the proxy does not set itself.
    [("X-Original-URL", "https://a.example.org/admin"), ("X-Forwarded-Uri", "/public/x")],
    [("X-Forwarded-Host", "a.example.org"), ("X-Forwarded-Uri", "/admin"), ("X-Original-URI", "/public/x")],
    [("X-Original-URL", "not a url")],
])
def test_disagreeing_paths_are_unreadable(pairs):
    assert read(pairs).path.path is None


def test_agreeing_headers_are_fine():
    found = read([("X-Original-URL", "https://a.example.org/x%2Dy"), ("X-Forwarded-Uri", "/x-y"),
                  ("X-Forwarded-Host", "a.example.org")])
    assert (found.host, found.path.path) == ("a.example.org", "/x-y")


@pytest.mark.parametrize("pairs", [
    [("X-Original-URL", "https://a.example.org/x"), ("X-Forwarded-Host", "b.example.org")],
    # The same-host nginx example sends Host and X-Original-URI; a client adds X-Forwarded-Host.
    [("Host", "example.org"), ("X-Original-URI", "/x"), ("X-Forwarded-Host", "grafana.example.org")],
    [("X-Original-URL", "https://user@a.example.org/x")],
    [("X-Forwarded-Host", "a.example.org"), ("X-Forwarded-Host", "b.example.org"), ("X-Forwarded-Uri", "/x")],
])
def test_disagreeing_hosts_are_unreadable(pairs):
    assert read(pairs).host is None


@pytest.mark.parametrize("pairs", [
    [],
    [("X-Forwarded-Method", "GET"), ("X-Original-Method", "POST")],
    [("X-Forwarded-Method", "GET"), ("X-Forwarded-Method", "POST")],  # "GET,POST"
    [("X-Forwarded-Method", "GET POST")],
])
def test_unknown_method(pairs):
    assert read([("X-Forwarded-Uri", "/"), *pairs]).method is None


def test_address_only_from_a_trusted_proxy():
    pairs = [("X-Forwarded-Uri", "/"), ("X-Forwarded-For", "192.168.1.7")]
    assert str(read(pairs).address) == "192.168.1.7"
    assert read(pairs, peer="203.0.113.5").address is None


def test_a_chain_of_proxies_naming_one_host_is_fine():
    found = read([("X-Forwarded-Host", "a.example.org, A.example.org"), ("X-Forwarded-Uri", "/x")])
    assert (found.host, found.path.path) == ("a.example.org", "/x")
