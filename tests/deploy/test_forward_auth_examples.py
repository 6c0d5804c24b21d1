"""The Traefik example (Traefik is not packaged here; its behaviour is Caddy's, tested for real
in tests/e2e/test_forward_auth.py): the pieces that make it safe are there and in order. And
the Caddy examples' LAN variant (`tls internal`), which those runs on plain HTTP do not cover."""

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.e2e.caddy import caddy_binary
from tests.support.external import require_external

DYNAMIC = Path(__file__).resolve().parents[2] / "deploy" / "traefik" / "dynamic.yml"


def test_traefik_asks_forward_auth_and_strips_remote_user_first():
    http = yaml.safe_load(DYNAMIC.read_text())["http"]
    middlewares = http["middlewares"]
    forward = middlewares["gatehouse"]["forwardAuth"]
    assert forward["address"].endswith("/api/v1/auth/forward-auth")
    assert forward["authResponseHeaders"] == ["Remote-User"]
    assert forward["trustForwardHeader"] is False
    # The identity, and the descriptions of the request Traefik does not set itself (docs/access.md).
    assert middlewares["gatehouse-strip-identity"]["headers"]["customRequestHeaders"] == {
        "Remote-User": "", "Remote_User": "", "X-Original-URL": "", "X-Original-URI": "", "X-Original-Method": ""}
    protected = [r for r in http["routers"].values() if "middlewares" in r]
    assert len(protected) == 2  # one per topology
    for router in protected:
        chain = router["middlewares"]
        assert chain.index("gatehouse-strip-identity") < chain.index("gatehouse")
        # The access rules see the path the browser asked for: no prefix stripped before the check.
        assert all(not middlewares[name].get("stripPrefix") for name in chain[:chain.index("gatehouse")])
    portal_rules = [r["rule"] for r in http["routers"].values() if r["service"] == "gatehouse"]
    assert "Host(`auth.example.org`)" in portal_rules


@pytest.mark.parametrize("name", ["subdomains.Caddyfile", "same-host.Caddyfile"])
def test_the_caddy_examples_lan_variant_with_tls_internal_is_valid(tmp_path, name):
    """The line a LAN uncomments (`tls internal`, Caddy's own CA) leaves a configuration Caddy accepts."""
    binary = caddy_binary()
    if binary is None:
        require_external("caddy is not installed (apt-get install caddy)")
    shipped = (DYNAMIC.parents[1] / "caddy" / name).read_text()
    line = "\t# tls internal    # on a LAN (see above)\n"
    assert shipped.count(line) == 1
    lan = tmp_path / "Caddyfile"
    lan.write_text(shipped.replace(line, "\ttls internal\n"))
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    check = subprocess.run([binary, "validate", "--config", str(lan), "--adapter", "caddyfile"],
                           capture_output=True, text=True, env=env, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    adapted = subprocess.run([binary, "adapt", "--config", str(lan), "--adapter", "caddyfile"],
                             capture_output=True, text=True, env=env, timeout=60)
    assert '"module":"internal"' in adapted.stdout  # the site's certificate comes from Caddy's own CA
