"""Device cookies (docs/security.md, "Device cookies"): a signed nonce naming a browser that
signed in before.

The value is itsdangerous-signed JSON `{"n": nonce, "e": epoch}` with its own salt, so a
session token or CSRF value can never pass for one. The epoch is a tag of the stored
password hash (passed in by the limiter), so replacing the password (web or `gatehouse
set-password`) retires every device at once. A new nonce is issued at every successful
sign-in. The cookie's name and attributes are in app/web/cookies.py.

Issued nonces are stored (`IssuedDevices`, as SHA-256, table `login_devices`) and only a
stored one counts: a cookie signed with a leaked key (current or previous) but never issued
names no device, so it cannot mint fresh counts outside the global budget.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import Callable, Sequence

from flask import Response, current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from app.models import LoginDevice
from app.web import cookies as web_cookies

SALT = "gatehouse.device-cookie"
MAX_AGE = web_cookies.DEVICE_MAX_AGE
MAX_LENGTH = 300


class DeviceCookies:
    def __init__(self, current_key: str, previous_keys: Sequence[str] = ()) -> None:
        # itsdangerous signs with the last key and accepts any of them (key rotation).
        self._serializer = URLSafeTimedSerializer([*previous_keys, current_key], salt=SALT)

    def issue(self, epoch: str) -> tuple[str, str]:
        """A new (nonce, cookie value)."""
        nonce = secrets.token_urlsafe(16)
        return nonce, self._serializer.dumps({"n": nonce, "e": epoch})

    def signed(self, value: str) -> bool:
        """Whether `value` is an unexpired cookie signed with one of our keys, for any password
        (a first look that needs no database; `read` decides whether it names a device)."""
        return self._load(value) is not None

    def read(self, value: str | None, epoch: str | None) -> str | None:
        """The nonce of a valid, unexpired cookie of the current password, else None."""
        data = self._load(value) if epoch else None
        if not isinstance(data, dict) or data.get("e") != epoch or not isinstance(data.get("n"), str):
            return None
        return data["n"]

    def _load(self, value: str | None):
        """What an unexpired cookie signed with one of our keys holds, else None."""
        if not value or len(value) > MAX_LENGTH or not value.isascii():
            return None
        try:
            return self._serializer.loads(value, max_age=MAX_AGE)
        except BadData:
            return None


def cookie_name() -> str:
    return web_cookies.device_name(current_app.config["GATEHOUSE_COOKIE_SECURE"])


class IssuedDevices:
    """The nonces Gatehouse issued, as SHA-256, for the cookie's lifetime (180 days)."""

    def __init__(self, engine_getter: Callable[[], Engine]) -> None:
        self._engine_getter = engine_getter

    @staticmethod
    def _hash(nonce: str) -> str:
        return hashlib.sha256(nonce.encode()).hexdigest()

    def remember(self, nonce: str, now: datetime) -> None:
        with self._engine_getter().begin() as conn:
            conn.execute(insert(LoginDevice.__table__).values(nonce_hash=self._hash(nonce), issued_at=now))

    def known(self, nonce: str, now: datetime) -> bool:
        oldest = now - timedelta(seconds=MAX_AGE)
        with self._engine_getter().connect() as conn:
            found = conn.scalar(select(LoginDevice.issued_at).where(LoginDevice.nonce_hash == self._hash(nonce)))
        return found is not None and found > oldest

    def prune(self, now: datetime) -> None:
        with self._engine_getter().begin() as conn:
            conn.execute(delete(LoginDevice.__table__).where(LoginDevice.issued_at <= now - timedelta(seconds=MAX_AGE)))


def set_cookie(response: Response, cookies: DeviceCookies, issued: IssuedDevices, epoch: str) -> None:
    """A fresh device cookie for the password whose epoch is `epoch`, its nonce stored."""
    nonce, value = cookies.issue(epoch)
    issued.remember(nonce, datetime.now(timezone.utc))
    web_cookies.set_device(response, value)
