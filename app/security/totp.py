"""Second-factor primitives, no Flask: authenticator codes, sealed secrets, recovery codes.

- Codes are RFC 6238 TOTP via pyotp: base32 secret of 160 bits, SHA-1, 6 digits, 30 s, the
  parameters every authenticator app understands. `matching_step` accepts one step of clock
  skew either way and refuses any step at or before the last one accepted, so a code works
  once (the caller stores the step it returns).
- Secrets are sealed with Fernet under keys derived (HKDF-SHA256) from the secret key;
  `SecretBox` opens with the current or a previous key, so rotating GATEHOUSE_SECRET_KEY
  keeps second factors working.
- Recovery codes are 16 characters from a 31-letter alphabet (79 bits, no look-alikes).
  With that much randomness one SHA-256 is enough to store them: there is nothing to
  brute-force offline, and a slow hash would cost a bcrypt per stored code per attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Sequence

import pyotp
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DIGITS = 6
INTERVAL = 30
SECRET_CHARACTERS = 32  # base32: 5 bits each, 160 bits (RFC 4226's recommended length)
SKEW_STEPS = 1
RECOVERY_COUNT = 10
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/i/l
RECOVERY_LENGTH = 16
MAX_INPUT = 64  # longer input is no code of ours; refuse before any work

_HKDF_INFO = b"gatehouse.totp-secret.v1"
_SEPARATORS = re.compile(r"[\s-]+")


def new_secret() -> str:
    return pyotp.random_base32(SECRET_CHARACTERS)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(name=account, issuer_name=issuer)


def time_step(now: float) -> int:
    return int(now // INTERVAL)


def code_at(secret: str, step: int) -> str:
    """The code for one time step (tests and the browser test compute codes with it too)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).generate_otp(step)


def normalise_code(text: str) -> str:
    """What the person typed, without spaces or dashes (apps show "123 456"), lowercased."""
    return _SEPARATORS.sub("", text[:MAX_INPUT]).lower()


def looks_like_code(text: str) -> bool:
    return len(text) == DIGITS and text.isascii() and text.isdigit()


def matching_step(secret: str, code: str, now: float, last_step: int | None) -> int | None:
    """The time step `code` belongs to (now, one before or one after), or None.

    Steps at or before `last_step` never match: a code accepted once, or any older one,
    cannot be replayed inside the acceptance window.
    """
    code = normalise_code(code)
    if not looks_like_code(code):
        return None
    current = time_step(now)
    found = None
    for step in range(current - SKEW_STEPS, current + SKEW_STEPS + 1):  # compare all: no early exit
        if (last_step is None or step > last_step) and hmac.compare_digest(code_at(secret, step), code) and found is None:
            found = step
    return found


def _fernet_key(secret_key: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret_key.encode("utf-8"))
    return base64.urlsafe_b64encode(derived)


class SecretBox:
    """Seals with the current key; opens with the current or any previous one."""

    def __init__(self, current_key: str, previous_keys: Sequence[str] = ()) -> None:
        self._current = Fernet(_fernet_key(current_key))
        self._all = MultiFernet([self._current, *(Fernet(_fernet_key(k)) for k in previous_keys if k)])

    def seal(self, plaintext: str) -> str:
        return self._current.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str | None:
        """The plaintext, or None when no configured key opens it (a lost or wrong secret key)."""
        try:
            return self._all.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            return None

    def is_current(self, sealed: str) -> bool:
        """True when the current key seals it (else re-seal, so the old key can be dropped)."""
        try:
            self._current.decrypt(sealed.encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True


def new_recovery_codes(count: int = RECOVERY_COUNT) -> list[str]:
    """Fresh codes as shown to the person: `abcd-efgh-jkmn-pqrs`."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append("-".join(raw[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4)))
    return codes


def hash_recovery_code(text: str) -> str | None:
    """SHA-256 hex of a recovery code as typed (dashes, spaces and case ignored), or None if it
    cannot be one (wrong length or letters), so junk never reaches the database."""
    code = normalise_code(text)
    if len(code) != RECOVERY_LENGTH or any(ch not in RECOVERY_ALPHABET for ch in code):
        return None
    return hashlib.sha256(code.encode("ascii")).hexdigest()
