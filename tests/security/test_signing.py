"""Signers that derive their keys once must sign and accept exactly what the stock ones do."""

import hashlib

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import Signer

from app.security.signing import KeyedSigner
from app.web.cookie_session import CookieSessionInterface

OLD, NEW = "old-key-" + "o" * 30, "new-key-" + "n" * 30


def test_keyed_signer_signs_and_accepts_like_the_stock_signer():
    stock = Signer([OLD, NEW], salt="s", digest_method=hashlib.sha256)
    keyed = KeyedSigner([OLD, NEW], salt="s", digest_method=hashlib.sha256)
    for _ in range(2):  # the second round uses the derived keys it kept
        assert keyed.sign(b"value") == stock.sign(b"value")
        assert keyed.unsign(Signer(OLD, salt="s", digest_method=hashlib.sha256).sign(b"old")) == b"old"
    other_salt = KeyedSigner(NEW, salt="other", digest_method=hashlib.sha256)
    assert other_salt.sign(b"value") != keyed.sign(b"value")  # the salt is part of the kept key
    assert not other_salt.validate(keyed.sign(b"value"))


def test_session_cookie_is_the_stock_one_and_follows_the_keys(app):
    stock = SecureCookieSessionInterface().get_signing_serializer(app)
    ours = app.session_interface
    assert isinstance(ours, CookieSessionInterface)
    cookie = stock.dumps({"csrf_token": "abc"})
    assert ours.get_signing_serializer(app).loads(cookie) == {"csrf_token": "abc"}
    assert stock.loads(ours.get_signing_serializer(app).dumps({"x": 1})) == {"x": 1}
    assert ours.get_signing_serializer(app) is ours.get_signing_serializer(app)  # built once
    app.secret_key = NEW  # a different key set builds a new serializer
    assert ours.get_signing_serializer(app).secret_keys[-1] == NEW.encode()


def test_flask_session_round_trip_through_the_app(client):
    with client.session_transaction() as session:
        session["probe"] = "kept"
    with client.session_transaction() as session:
        assert session["probe"] == "kept"


def test_kept_keys_stay_bounded_and_correct():
    from app.security import signing

    for n in range(signing._DERIVED.maxsize + 10):
        key = f"key-{n:04d}-" + "k" * 30
        assert KeyedSigner(key, salt="b").sign(b"v") == Signer(key, salt="b").sign(b"v")
    assert len(signing._DERIVED) <= signing._DERIVED.maxsize
