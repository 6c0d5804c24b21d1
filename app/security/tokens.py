"""Session tokens: 32 random bytes, signed for the cookie or bearer value, hashed for storage."""

from __future__ import annotations

import hashlib
import secrets
from typing import Sequence

from itsdangerous import BadSignature

from app.bounded_cache import BoundedCache
from app.security.signing import KeyedSigner

SALT = "gatehouse.session-token"
MAX_SIGNED_LENGTH = 200
# Signed values this signer verified, and the token in each: a browser or a proxy presents the
# same value on every request, and its check is most of a forward-auth answer's own work
# (docs/performance.md). Only values that verified are kept, at most this many (200 bytes each
# at most): a forged value is checked every time, as before.
VERIFIED_VALUES = 1024


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What the database and cache keep: SHA-256 hex of the raw token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class TokenSigner:
    """Signs with the current key; verifies with the current and the previous ones (rotation)."""

    def __init__(self, current_key: str, previous_keys: Sequence[str] = ()) -> None:
        # itsdangerous signs with the last key and accepts any of them.
        self._signer = KeyedSigner([*previous_keys, current_key], salt=SALT, digest_method=hashlib.sha256)
        self._verified = BoundedCache(VERIFIED_VALUES)  # signed value -> its token (the keys never change)

    def sign(self, token: str) -> str:
        return self._signer.sign(token).decode("ascii")

    def unsign(self, value: str | None) -> str | None:
        """The raw token inside a signed value, or None if it is absent, malformed or forged."""
        if not value or len(value) > MAX_SIGNED_LENGTH or not value.isascii():
            return None
        token = self._verified.get(value)
        if token is None:
            try:
                token = self._signer.unsign(value).decode("ascii")
            except (BadSignature, UnicodeDecodeError):
                return None
            self._verified.put(value, token)
        return token
