"""itsdangerous signers that derive their keys once (Flask's cookie session is built on them in
app/web/cookie_session.py).

itsdangerous re-derives the key (a SHA-256 of salt and secret) on every sign and check. The
keys only change with a restart, so that is done once here; the bytes signed and the values
accepted are exactly those of the stock classes.
"""

from __future__ import annotations

from itsdangerous import Signer, TimestampSigner
from itsdangerous.encoding import want_bytes

from app.bounded_cache import BoundedCache

# (salt, derivation, digest, secret key) -> derived key. As many entries as configured keys
# times salts in use (a handful; many test apps in one process reach the bound);
# itsdangerous serializers make a new signer per call, so the cache cannot live on the signer.
_DERIVED = BoundedCache(64)


class _DerivedOnce:
    """Mixin for a Signer: each secret key is derived once per process."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        entry = (self.salt, self.key_derivation, self.digest_method, key)
        return _DERIVED.get_or_make(entry, lambda: super(_DerivedOnce, self).derive_key(key))


class KeyedSigner(_DerivedOnce, Signer):
    pass


class KeyedTimestampSigner(_DerivedOnce, TimestampSigner):
    pass
