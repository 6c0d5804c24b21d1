"""The one decision (app/access/decision.py): first match, default, criteria, ambiguity, sessions."""

from datetime import timedelta

import pytest

from app.access.decision import (
    ALLOW, DENIED, REAUTHENTICATE, SECOND_FACTORS, SIGN_IN, TWO_FACTOR_REQUIRED, Session, decide,
)
from app.access.loader import parse
from app.access.rules import NO_RULES
from app.services import login_sessions
from tests.support.access import EXAMPLE, NOW, PASSWORD_ONLY, WITH_CODE, reading

RULES = parse(EXAMPLE, "access.toml")


def decided(rules, request, session=None):
    found = decide(rules, request, session, NOW)
    return found.rule, found.policy, found.outcome


def test_second_factors_are_the_ones_sessions_record():
    for methods in (("password",), ("passkey",), ("password", "code"), ("password", "recovery_code")):
        assert login_sessions.has_second_factor(methods) == (not SECOND_FACTORS.isdisjoint(methods))
    assert SECOND_FACTORS == login_sessions.SECOND_FACTORS


def test_no_rules_every_request_needs_a_session():
    assert decided(NO_RULES, reading()) == (None, "signed_in", SIGN_IN)
    found = decide(NO_RULES, reading(), PASSWORD_ONLY, NOW)
    assert (found.outcome, found.identified) == (ALLOW, True)


def test_the_specs_example():
    assert decided(RULES, reading("jellyfin.example.org", "/Items", ip="192.168.1.20"))[:2] == (
        "jellyfin apps at home", "bypass")
    assert decided(RULES, reading("jellyfin.example.org", "/Items", ip="fd00::20"))[2] == ALLOW
    assert decided(RULES, reading("jellyfin.example.org", "/Items", ip="203.0.113.5")) == (None, "signed_in", SIGN_IN)
    assert decided(RULES, reading("grafana.example.org", "/api/dashboards")) == ("grafana api keys", "bypass", ALLOW)
    assert decided(RULES, reading("grafana.example.org", "/d/home")) == (None, "signed_in", SIGN_IN)
    assert decided(RULES, reading("pve.example.org", "/")) == ("proxmox", "two_factor", SIGN_IN)
    assert decided(RULES, reading("files.example.org", "/admin/users", ip="203.0.113.5"))[2] == DENIED
    assert decided(RULES, reading("files.a.example.org", "/admin", ip="2001:db8::1"))[2] == DENIED
    assert decided(RULES, reading("files.example.org", "/admin/users", ip="192.168.1.5")) == (None, "signed_in", SIGN_IN)
    # Not through a trusted proxy: in no network, so outside (denied) and never at home.
    assert decided(RULES, reading("files.example.org", "/admin/", ip=None))[2] == DENIED
    assert decided(RULES, reading("jellyfin.example.org", "/", ip=None))[2] == SIGN_IN


def test_first_match_in_file_order_and_default():
    rules = parse("""
default = "deny"
[[rule]]
name = "open api"
paths = ["/api/**"]
policy = "bypass"
[[rule]]
name = "closed api"
paths = ["/api/private/**"]
policy = "deny"
[[rule]]
name = "everything else"
hosts = ["*.example.org"]
policy = "signed_in"
""")
    assert decided(rules, reading(path="/api/private/x"))[:2] == ("open api", "bypass")  # the first wins
    assert decided(rules, reading(path="/d/1"))[:2] == ("everything else", "signed_in")
    assert decided(rules, reading("example.org", "/d/1")) == (None, "deny", DENIED)
    assert decided(rules, reading("nas", "/")) == (None, "deny", DENIED)


def test_methods():
    rules = parse("""
[[rule]]
name = "webhook"
hosts = ["ha.example.org"]
paths = ["/api/webhook/*"]
methods = ["post", "PUT"]
policy = "bypass"
""")
    assert decided(rules, reading("ha.example.org", "/api/webhook/abc", "POST"))[2] == ALLOW
    assert decided(rules, reading("ha.example.org", "/api/webhook/abc", "PUT"))[2] == ALLOW
    assert decided(rules, reading("ha.example.org", "/api/webhook/abc", "GET"))[2] == SIGN_IN
    # A proxy that did not say which method: the strictest that could apply.
    found = decide(rules, reading("ha.example.org", "/api/webhook/abc", None), None, NOW)
    assert (found.outcome, found.ambiguous) == (SIGN_IN, "no method")
    # ... but only when a rule looks at the method before one decides.
    assert decided(RULES, reading("grafana.example.org", "/api/x", None))[2] == ALLOW


BYPASS_AND_DENY = parse("""
[[rule]]
name = "public"
hosts = ["tool.example.org"]
paths = ["/public/**"]
policy = "bypass"

[[rule]]
name = "admin"
hosts = ["tool.example.org"]
paths = ["/admin/**"]
policy = "deny"
""")

TRICKY = [
    "/public/../admin/x",
    "/public/%2e%2e/admin/x",
    "/public/%2E%2E/admin/x",
    "/public/.%2e/admin/x",
    "/public/%252e%252e/admin/x",
    "/public%2f..%2fadmin/x",
    "/public/..%2fadmin/x",
    "/public/..%5cadmin/x",
    "/public\\..\\admin\\x",
    "/public/..;/admin/x",
    "/public;/../admin/x",
    "/public/x%00/../../admin",
    "/public/%0a/../admin",
    "/public/%3f/../admin",
    "/public/./x",
    "/public/%c0%ae%c0%ae/admin",
    "/admin/../public/x",
    "/Admin/x",  # ASP.NET tools (Jellyfin) read it as /admin
    "/public/%",
]


@pytest.mark.parametrize("path", TRICKY)
def test_ambiguous_paths_get_the_strictest_policy(path):
    found = decide(BYPASS_AND_DENY, reading("tool.example.org", path), WITH_CODE, NOW)
    assert (found.rule, found.policy, found.outcome) == ("admin", "deny", DENIED), found
    assert found.ambiguous


@pytest.mark.parametrize("path", TRICKY)
def test_ambiguous_paths_never_bypass(path):
    """With only the bypass rule, the default (signed_in) is stricter than bypass."""
    only_bypass = parse("""
[[rule]]
name = "public"
hosts = ["tool.example.org"]
paths = ["/public/**"]
policy = "bypass"
""")
    assert decided(only_bypass, reading("tool.example.org", path)) == (None, "signed_in", SIGN_IN)


def test_plain_paths_are_not_ambiguous():
    assert decided(BYPASS_AND_DENY, reading("tool.example.org", "/public//x?next=/admin")) == ("public", "bypass", ALLOW)
    assert decided(BYPASS_AND_DENY, reading("tool.example.org", "/%70ublic/x"))[0] == "public"
    assert decided(BYPASS_AND_DENY, reading("tool.example.org", "/admin"))[0] == "admin"
    # On another host the tool's rules do not apply, ambiguous or not.
    assert decided(BYPASS_AND_DENY, reading("other.example.org", "/public/../admin")) == (None, "signed_in", SIGN_IN)


def test_a_path_whose_case_decides_is_judged_case_blind_at_its_strictest():
    found = decide(BYPASS_AND_DENY, reading("tool.example.org", "/PUBLIC/x"), None, NOW)
    assert (found.rule, found.outcome, found.ambiguous) == (None, SIGN_IN, "a path whose case decides")


def test_an_unreadable_host_gets_the_strictest_policy():
    found = decide(BYPASS_AND_DENY, reading("evil@tool.example.org", "/public/x"), None, NOW)
    assert (found.rule, found.outcome, found.ambiguous) == (None, SIGN_IN, "an unreadable host")
    assert decided(BYPASS_AND_DENY, reading("evil@tool.example.org", "/admin/x"))[2] == DENIED


def test_strictest_prefers_the_shorter_max_age():
    rules = parse("""
[[rule]]
name = "long"
paths = ["/a/**"]
policy = "signed_in"
max_age = "12h"
[[rule]]
name = "short"
paths = ["/b/**"]
policy = "signed_in"
max_age = "15m"
""")
    found = decide(rules, reading(path="/a/%2e%2e/b"), WITH_CODE, NOW)
    assert (found.rule, found.max_age) == ("short", timedelta(minutes=15))


def test_two_factor_and_max_age():
    proxmox = reading("pve.example.org", "/")
    assert decided(RULES, proxmox, PASSWORD_ONLY)[2] == TWO_FACTOR_REQUIRED
    assert decide(RULES, proxmox, WITH_CODE, NOW).identified
    for methods in (("passkey",), ("password", "recovery_code"), ("password", "passkey")):
        assert decided(RULES, proxmox, Session(methods, NOW - timedelta(minutes=14)))[2] == ALLOW
    stale = Session(("password", "code"), NOW - timedelta(minutes=15))
    assert decided(RULES, proxmox, stale)[2] == REAUTHENTICATE
    assert decided(RULES, proxmox, Session(("password", "code"), None))[2] == REAUTHENTICATE
    # Password-only and stale: the second factor is what is missing first.
    assert decided(RULES, proxmox, Session(("password",), NOW - timedelta(hours=1)))[2] == TWO_FACTOR_REQUIRED


def test_bypass_names_the_user_only_with_a_session_and_deny_refuses_everyone():
    api = reading("grafana.example.org", "/api/x")
    assert decide(RULES, api, None, NOW).identified is False
    assert decide(RULES, api, PASSWORD_ONLY, NOW).identified is True
    admin = decide(RULES, reading("files.example.org", "/admin/", ip="203.0.113.1"), WITH_CODE, NOW)
    assert (admin.outcome, admin.identified) == (DENIED, False)
