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


def test_prepared_hmac_is_hmac():
    """RFC 2104 with the key's states made once: the same bytes as hmac.digest, short keys, keys of
    exactly one block and keys longer than a block (hashed first) alike."""
    import hmac
    import os

    from app.security.signing import PreparedHMAC

    for digest in (hashlib.sha1, hashlib.sha256, hashlib.sha512):
        for size in (0, 1, 20, 63, 64, 65, 127, 128, 129, 300):
            key = os.urandom(size)
            prepared = PreparedHMAC(key, digest)
            for message in (b"", b"v", os.urandom(45), os.urandom(1000)):
                assert prepared.digest(message) == hmac.digest(key, message, digest)
                assert prepared.digest(message) == prepared.digest(message)  # its states are not used up


SIGNED_VARIANTS = ["{v}", "{v}x", "x{v}", "{v}=", "{v}==", "{v}.", ".{v}", "{v}!", "{v} ", "{v}\u00e9", "{p}.", "{p}",
                   "{p}.AAAA", "{p}.====", "{p}.%%%%", "{p}.{s}{s}", "{p}.{s}-", "{p}.-{s}", "{p}x.{s}", "", "."]


def test_keyed_signer_refuses_and_accepts_exactly_what_the_stock_signer_does():
    """Tampered, truncated, padded and garbled values: the same verdict, value for value."""
    stock = Signer([OLD, NEW], salt="s", digest_method=hashlib.sha256)
    keyed = KeyedSigner([OLD, NEW], salt="s", digest_method=hashlib.sha256)
    for signed in (stock.sign(b"value"), Signer(OLD, salt="s", digest_method=hashlib.sha256).sign(b"other")):
        text = signed.decode()
        payload, sig = text.rsplit(".", 1)
        for variant in SIGNED_VARIANTS:
            value = variant.format(v=text, p=payload, s=sig)
            assert keyed.validate(value) == stock.validate(value), value
            if stock.validate(value):
                assert keyed.unsign(value) == stock.unsign(value)


def test_keyed_timestamp_signer_is_the_stock_one():
    from itsdangerous import SignatureExpired, TimestampSigner

    from app.security.signing import KeyedTimestampSigner

    stock, keyed = TimestampSigner([OLD, NEW], salt="t"), KeyedTimestampSigner([OLD, NEW], salt="t")
    signed = stock.sign(b"value")
    assert keyed.unsign(signed, max_age=60) == b"value" and stock.unsign(keyed.sign(b"x"), max_age=60) == b"x"
    assert keyed.unsign(TimestampSigner(OLD, salt="t").sign(b"old")) == b"old"  # the previous key still counts

    class Old(KeyedTimestampSigner):
        def get_timestamp(self):
            return super().get_timestamp() - 3600

    aged = Old([OLD, NEW], salt="t").sign(b"aged")
    for signer in (stock, keyed):
        try:
            signer.unsign(aged, max_age=60)
        except SignatureExpired:
            continue
        raise AssertionError(f"{signer!r} accepted a value older than max_age")
