"""Master-password rules and hashing: bcrypt over an HMAC pre-hash, never truncated.

bcrypt reads only 72 bytes and bcrypt 5 raises past that (in `checkpw` too), so the
password is first reduced to base64(HMAC-SHA256(key=bcrypt salt, NFKC(password))):
44 ASCII bytes, no NUL, any length in (passlib's bcrypt_sha256 v2 scheme; see
docs/security.md, "Passwords"). Written by hand because passlib 1.7.4 is broken with bcrypt 5.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata

import bcrypt

PREFIX = "$gatehouse-bcrypt-hmac$v=1$"
MIN_CHARACTERS = 15
MAX_BYTES = 1024


class PasswordRejected(ValueError):
    """A new password breaks a rule; the message says which, for the person choosing it."""


def normalise(password: str) -> bytes | None:
    """NFKC UTF-8 bytes of `password`, or None when it cannot be a password at all."""
    if "\x00" in password or "\ufffd" in password:
        return None
    try:
        data = unicodedata.normalize("NFKC", password).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from JSON "\ud800"
        return None
    return data if len(data) <= MAX_BYTES else None


def check_new_password(password: str, confirm: str | None = None) -> bytes:
    """Return the normalised bytes of an acceptable new password, or raise PasswordRejected."""
    if "\x00" in password:
        raise PasswordRejected("The password must not contain NUL characters.")
    if "\ufffd" in password or any(0xD800 <= ord(ch) <= 0xDFFF for ch in password):
        raise PasswordRejected("The password is not valid UTF-8 text.")
    if len(password) < MIN_CHARACTERS:
        raise PasswordRejected(f"The password must be at least {MIN_CHARACTERS} characters long.")
    data = normalise(password)
    if data is None:
        raise PasswordRejected(f"The password must be at most {MAX_BYTES} bytes long.")
    if confirm is not None and not hmac.compare_digest(password.encode("utf-8", "surrogatepass"), confirm.encode("utf-8", "surrogatepass")):
        raise PasswordRejected("The two passwords do not match.")
    return data


def _prehash(data: bytes, salt: bytes) -> bytes:
    return base64.b64encode(hmac.new(salt, data, hashlib.sha256).digest())


def hash_password(password: str, rounds: int) -> str:
    """Hash a password that passed `check_new_password`."""
    data = normalise(password)
    if data is None:
        raise PasswordRejected("The password cannot be stored.")
    salt = bcrypt.gensalt(rounds)
    return PREFIX + bcrypt.hashpw(_prehash(data, salt), salt).decode("ascii")


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches `stored`; False for anything malformed, never an error."""
    data = normalise(password)
    if data is None or not stored.startswith(PREFIX):
        return False
    hashed = stored[len(PREFIX):].encode("ascii", "replace")
    try:
        return bcrypt.checkpw(_prehash(data, hashed[:29]), hashed)
    except ValueError:
        return False


def needs_rehash(stored: str, rounds: int) -> bool:
    """True when `stored` was made with another bcrypt cost than `rounds`."""
    parts = stored[len(PREFIX):].split("$")
    return len(parts) < 3 or parts[2] != f"{rounds:02d}"
