"""Device cookies (SECURITY.md §3): a signed nonce naming a browser that signed in before.

The value is itsdangerous-signed JSON `{"n": nonce, "e": epoch}` with its own salt, so a
session token or CSRF value can never pass for one. The epoch is derived from the stored
password hash, so replacing the password (web or `gatehouse set-password`) retires every
device at once. A new nonce is issued at every successful sign-in.

Cookie: `gatehouse_device` (`__Host-gatehouse_device` when GATEHOUSE_COOKIE_SECURE, like the
session cookie), HttpOnly, Path=/, 180 days, SameSite=Strict: it is only needed on the
same-site sign-in POST, and Strict keeps it off every cross-site request.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Sequence

from flask import Response, current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select

SALT = "gatehouse.device-cookie"
MAX_AGE = 180 * 24 * 3600
MAX_LENGTH = 300


def cookie_name(secure: bool) -> str:
    return "__Host-gatehouse_device" if secure else "gatehouse_device"


def epoch_of(password_hash: str | None) -> str | None:
    """A short tag that changes with the password. A hash of the bcrypt string: without its
    salt (128 random bits) it tells a cookie holder nothing about the password."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16] if password_hash else None


class DeviceCookies:
    def __init__(self, current_key: str, previous_keys: Sequence[str] = ()) -> None:
        # itsdangerous signs with the last key and accepts any of them (key rotation).
        self._serializer = URLSafeTimedSerializer([*previous_keys, current_key], salt=SALT)

    def issue(self, epoch: str) -> tuple[str, str]:
        """A new (nonce, cookie value)."""
        nonce = secrets.token_urlsafe(16)
        return nonce, self._serializer.dumps({"n": nonce, "e": epoch})

    def read(self, value: str | None, epoch: str | None) -> str | None:
        """The nonce of a valid, unexpired cookie of the current password, else None."""
        if not value or not epoch or len(value) > MAX_LENGTH or not value.isascii():
            return None
        try:
            data = self._serializer.loads(value, max_age=MAX_AGE)
        except BadData:
            return None
        if not isinstance(data, dict) or data.get("e") != epoch or not isinstance(data.get("n"), str):
            return None
        return data["n"]


def _current_epoch() -> str | None:
    from app.extensions import db
    from app.models import Setting
    from app.services.master_password import PASSWORD_KEY

    return epoch_of(db.session.scalar(select(Setting.value).where(Setting.key == PASSWORD_KEY)))


def _name() -> str:
    return cookie_name(current_app.config["GATEHOUSE_COOKIE_SECURE"])


def presented_nonce(cookies: DeviceCookies) -> str | None:
    """The nonce of the request's valid device cookie, if any."""
    value = request.cookies.get(_name())
    return cookies.read(value, _current_epoch()) if value else None


def set_cookie(response: Response, cookies: DeviceCookies) -> None:
    """A fresh device cookie for the current password (none before a password exists)."""
    epoch = _current_epoch()
    if epoch:
        _nonce, value = cookies.issue(epoch)
        response.set_cookie(_name(), value, max_age=MAX_AGE, secure=current_app.config["GATEHOUSE_COOKIE_SECURE"],
                            httponly=True, samesite="Strict", path="/")
