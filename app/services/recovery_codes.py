"""Recovery codes: ten single-use codes that stand in for the authenticator app.

Only their SHA-256 is stored (app/security/totp.py says why one hash is enough). The
caller owns the transaction for `replace` and `delete_all` (they change with the secret).
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, func, select, update

from app.extensions import db
from app.models import RecoveryCode, utcnow
from app.security import totp

log = logging.getLogger("gatehouse.two_factor")


def replace() -> list[str]:
    """A fresh set, as shown to the person once; the old set dies. Not committed."""
    codes = totp.new_recovery_codes()
    db.session.execute(delete(RecoveryCode))
    now = utcnow()
    db.session.add_all(RecoveryCode(code_hash=totp.hash_recovery_code(code), created_at=now) for code in codes)
    return codes


def delete_all() -> None:
    """Not committed."""
    db.session.execute(delete(RecoveryCode))


def left() -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_(None))) or 0


def use(text: str) -> bool:
    """True once for an unused code (dashes, spaces and case ignored); marks it used."""
    hashed = totp.hash_recovery_code(text)
    if hashed is None:
        return False
    result = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.code_hash == hashed, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    db.session.commit()
    if result.rowcount != 1:
        return False
    remaining = left()
    log.warning("a recovery code was used; %d left", remaining, extra={"event": "recovery_code_used", "left": remaining})
    return True
