"""The Traefik example (Traefik is not packaged here; its behaviour is Caddy's, tested for real
in tests/e2e/test_forward_auth.py): the pieces that make it safe are there and in order."""

from pathlib import Path

import yaml

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
