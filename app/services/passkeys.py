"""Passkeys (WebAuthn) for the one admin: register, list, delete, and check an assertion.

The ceremonies are the `webauthn` package's; this module adds what a one-user portal needs:
a fixed user handle, discoverable credentials with user verification required (a passkey
alone is a sign-in), and replay protection that does not rely on the sign counter (many
passkeys always report 0): an assertion is accepted only for a challenge issued after the
one this passkey last answered. Challenges themselves are made and kept by the caller (the
views keep them in the signed cookie session, with their issue time, for `CHALLENGE_SECONDS`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app import signals
from app.extensions import db
from app.models import Passkey, utcnow
from app.services import master_password, one_time, secret_checks
from app.signals import AccountChange


CHALLENGE_SECONDS = 120
USER_HANDLE = b"gatehouse-admin"  # one user; the handle is not secret
USER_NAME = "admin"
MAX_NAME = 64
MAX_CREDENTIAL_BYTES = 8 * 1024


class PasskeyRejected(ValueError):
    """The browser's answer does not prove what it claims; the message is safe to show."""


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys belong to: the portal's host (`id`) and the exact origin browsers use."""

    id: str
    origin: str
    name: str = "Gatehouse"


@dataclass(frozen=True)
class Challenge:
    value: bytes
    issued_at: datetime

    def expired(self, now: datetime) -> bool:
        return now - self.issued_at > timedelta(seconds=CHALLENGE_SECONDS) or now < self.issued_at


def listing() -> list[Passkey]:
    return list(db.session.scalars(select(Passkey).order_by(Passkey.created_at, Passkey.id)))


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Passkey)) or 0


def registration_options(rp: RelyingParty, challenge: Challenge) -> str:
    """Options for `navigator.credentials.create`, as JSON; existing passkeys are excluded. The
    challenge is also stored as a one-time ticket: `register` accepts it once."""
    one_time.issue_for(one_time.PASSKEY_REGISTRATION, challenge.value, CHALLENGE_SECONDS)
    options = generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_name=USER_NAME, user_id=USER_HANDLE, user_display_name="Gatehouse admin",
        challenge=challenge.value, timeout=CHALLENGE_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in listing()],
    )
    return options_to_json(options)


def authentication_options(rp: RelyingParty, challenge: Challenge) -> str:
    """Options for `navigator.credentials.get`: any of our passkeys (discoverable), verified user."""
    options = generate_authentication_options(
        rp_id=rp.id, challenge=challenge.value, timeout=CHALLENGE_SECONDS * 1000,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def register(rp: RelyingParty, challenge: Challenge, credential: str, name: str) -> Passkey:
    """Store the new passkey. :raise PasskeyRejected: bad name, stale or used challenge, or a bad answer.

    The challenge is spent first (its one-time ticket): a copy of the browser's cookie from before
    the answer registers nothing more, and two racing answers register one passkey."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise PasskeyRejected(f"Give the passkey a name of 1 to {MAX_NAME} characters.")
    _check_size(credential)
    if challenge.expired(utcnow()):
        raise PasskeyRejected("The request took too long; try again.")
    if not one_time.consume(one_time.PASSKEY_REGISTRATION, challenge.value):
        raise PasskeyRejected("This request was used already; enter your password again.")
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge.value, expected_rp_id=rp.id,
            expected_origin=rp.origin, require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise PasskeyRejected("The passkey could not be verified.") from exc
    row = Passkey(credential_id=bytes_to_base64url(verified.credential_id),
                  public_key=bytes_to_base64url(verified.credential_public_key),
                  sign_count=verified.sign_count, name=name, created_at=utcnow())
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise PasskeyRejected("That passkey is already registered.") from None
    return row


def added(name: str, ip: str | None, user_agent: str | None) -> None:
    signals.publish(signals.account_changed, change=AccountChange(
        AccountChange.SECOND_FACTOR, f"passkey added: {name}"[:100], ip, user_agent))


def removed(ip: str | None, user_agent: str | None) -> None:
    signals.publish(signals.account_changed, change=AccountChange(
        AccountChange.SECOND_FACTOR, "passkey removed", ip, user_agent))


def authenticate(rp: RelyingParty, challenge: Challenge, credential: str) -> Passkey | None:
    """The passkey that signed this challenge, updated (counter, last use), or None.

    None for anything that is not a fresh, verified assertion by a registered passkey: an
    unknown credential, a wrong origin or RP, no user verification, a counter that went back,
    a challenge that expired or is older than the last one this passkey answered.
    """
    now = utcnow()
    if challenge.expired(now) or len(credential) > MAX_CREDENTIAL_BYTES:
        return None
    try:
        credential_id = json.loads(credential)["rawId"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(credential_id, str):
        return None
    row = db.session.scalar(select(Passkey).where(Passkey.credential_id == credential_id))
    if row is None or (row.last_challenge_at is not None and challenge.issued_at <= row.last_challenge_at):
        return None
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge.value, expected_rp_id=rp.id,
            expected_origin=rp.origin, credential_public_key=base64url_to_bytes(row.public_key),
            credential_current_sign_count=row.sign_count, require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return None
    # Conditional on the values just checked: two racing uses of one challenge cannot both win.
    won = db.session.execute(
        update(Passkey)
        .where(Passkey.id == row.id, Passkey.sign_count == row.sign_count,
               (Passkey.last_challenge_at.is_(None)) | (Passkey.last_challenge_at < challenge.issued_at))
        .values(sign_count=verified.new_sign_count, last_used_at=now, last_challenge_at=challenge.issued_at)
    ).rowcount
    db.session.commit()
    return row if won else None


def delete_one(passkey_id: int) -> bool:
    gone = db.session.execute(delete(Passkey).where(Passkey.id == passkey_id)).rowcount
    db.session.commit()
    return gone > 0


def delete_all(commit: bool = True) -> int:
    """Remove every passkey (`gatehouse two-factor disable`)."""
    gone = db.session.execute(delete(Passkey)).rowcount
    if commit:
        db.session.commit()
    return gone


def _check_size(credential: str) -> None:
    if len(credential) > MAX_CREDENTIAL_BYTES:
        raise PasskeyRejected("The passkey answer is too large.")


# --- the guarded checks of a request (reported to the login limiter, logged like a sign-in) ---

def password_for_registration(password: str, ip: str | None, user_agent: str | None = None) -> bool:
    """The current password before a passkey is added: a guarded check like any other."""
    return secret_checks.check(lambda: bool(password) and master_password.check(password), step=signals.PASSWORD,
                               ip=ip, user_agent=user_agent)


def sign_in_check(rp: RelyingParty, challenge: Challenge | None, credential: str, ip: str | None,
                  user_agent: str | None = None) -> Passkey | None:
    """A passkey assertion as this request's guarded check: a failure counts and is logged."""
    found: list[Passkey] = []

    def check() -> bool:
        row = authenticate(rp, challenge, credential) if challenge is not None else None
        if row is not None:
            found.append(row)
        return row is not None

    if secret_checks.check(check, step="passkey", ip=ip, user_agent=user_agent, detail="passkey"):
        return found[0]
    return None
