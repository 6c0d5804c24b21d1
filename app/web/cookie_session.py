"""Flask's signed-cookie session (it carries the CSRF secret and flashed messages), with its
serializer built once per set of keys: Flask builds a new one on every request, and its
signer derives its key again each time (app/security/signing.py derives it once)."""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from app.security.signing import KeyedTimestampSigner


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session with its serializer built once per set of keys."""

    _built: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built = self._built
        if built is None or built[0] != keys:
            serializer = super().get_signing_serializer(app)
            if serializer is not None:
                serializer.signer = KeyedTimestampSigner
            built = self._built = (keys, serializer)
        return built[1]
