"""What apps are told about the admin (docs/oidc.md, "Claims"): the ID token and userinfo.

One admin, so `sub` is one value for the install (random, made at the first sign-in to an app
and kept in `settings`);
`preferred_username` and `name` are GATEHOUSE_REMOTE_USER, as forward auth says; `email` comes
from GATEHOUSE_EMAIL when set; `groups` are the app's own (default `["admins"]`). `amr` says how
the granting session signed in (RFC 8176 values), `auth_time` when it last proved it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from authlib.oidc.core import UserInfo
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Setting, utcnow

SCOPES = ("openid", "profile", "email", "groups", "offline_access")
SUBJECT_KEY = "oidc_subject"
_SUBJECT = "gatehouse.oidc.subject"
# LoginSession.methods (app/services/login_sessions.py) as RFC 8176 authentication method references.
AMR = {"password": "pwd", "code": "otp", "recovery_code": "otp", "passkey": "hwk"}
CLAIMS = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "at_hash", "name", "preferred_username",
          "email", "email_verified", "groups")


@dataclass(frozen=True)
class Grantor:
    """The "user" Authlib hands around: the login session that signs the app in, how, and the
    groups of the app it signs in to."""

    session_id: int
    methods: tuple[str, ...]
    auth_time: datetime
    groups: tuple[str, ...] = ("admins",)


def amr(methods: tuple[str, ...]) -> list[str]:
    values = list(dict.fromkeys(AMR[m] for m in methods if m in AMR))
    return values + ["mfa"] if len(values) > 1 else values


def subject() -> str:
    """The admin's `sub`, the same for every app and every token of this install."""
    found = current_app.extensions.get(_SUBJECT)
    if found is None:
        found = current_app.extensions[_SUBJECT] = _stored_subject()
    return found


def _stored_subject() -> str:
    for _attempt in range(2):  # a concurrent first use inserts the same key: the second pass reads it
        found = db.session.scalar(select(Setting.value).where(Setting.key == SUBJECT_KEY))
        if found is not None:
            return found
        db.session.add(Setting(key=SUBJECT_KEY, value=secrets.token_hex(16), updated_at=utcnow()))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
    return db.session.scalar(select(Setting.value).where(Setting.key == SUBJECT_KEY))


def user_info(groups: tuple[str, ...], scope: str) -> UserInfo:
    """The claims for a token of `scope` granted to an app with `groups`."""
    config = current_app.config
    scopes = set(scope.split())
    info = UserInfo(sub=subject())
    if "profile" in scopes:
        info.update(preferred_username=config["GATEHOUSE_REMOTE_USER"], name=config["GATEHOUSE_REMOTE_USER"])
    if "email" in scopes and config["GATEHOUSE_EMAIL"]:
        info.update(email=config["GATEHOUSE_EMAIL"], email_verified=True)
    info["groups"] = list(groups)
    return info
