"""WebAuthn challenges of this browser, kept in Flask's signed cookie session.

Nothing is stored on the server for a visitor who has not signed in; a challenge is taken
out of the session when it is answered (popped, right or wrong), carries its issue time
(the service refuses one past `CHALLENGE_SECONDS`, or older than the last one a passkey
answered, so replaying an old cookie with an old answer fails too), and names its purpose,
so a sign-in challenge cannot register a key.
"""

from __future__ import annotations

import base64
import os
from datetime import datetime, timezone

from flask import session

from app.models import utcnow
from app.services.passkeys import Challenge

KEY = "gatehouse_webauthn"


def issue(purpose: str, **extra: str) -> Challenge:
    challenge = Challenge(os.urandom(32), utcnow())
    session[KEY] = {"p": purpose, "c": base64.urlsafe_b64encode(challenge.value).decode(),
                    "t": challenge.issued_at.timestamp(), **extra}
    return challenge


def take(purpose: str) -> tuple[Challenge | None, dict]:
    """This browser's challenge for `purpose` (and what was stored with it), removed from the session."""
    value = session.pop(KEY, None)
    if not isinstance(value, dict) or value.get("p") != purpose:
        return None, {}
    try:
        raw = base64.urlsafe_b64decode(value["c"])
        issued = datetime.fromtimestamp(float(value["t"]), timezone.utc)
    except (KeyError, TypeError, ValueError):
        return None, {}
    return Challenge(raw, issued), value
