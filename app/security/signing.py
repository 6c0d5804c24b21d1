"""itsdangerous signers that derive their keys once, and Flask's cookie session built on them.

itsdangerous re-derives the key (a SHA-256 of salt and secret) on every sign and check,
and Flask builds a new signing serializer for its session cookie on every request. The
keys only change with a restart, so both are done once here; the bytes signed and the
values accepted are exactly those of the stock classes.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes


# (salt, derivation, digest, secret key) -> derived key. As many entries as configured keys
# times salts in use (a handful); itsdangerous serializers make a new signer per call, so
# the cache cannot live on the signer.
_DERIVED: dict[tuple, bytes] = {}
_MAX_DERIVED = 64


class _DerivedOnce:
    """Mixin for a Signer: each secret key is derived once per process."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        entry = (self.salt, self.key_derivation, self.digest_method, key)
        derived = _DERIVED.get(entry)
        if derived is None:
            if len(_DERIVED) >= _MAX_DERIVED:  # only many test apps get here; stay bounded anyway
                _DERIVED.clear()
            derived = _DERIVED[entry] = super().derive_key(key)
        return derived


class KeyedSigner(_DerivedOnce, Signer):
    pass


class KeyedTimestampSigner(_DerivedOnce, TimestampSigner):
    pass


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
