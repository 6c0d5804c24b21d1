"""The second factor: enrol an authenticator app, check its codes and the recovery codes, turn it off.

Each function owns its transaction. Every check of a password or code made on behalf of a
request is a guarded check (app/services/secret_checks.py: bounded, published, counted, backed
off); `check_code` is the bare check for a caller that already runs one (the sign-in's code
step, the API's password and code in one request). Changes are published as `account_changed`
(app/signals.py). A code is single-use at the database: the accepted time step (or the
recovery code's `used_at`) is written with a conditional UPDATE, so two requests racing
with one code cannot both win. `required()` is what sign-in asks; passkeys (a later second
factor) join there, next to `check_code`, not in these tables.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update

from app import signals
from app.extensions import db
from app.models import TotpSecret, utcnow
from app.security import totp
from app.services import login_sessions, master_password, recovery_codes, secret_checks
from app.signals import AccountChange

log = logging.getLogger("gatehouse.two_factor")

clock = time.time  # tests replace it to move time (the limiter has its own)
PENDING_LIFETIME = timedelta(minutes=15)  # enough to find the phone and scan; then begin again


@dataclass(frozen=True)
class Status:
    totp_on: bool
    recovery_left: int
    codes_readable: bool = True  # False: on, but no configured key opens the authenticator secret


def box() -> totp.SecretBox:
    config = current_app.config
    return totp.SecretBox(config["GATEHOUSE_SECRET_KEY"], [config["GATEHOUSE_SECRET_KEY_PREVIOUS"]])


def _active() -> TotpSecret | None:
    return db.session.scalar(select(TotpSecret).where(TotpSecret.confirmed_at.is_not(None)).limit(1))


def required() -> bool:
    """True when a sign-in needs a second step (read each time: the CLI may turn it off)."""
    return db.session.scalar(select(TotpSecret.id).where(TotpSecret.confirmed_at.is_not(None)).limit(1)) is not None


def status() -> Status:
    return Status(totp_on=required(), recovery_left=recovery_codes.left(), codes_readable=codes_readable())


# What the sign-in pages, the API and `gatehouse two-factor status` say when `codes_readable` is False.
UNREADABLE = ("Codes from the authenticator app cannot be checked: the server's secret key has changed since "
              "they were set up. Use a recovery code or a passkey. On the server, set "
              "GATEHOUSE_SECRET_KEY_PREVIOUS to the old key, or run `gatehouse two-factor disable` and set the "
              "app up again.")


def codes_readable() -> bool:
    """False when codes are on but no configured key opens the authenticator secret: the secret
    key was replaced without GATEHOUSE_SECRET_KEY_PREVIOUS (docs/operations.md, "Secrets in
    files"). Recovery codes (hashed, not sealed) and passkeys still work then."""
    row = _active()
    return row is None or box().open(row.sealed_secret) is not None


def cannot_check(code: str | None) -> bool:
    """True for an authenticator code that no configured key can check (see `codes_readable`):
    the caller says so instead of counting a wrong code."""
    if not totp.looks_like_code(totp.normalise_code(code or "")) or codes_readable():
        return False
    log.error("the authenticator secret cannot be decrypted: was GATEHOUSE_SECRET_KEY replaced without "
              "GATEHOUSE_SECRET_KEY_PREVIOUS?", extra={"event": "two_factor_undecryptable"})
    return True


def _guarded(check, ip: str | None, user_agent: str | None, step: str = "code"):
    """Run `check` as the request's guarded check; its result (a falsy one counts as a failure
    and is logged like a failed sign-in: a page's form is no softer target)."""
    results = []
    secret_checks.check(lambda: results.append(check()) or bool(results[-1]), step=step, ip=ip,
                        user_agent=user_agent, detail="two-factor page")
    return results[-1] if results else None


def _changed(detail: str, ip: str | None, user_agent: str | None = None) -> None:
    signals.publish(signals.account_changed, change=AccountChange(
        AccountChange.SECOND_FACTOR, detail, ip, user_agent))


def begin(session_id: int, password: str, ip: str | None = None, user_agent: str | None = None) -> str | None:
    """A new pending secret for the session `session_id` (any earlier pending one is dropped),
    or None for a wrong password."""
    if not _guarded(lambda: master_password.check(password), ip, user_agent, "password"):
        return None
    secret = totp.new_secret()
    db.session.execute(delete(TotpSecret).where(TotpSecret.confirmed_at.is_(None)))
    db.session.add(TotpSecret(sealed_secret=box().seal(secret), session_id=session_id, created_at=utcnow()))
    db.session.commit()
    return secret


def _pending_row(session_id: int) -> TotpSecret | None:
    return db.session.scalar(
        select(TotpSecret).where(
            TotpSecret.confirmed_at.is_(None), TotpSecret.session_id == session_id,
            TotpSecret.created_at > utcnow() - PENDING_LIFETIME,
        )
    )


def pending_secret(session_id: int) -> str | None:
    """The secret this session began enrolling and has not confirmed, while it is fresh."""
    row = _pending_row(session_id)
    return box().open(row.sealed_secret) if row is not None else None


def provisioning_uri(secret: str) -> str:
    """What the QR code holds: the app files it as `<GATEHOUSE_TOTP_ISSUER>:<GATEHOUSE_REMOTE_USER>`,
    so two installs (the issuer defaults to the portal's public host) look apart in the app."""
    config = current_app.config
    return totp.provisioning_uri(secret, config["GATEHOUSE_REMOTE_USER"], config["GATEHOUSE_TOTP_ISSUER"])


def confirm(session_id: int, code: str, now: float | None = None, ip: str | None = None,
            user_agent: str | None = None) -> list[str] | None:
    """Turn codes on if `code` matches this session's pending secret: the new recovery codes
    (shown once), and every other session is signed out. None for a wrong or stale code."""
    codes = _guarded(lambda: _confirm(session_id, code, now), ip, user_agent, signals.NEW_CODE)
    if codes:
        _changed("authenticator codes turned on", ip, user_agent)
    return codes


def _confirm(session_id: int, code: str, now: float | None) -> list[str] | None:
    row = _pending_row(session_id)
    secret = box().open(row.sealed_secret) if row is not None else None
    step = totp.matching_step(secret, code, clock() if now is None else now, None) if secret else None
    if step is None:
        return None
    db.session.execute(delete(TotpSecret).where(TotpSecret.id != row.id))
    row.confirmed_at, row.session_id, row.last_step = utcnow(), None, step  # the confirming code is spent
    codes = recovery_codes.replace()
    ended = login_sessions.mark_all_revoked(keep_id=session_id)
    db.session.commit()
    login_sessions.ended_by_change(ended)
    log.info("second factor turned on; %d other sessions signed out", len(ended),
             extra={"event": "two_factor_enabled"})
    return codes


def regenerate_recovery_codes(password: str, ip: str | None = None, user_agent: str | None = None) -> list[str] | None:
    """A new set of recovery codes (the old ones die), or None for a wrong password or codes off."""
    if not required() or not _guarded(lambda: master_password.check(password), ip, user_agent, "password"):
        return None
    codes = recovery_codes.replace()
    db.session.commit()
    log.info("recovery codes replaced", extra={"event": "recovery_codes_replaced"})
    _changed("new recovery codes", ip, user_agent)
    return codes


def method_of(code: str) -> str:
    """Which second factor a code that `check_code` accepted was: an authenticator code or a recovery code."""
    return login_sessions.CODE if totp.looks_like_code(totp.normalise_code(code or "")) else login_sessions.RECOVERY_CODE


def check_code(code: str, now: float | None = None) -> bool:
    """True once for a right authenticator code (±1 step) or an unused recovery code."""
    normalised = totp.normalise_code(code or "")
    if totp.looks_like_code(normalised):
        return _verify_totp(normalised, clock() if now is None else now)
    return required() and recovery_codes.use(normalised)


def _verify_totp(code: str, now: float) -> bool:
    row = _active()
    if row is None:
        return False
    sealer = box()
    secret = sealer.open(row.sealed_secret)
    if secret is None:
        log.error("the authenticator secret cannot be decrypted: was GATEHOUSE_SECRET_KEY replaced without "
                  "GATEHOUSE_SECRET_KEY_PREVIOUS?", extra={"event": "two_factor_undecryptable"})
        return False
    step = totp.matching_step(secret, code, now, row.last_step)
    if step is None:
        return False
    values = {"last_step": step}
    if not sealer.is_current(row.sealed_secret):  # sealed under the previous key: re-seal
        values["sealed_secret"] = sealer.seal(secret)
    result = db.session.execute(
        update(TotpSecret)
        .where(TotpSecret.id == row.id, or_(TotpSecret.last_step.is_(None), TotpSecret.last_step < step))
        .values(**values)
    )
    db.session.commit()
    return result.rowcount == 1


def disable(password: str, code: str, now: float | None = None, ip: str | None = None,
            user_agent: str | None = None) -> bool:
    """Turn the second factor off if the password and a code (or recovery code) are right."""
    return disable_refused(password, code, now, ip, user_agent) is None


def disable_refused(password: str, code: str, now: float | None = None, ip: str | None = None,
                    user_agent: str | None = None) -> str | None:
    """`disable`, saying what was wrong: None when it is off now, else "password" or "code"
    (one guarded check of both; the code is not checked, nor spent, after a wrong password)."""
    wrong: list[str] = []

    def check() -> bool:
        if not master_password.check(password):
            wrong.append(signals.PASSWORD)
        elif not check_code(code, now):
            wrong.append("code")
        return not wrong

    secret_checks.check(check, step=lambda: wrong[0] if wrong else "code", ip=ip, user_agent=user_agent,
                        detail="two-factor page")
    if wrong:
        return wrong[0]
    turn_off()
    _changed("turned off", ip, user_agent)
    return None


def turn_off() -> bool:
    """Turn the second factor off (codes and recovery codes), no questions asked (the host's CLI);
    False if it was off already."""
    was_on = required()
    db.session.execute(delete(TotpSecret))
    recovery_codes.delete_all()
    db.session.commit()
    if was_on:
        log.info("second factor turned off", extra={"event": "two_factor_disabled"})
    return was_on


def disable_and_sign_out() -> int:
    """Break-glass from the host: second factor off and every session ended. Returns how many ended."""
    turn_off()
    ended = login_sessions.revoke_all(how=signals.SessionsEnded.ENDED_BY_CHANGE)
    _changed(f"turned off, {ended} session{'s' if ended != 1 else ''} signed out", None)
    return ended
