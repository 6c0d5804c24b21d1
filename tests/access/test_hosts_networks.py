"""Hosts and networks as the rules compare them (app/access/hosts.py, networks.py)."""

import ipaddress

import pytest

from app.access.hosts import Hosts, parse_host_pattern, read_host
from app.access.networks import Networks, parse_named, parse_network, vouched_client


@pytest.mark.parametrize("raw, host", [
    ("Grafana.Example.org", "grafana.example.org"),
    ("grafana.example.org.", "grafana.example.org"),
    ("grafana.example.org:8443", "grafana.example.org"),
    ("nas", "nas"),
    ("192.168.1.10:80", "192.168.1.10"),
    ("[FD00::1]:8080", "fd00::1"),
    ("[fd00:0::1]", "fd00::1"),
    ("my_service.lan", "my_service.lan"),
])
def test_read_host(raw, host):
    assert read_host(raw) == host


@pytest.mark.parametrize("raw", [None, "", "a..b", "-a.org", "evil.org@grafana.example.org", "a b", "a.org:x",
                                 "[fd00::1", "[nothost]", "a.org/x", "%61.org", "x" * 254])
def test_unreadable_host(raw):
    assert read_host(raw) is None


def test_wildcard_any_depth_but_not_the_domain():
    hosts = Hosts(["*.example.org", "nas"])
    assert hosts.match("a.example.org") and hosts.match("a.b.c.example.org") and hosts.match("nas")
    assert not hosts.match("example.org") and not hosts.match("evilexample.org") and not hosts.match("nas.lan")


@pytest.mark.parametrize("pattern", ["Grafana.example.org", "*", "*.", "a.*.org", "*.*.org", "a.org:443", "fd00::1",
                                     "*.[fd00::1]", "http://a.org", ""])
def test_bad_host_patterns(pattern):
    with pytest.raises(ValueError):
        parse_host_pattern(pattern)


def test_host_patterns_for_addresses():
    assert parse_host_pattern("[fd00::1]") == ("fd00::1", False)
    assert parse_host_pattern("192.168.1.10") == ("192.168.1.10", False)


def test_network_with_host_bits_suggests_the_network():
    with pytest.raises(ValueError, match="did you mean 192.168.1.0/24"):
        parse_network("192.168.1.5/24")
    with pytest.raises(ValueError, match="not a network"):
        parse_network("home")


HOME = parse_named({"home": ["192.168.1.0/24", "fd00::/8"], "guests": ["192.168.1.128/25"]})
A = ipaddress.ip_address


def test_named_and_cidr_and_ipv6():
    home = Networks(["home"], HOME)
    assert home.match(A("192.168.1.7")) and home.match(A("fd12:3456::1"))
    assert not home.match(A("192.168.2.7")) and not home.match(A("2001:db8::1"))
    assert Networks(["10.0.0.0/8", "2001:db8::/32"], HOME).match(A("2001:db8::5"))


def test_negation():
    outside = Networks(["!home"], HOME)
    assert outside.match(A("203.0.113.5")) and outside.match(A("2001:db8::1"))
    assert not outside.match(A("192.168.1.7")) and not outside.match(A("fd00::1"))
    residents = Networks(["home", "!guests"], HOME)
    assert residents.match(A("192.168.1.7")) and not residents.match(A("192.168.1.200"))


def test_an_address_nobody_vouches_for_is_in_no_network():
    assert not Networks(["home"], HOME).match(None)
    assert Networks(["!home"], HOME).match(None)


@pytest.mark.parametrize("entries", [[], [""], ["!"], ["nowhere"], ["192.168.1.1/33"]])
def test_bad_network_entries(entries):
    with pytest.raises(ValueError):
        Networks(entries, HOME) if entries else parse_named({"x": entries})


TRUSTED = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8")]


@pytest.mark.parametrize("peer, forwarded, client", [
    ("127.0.0.1", ["192.168.1.7"], "192.168.1.7"),
    ("127.0.0.1", ["6.6.6.6, 192.168.1.7"], "192.168.1.7"),  # the client typed the left part
    ("127.0.0.1", ["192.168.1.7, 10.0.0.2"], "192.168.1.7"),  # through a second trusted proxy
    ("", ["192.168.1.7"], "192.168.1.7"),  # a UNIX socket: the local proxy
    ("127.0.0.1", ["[fd00::5]:443"], "fd00::5"),
    ("203.0.113.9", ["192.168.1.7"], None),  # not from a trusted proxy: anyone could type it
    ("127.0.0.1", [], None),  # a trusted proxy that did not say: not the proxy's own address
    ("127.0.0.1", ["garbage, 192.168.1.7, 10.0.0.3"], "192.168.1.7"),
    ("127.0.0.1", ["192.168.1.7, garbage"], None),  # garbage nearest to us: nobody to trust
])
def test_vouched_client(peer, forwarded, client):
    found = vouched_client(peer, forwarded, TRUSTED)
    assert (str(found) if found else None) == client
