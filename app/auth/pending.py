"""The pending second step of a browser sign-in: the password was right, a code is still owed.

Kept in Flask's signed cookie session, so it is bound to the browser that typed the password.
It carries its own expiry (the cookie itself lives until the browser closes), where to go
afterwards, whether the person asked to be kept signed in (SPEC §17), the live session it
signs in again (a re-sign-in, docs/access.md), and the step's one-time ticket
(app/services/one_time.py): the cookie proves the step is this browser's, the ticket that it
was not finished yet and that the password has not changed since. A copy of the cookie saved
before the code was entered is worth nothing once the step is done. Any second factor (a code,
a recovery code, a passkey) finishes the same step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import session

from app.services.login import PENDING_SECONDS

clock = time.time  # tests replace it to move time
KEY = "gatehouse_pending_login"
LIFETIME_SECONDS = PENDING_SECONDS


@dataclass(frozen=True)
class Pending:
    next: str
    rd: str | None
    ticket: str  # finishes the step once (app/services/login.py `code_step`, `finish_pending`)
    remember: bool = False  # "keep me signed in" was ticked on the password form
    reauthenticate: int | None = None  # the live session this sign-in refreshes (docs/access.md)


def start(next_path: str, ticket: str, rd: str | None = None, now: float | None = None, remember: bool = False,
          reauthenticate: int | None = None) -> None:
    """Remember that this browser owes a code for the next 5 minutes."""
    until = int((clock() if now is None else now) + LIFETIME_SECONDS)
    session[KEY] = {"until": until, "next": next_path, "rd": rd, "t": ticket, "remember": bool(remember),
                    "reauth": reauthenticate}


def current(now: float | None = None) -> Pending | None:
    """The pending step of this browser, or None when there is none or it has expired."""
    value = session.get(KEY)
    if not isinstance(value, dict) or not isinstance(value.get("until"), int) or not isinstance(value.get("t"), str):
        return None
    if (clock() if now is None else now) >= value["until"]:
        session.pop(KEY, None)
        return None
    rd = value.get("rd") if isinstance(value.get("rd"), str) else None
    reauth = value.get("reauth")
    return Pending(next=str(value.get("next") or "/"), rd=rd, ticket=value["t"], remember=value.get("remember") is True,
                   reauthenticate=reauth if isinstance(reauth, int) else None)


def finish() -> None:
    session.pop(KEY, None)
