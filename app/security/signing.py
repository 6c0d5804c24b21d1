"""itsdangerous signers that derive their keys once and prepare each key's HMAC once (Flask's
cookie session is built on them in app/web/cookie_session.py, the session token signer in
app/security/tokens.py, the CSRF tokens in app/web/csrf_token.py).

itsdangerous re-derives the key (a hash of salt and secret) on every sign and check, and builds
an `hmac.HMAC` object for each signature (docs/performance.md: the session token's check was a
fifth of a forward-auth answer). The keys only change with a restart, so each is derived once
here, and its HMAC's inner and outer hash states (RFC 2104) are prepared once too: a signature is
then two copies of a hash state and two short updates (`hmac.digest`, which sets up OpenSSL's
HMAC anew on each call, costs twice that). The bytes signed and the values accepted are exactly
those of the stock classes (tests/security/test_signing.py).
"""

from __future__ import annotations

import binascii
import hmac

from itsdangerous import Signer, TimestampSigner
from itsdangerous.encoding import base64_encode, want_bytes
from itsdangerous.signer import HMACAlgorithm

from app.bounded_cache import BoundedCache

_INNER = bytes(x ^ 0x36 for x in range(256))  # RFC 2104's ipad and opad, as translation tables
_OUTER = bytes(x ^ 0x5C for x in range(256))
_URLSAFE = bytes.maketrans(b"-_", b"+/")  # base64.urlsafe_b64decode's translation


class PreparedHMAC:
    """HMAC with one key, its inner and outer hash states made once: `digest(message)` is
    `hmac.digest(key, message, digest_constructor)`."""

    def __init__(self, key: bytes, digest_constructor) -> None:
        self.inner, self.outer = digest_constructor(), digest_constructor()
        block = self.inner.block_size
        if len(key) > block:
            key = digest_constructor(key).digest()
        key = key.ljust(block, b"\0")
        self.inner.update(key.translate(_INNER))
        self.outer.update(key.translate(_OUTER))

    def digest(self, message: bytes) -> bytes:
        inner = self.inner.copy()
        inner.update(message)
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.digest()


def _base64_decode(value: bytes) -> bytes:
    """itsdangerous's `base64_decode` for bytes (padding added, non-alphabet bytes skipped)."""
    return binascii.a2b_base64((value + b"=" * (-len(value) % 4)).translate(_URLSAFE))

# (salt, derivation, digest, secret key) -> derived key. As many entries as configured keys
# times salts in use (a handful; many test apps in one process reach the bound);
# itsdangerous serializers make a new signer per call, so the cache cannot live on the signer.
_DERIVED = BoundedCache(64)
# (derived key, digest) -> its PreparedHMAC: one per entry above.
_PREPARED = BoundedCache(64)


class _DerivedOnce:
    """Mixin for a Signer: each secret key derived once per process, each MAC in one call."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        entry = (self.salt, self.key_derivation, self.digest_method, key)
        return _DERIVED.get_or_make(entry, lambda: super(_DerivedOnce, self).derive_key(key))

    def _macs(self) -> list:
        """This signer's MAC functions, one per derived key, newest first (the order itsdangerous
        tries them in): a prepared HMAC for the default algorithm, else the algorithm's own."""
        macs = self.__dict__.get("_prepared_macs")
        if macs is None:
            macs = []
            for secret in reversed(self.secret_keys):
                key = self.derive_key(secret)
                if type(self.algorithm) is HMACAlgorithm:
                    digest = self.algorithm.digest_method
                    macs.append(_PREPARED.get_or_make((key, digest), lambda: PreparedHMAC(key, digest)).digest)
                else:
                    macs.append(lambda value, key=key: self.algorithm.get_signature(key, value))
            self._prepared_macs = macs
        return macs

    def get_signature(self, value: str | bytes) -> bytes:
        return base64_encode(self._macs()[0](want_bytes(value)))

    def verify_signature(self, value: str | bytes, sig: str | bytes) -> bool:
        try:  # as itsdangerous: anything that is not base64 is no signature
            sig = _base64_decode(want_bytes(sig, encoding="ascii", errors="ignore"))
        except Exception:
            return False
        value = want_bytes(value)
        for mac in self._macs():
            if hmac.compare_digest(sig, mac(value)):
                return True
        return False


class KeyedSigner(_DerivedOnce, Signer):
    pass


class KeyedTimestampSigner(_DerivedOnce, TimestampSigner):
    pass
