"""Client address (docs/security.md): the rightmost X-Forwarded-For entry that is not a trusted proxy."""

from __future__ import annotations

import ipaddress
import logging

import pytest

from app.security.client_ip import limit_key, parse_ip, resolve

TRUSTED = tuple(ipaddress.ip_network(n) for n in ("127.0.0.1/32", "10.0.0.0/8", "fd00::/8"))


@pytest.mark.parametrize("peer, headers, expected", [
    ("203.0.113.1", [], "203.0.113.1"),
    ("203.0.113.1", ["198.51.100.9"], "203.0.113.1"),  # untrusted peer: header ignored
    ("127.0.0.1", [], "127.0.0.1"),
    ("127.0.0.1", ["198.51.100.9"], "198.51.100.9"),
    ("127.0.0.1", ["6.6.6.6, 198.51.100.9"], "198.51.100.9"),  # leftmost is client-typed
    ("127.0.0.1", ["198.51.100.9, 10.0.0.2"], "198.51.100.9"),  # skip trusted hops
    ("127.0.0.1", ["6.6.6.6", "198.51.100.9, 10.1.1.1"], "198.51.100.9"),  # several headers, in order
    ("127.0.0.1", ["10.0.0.3, 10.0.0.2"], "10.0.0.3"),  # every hop trusted: internal client
    ("127.0.0.1", ["198.51.100.9, garbage"], "127.0.0.1"),  # garbage: fall back to the proxy
    ("127.0.0.1", ["[2001:db8::1]:443"], "2001:db8::1"),
    ("127.0.0.1", ["192.0.2.5:8080"], "192.0.2.5"),
    ("127.0.0.1", ["::ffff:192.0.2.6"], "192.0.2.6"),
    ("::ffff:127.0.0.1", ["192.0.2.7"], "192.0.2.7"),
    ("", ["192.0.2.8"], "192.0.2.8"),  # UNIX socket peer: the local proxy
    ("fd00::1", ["2001:db8::9"], "2001:db8::9"),
])
def test_resolve(peer, headers, expected):
    assert resolve(peer, headers, TRUSTED).ip == expected


def test_untrusted_forwarded_for_is_flagged():
    assert resolve("203.0.113.1", ["1.2.3.4"], TRUSTED).ignored_forwarded
    assert not resolve("203.0.113.1", [], TRUSTED).ignored_forwarded
    assert not resolve("127.0.0.1", ["1.2.3.4"], TRUSTED).ignored_forwarded


def test_no_trusted_proxies_means_the_peer_always():
    assert resolve("127.0.0.1", ["198.51.100.9"], ()).ip == "127.0.0.1"


def test_parse_ip_refuses_garbage():
    for text in ("", "nope", "1.2.3", "300.1.1.1", "[::1", None):
        assert parse_ip(text) is None


def test_limit_keys():
    assert limit_key("192.0.2.1") == "192.0.2.1"
    assert limit_key("2001:db8:1:2:3:4:5:6") == limit_key("2001:db8:1:2::9") == "2001:db8:1:2::/64"
    assert limit_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert limit_key(None) == "unknown"


def test_untrusted_forwarded_for_is_logged_once(client, caplog):
    with caplog.at_level(logging.WARNING, logger="gatehouse"):
        for _ in range(3):
            client.get("/login", headers={"X-Forwarded-For": "198.51.100.1"}, environ_base={"REMOTE_ADDR": "203.0.113.4"})
            client.get("/healthz", headers={"X-Forwarded-For": "198.51.100.2"}, environ_base={"REMOTE_ADDR": "203.0.113.5"})
    warnings = [r for r in caplog.records if getattr(r, "event", "") == "untrusted_forwarded_for"]
    assert len(warnings) == 1 and "203.0.113.4" in warnings[0].getMessage()
