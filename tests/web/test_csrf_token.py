"""The CSRF token of app/web/csrf_token.py is flask-wtf's: the same secret, the same token, each
accepted where the other is, and flask-wtf still the judge of every POST."""

from __future__ import annotations

import re

import flask_wtf.csrf
import pytest
from flask import g, session
from itsdangerous import URLSafeTimedSerializer
from wtforms import ValidationError

from app.web.csrf_token import generate_csrf
from tests.support.app import PASSWORD, SECRET


def test_it_makes_flask_wtfs_token(app):
    with app.test_request_context():
        token = generate_csrf()
        secret = session["csrf_token"]
        assert re.fullmatch(r"[0-9a-f]{40}", secret)  # flask-wtf's shape: sha1 hex
        assert URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").loads(token) == secret
        flask_wtf.csrf.validate_csrf(token)
        assert generate_csrf() == token == g.csrf_token  # once per request
        assert flask_wtf.csrf.generate_csrf() == token  # flask-wtf's form fields render the same one


def test_it_takes_the_token_flask_wtf_made_first(app):
    with app.test_request_context():
        theirs = flask_wtf.csrf.generate_csrf()
        assert generate_csrf() == theirs


def test_an_existing_secret_is_kept(app):
    with app.test_request_context():
        session["csrf_token"] = "f" * 40
        token = generate_csrf()
        assert URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").loads(token) == "f" * 40
        assert session["csrf_token"] == "f" * 40


def test_a_secret_that_is_not_json_is_replaced_as_flask_wtf_does(app):
    with app.test_request_context():
        session["csrf_token"] = object()
        token = generate_csrf()
        assert re.fullmatch(r"[0-9a-f]{40}", session["csrf_token"])
        flask_wtf.csrf.validate_csrf(token)


def test_another_requests_token_or_a_forged_one_is_refused(app):
    with app.test_request_context():
        other = generate_csrf()
    with app.test_request_context():
        generate_csrf()
        for token in (other, other[:-2] + "xx", "", "garbage"):
            with pytest.raises(ValidationError):
                flask_wtf.csrf.validate_csrf(token)


def test_templates_call_this_one(app):
    assert app.jinja_env.globals["csrf_token"] is generate_csrf


def test_a_token_from_another_key_is_refused_through_the_app(client):
    """The whole path: a token signed with another secret key, this browser's secret: 400."""
    client.get("/login")
    with client.session_transaction() as stored:
        secret = stored["csrf_token"]
    forged = URLSafeTimedSerializer("another-secret-key-of-enough-length-xx", salt="wtf-csrf-token").dumps(secret)
    assert client.post("/login", data={"csrf_token": forged, "password": PASSWORD}).status_code == 400
    genuine = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").dumps(secret)
    assert client.post("/login", data={"csrf_token": genuine, "password": "wrong"}).status_code == 401


def test_the_token_is_the_stock_serializers_for_flask_wtfs_secrets(monkeypatch):
    """Without the zlib attempt, byte for byte what URLSafeTimedSerializer writes: flask-wtf's
    secrets (40 hex digits) never compress by the two bytes that would make it use zlib."""
    import hashlib
    import os

    from itsdangerous import TimestampSigner

    from app.security.signing import KeyedTimestampSigner
    from app.web.csrf_token import SALT, TokenSerializer

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_700_000_000)
    monkeypatch.setattr(KeyedTimestampSigner, "get_timestamp", lambda self: 1_700_000_000)
    ours, stock = TokenSerializer(SECRET, salt=SALT), URLSafeTimedSerializer(SECRET, salt=SALT)
    for _ in range(2000):
        secret = hashlib.sha1(os.urandom(64)).hexdigest()
        assert ours.dumps(secret) == stock.dumps(secret)


def test_a_secret_that_would_compress_still_makes_a_valid_token(app):
    from app.web.csrf_token import SALT, TokenSerializer

    secret = "0" * 40  # not one flask-wtf makes: zlib would shrink it
    token = TokenSerializer(SECRET, salt=SALT).dumps(secret)
    assert not token.startswith(".") and URLSafeTimedSerializer(SECRET, salt=SALT).loads(token) == secret
    with app.test_request_context():
        session["csrf_token"] = secret
        flask_wtf.csrf.validate_csrf(token)
