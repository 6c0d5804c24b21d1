"""The CSRF token of this request (docs/security.md, "CSRF"): flask-wtf's, with its keys derived once.

flask-wtf's `generate_csrf` builds a URLSafeTimedSerializer on every call: the key derived
again, a JSON probe of the serializer, an HMAC object (docs/performance.md: a sixth of a
first `GET /login`). `generate_csrf` here makes the very same token, with a serializer built
once per key on the signers of app/security/signing.py: the same secret in Flask's session
(made the same way when there is none), the same salt, payload and signature, kept in `g` for
the rest of the request under the same name. So the two are interchangeable: a form field
flask-wtf renders later in the request returns the token this put in `g` (and the other way
round), and flask-wtf's CSRFProtect and form validation check every token as before.

The templates' `csrf_token()` and the kept pages (app/edge/page_cache.py) use this one.
"""

from __future__ import annotations

import hashlib
import os

from flask import Flask, current_app, g
from flask import session as flask_session
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer

from app.security.signing import KeyedTimestampSigner

SALT = "wtf-csrf-token"  # flask-wtf's salt for the form token
_STATE = "gatehouse.csrf"


class TokenSerializer(URLSafeTimedSerializer):
    """flask-wtf's serializer, its keys derived once, without the zlib attempt: `zlib.compress`
    sets up a quarter-megabyte state on each call (two fifths of the token's cost), and the
    payload, a 40-digit hex secret in quotes, never shrinks by the two bytes compression must
    save to be used, so what is written is what itsdangerous writes for it. Its `loads` reads a
    compressed payload all the same."""

    default_signer = KeyedTimestampSigner

    def dump_payload(self, obj) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


class TokenMaker:
    """The field name (flask-wtf's key in the session and in `g`) and the serializer for the current key."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.built: tuple[str | bytes, TokenSerializer] | None = None

    def serializer(self, key: str | bytes) -> TokenSerializer:
        built = self.built
        if built is None or built[0] != key:
            built = self.built = (key, TokenSerializer(key, salt=SALT))
        return built[1]


def init_app(app: Flask) -> None:
    """After CSRFProtect's `init_app`: the templates' `csrf_token()` becomes this `generate_csrf`."""
    app.extensions[_STATE] = TokenMaker(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    app.jinja_env.globals["csrf_token"] = generate_csrf


def generate_csrf() -> str:
    """This request's CSRF token, as `flask_wtf.csrf.generate_csrf()` makes it."""
    app, kept = current_app._get_current_object(), g._get_current_object()  # each proxy resolved once
    maker: TokenMaker = app.extensions[_STATE]
    field = maker.field
    if field not in kept:
        key = app.config.get("WTF_CSRF_SECRET_KEY", app.secret_key)
        if key is None:
            raise RuntimeError("A secret key is required to use CSRF.")
        serializer = maker.serializer(key)
        session = flask_session._get_current_object()
        if field not in session:
            session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
        try:
            token = serializer.dumps(session[field])
        except TypeError:  # as flask-wtf: a secret that is not JSON is replaced
            session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
            token = serializer.dumps(session[field])
        setattr(kept, field, token)
    return kept.get(field)
