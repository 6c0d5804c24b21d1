"""`gatehouse oidc add|list|remove` (the key rotation: test_keys_and_settings.py)."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.extensions import db
from app.oidc.models import OidcClient


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["oidc", *args])


def test_add_prints_the_id_and_the_secret_once_and_stores_only_its_hash(app):
    result = invoke(app, "add", "grafana", "--redirect-uri", "https://grafana.example.org/login/generic_oauth",
                    "--groups", "admins,editors", "--policy", "two_factor", "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert set(printed) == {"name", "client_id", "client_secret"} and len(printed["client_secret"]) >= 40
    with app.app_context():
        row = db.session.scalar(select(OidcClient))
        assert row.secret_hash != printed["client_secret"] and printed["client_secret"] not in str(vars(row))
        assert row.groups == "admins,editors" and row.policy == "two_factor"
    listed = json.loads(invoke(app, "list", "--json").output)
    assert listed[0]["client_id"] == printed["client_id"] and "client_secret" not in listed[0]
    assert printed["client_secret"] not in invoke(app, "list").output


def test_a_public_app_has_no_secret(app):
    result = invoke(app, "add", "immich", "--public", "--redirect-uri", "app.immich:///oauth-callback")
    assert result.exit_code == 0 and "client_secret: none (a public app: PKCE S256)" in result.output


def test_bad_input_is_one_clear_line_and_stores_nothing(app):
    cases = [
        (["add", "x", "--redirect-uri", "javascript:alert(1)"], "must start with https://"),
        (["add", "x", "--redirect-uri", "https://a.example.org/cb#frag"], "must not have a #fragment"),
        (["add", "x", "--redirect-uri", "https://user@a.example.org/cb"], "must name a host"),
        (["add", "", "--redirect-uri", "https://a.example.org/cb"], "The name is"),
        (["add", "x", "--redirect-uri", "https://a.example.org/cb", "--groups", "a b"], "Groups are"),
        (["add", "x", "--redirect-uri", "https://a.example.org/cb", "--groups", ",".join(f"g{n:02d}" + "x" * 58 for n in range(19))], "Groups are"),
        (["add", "x", *["--redirect-uri", "https://a.example.org/cb"] * 1, *sum((["--redirect-uri", f"https://a.example.org/{n}"] for n in range(11)), [])], "At most 10"),
        (["add", "x"], "Missing option '--redirect-uri'"),
    ]
    for args, message in cases:
        result = invoke(app, *args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    with app.app_context():
        assert db.session.scalar(select(OidcClient)) is None


def test_a_taken_name_and_an_unknown_one_are_refused(app):
    assert invoke(app, "add", "a", "--redirect-uri", "https://a.example.org/cb").exit_code == 0
    taken = invoke(app, "add", "a", "--redirect-uri", "https://b.example.org/cb")
    assert taken.exit_code == 1 and "exists already" in taken.output
    missing = invoke(app, "remove", "nope")
    assert missing.exit_code == 1 and "No app named 'nope'" in missing.output
    assert invoke(app, "remove", "a").exit_code == 0 and "No apps." in invoke(app, "list").output
