"""The one master password: is it set, does a guess match, set or replace it."""

from __future__ import annotations

import hashlib

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Setting, utcnow
from app.security.passwords import check_new_password, hash_password, needs_rehash, verify_password
from app.services.login_sessions import ended_by_change, mark_all_revoked

PASSWORD_KEY = "password_hash"


def _stored_hash() -> str | None:
    # Read on every check so a change made by the CLI in another process counts at once.
    return db.session.scalar(select(Setting.value).where(Setting.key == PASSWORD_KEY))


def is_set() -> bool:
    return _stored_hash() is not None


def epoch() -> str | None:
    """A short tag that changes with the password: device cookies carry it, so a new password
    retires every device. A hash of the bcrypt string: without its salt (128 random bits) it
    tells a cookie holder nothing about the password."""
    stored = _stored_hash()
    return hashlib.sha256(stored.encode()).hexdigest()[:16] if stored else None


def check(password: str) -> bool:
    """True when `password` is the master password; upgrades an old bcrypt cost on success."""
    stored = _stored_hash()
    if stored is None or not verify_password(password, stored):
        return False
    rounds = current_app.config["GATEHOUSE_BCRYPT_ROUNDS"]
    if needs_rehash(stored, rounds):
        # Only if the hash is still the one just checked: a password set meanwhile (CLI,
        # /password) must never be overwritten by the old one.
        db.session.execute(
            update(Setting).where(Setting.key == PASSWORD_KEY, Setting.value == stored)
            .values(value=hash_password(password, rounds), updated_at=utcnow())
        )
        db.session.commit()
    return True


def set_first(password: str, confirm: str | None = None) -> bool:
    """Store the first password; False if one was set meanwhile (first writer wins).

    Raises PasswordRejected for a password that breaks the rules.
    """
    check_new_password(password, confirm)
    hashed = hash_password(password, current_app.config["GATEHOUSE_BCRYPT_ROUNDS"])
    db.session.add(Setting(key=PASSWORD_KEY, value=hashed))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def replace(password: str, confirm: str | None = None, keep_session_id: int | None = None) -> int:
    """Set or replace the password and end every session (but `keep_session_id`), in one
    transaction. Returns how many sessions ended."""
    check_new_password(password, confirm)
    hashed = hash_password(password, current_app.config["GATEHOUSE_BCRYPT_ROUNDS"])
    db.session.execute(delete(Setting).where(Setting.key == PASSWORD_KEY))
    db.session.add(Setting(key=PASSWORD_KEY, value=hashed, updated_at=utcnow()))
    ended = mark_all_revoked(keep_id=keep_session_id)
    db.session.commit()
    ended_by_change(ended)
    return len(ended)
