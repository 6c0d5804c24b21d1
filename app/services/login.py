"""Sign-in and sign-out, with the log lines operators and fail2ban read.

Every way to a new session is here, and each asks for the second factor when it is on; each
check is a guarded check (app/services/secret_checks.py) and each outcome is published
(app/signals.py), from which the log lines and the sign-in activity are written:
- `password_step` (the form's /login): the password alone; with codes on it makes no
  session and says a code is owed (the browser goes on to /login/code).
- `code_step` (/login/code): the code owed after `password_step`, which spends the step's
  one-time ticket (app/services/one_time.py), tied to the password's epoch: a step is finished
  once, and not at all after the password changed.
- `sign_in` (the API): password and code in one request.
`check_password` is the password check of a browser that already holds a full session (the
password change).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass


from app import signals
from app.services import login_sessions, master_password, one_time, secret_checks, two_factor

log = logging.getLogger("gatehouse.auth")

WRONG_PASSWORD, CODE_REQUIRED, INVALID_CODE = "unauthorized", "code_required", "invalid_code"
PENDING_SECONDS = 300  # how long a right password waits for its code


@dataclass(frozen=True)
class Outcome:
    started: login_sessions.NewSession | None = None
    refused: str | None = None  # WRONG_PASSWORD, CODE_REQUIRED or INVALID_CODE
    code_owed: bool = False  # the password was right; the second step follows (form only)
    pending: str | None = None  # with `code_owed`: the step's one-time ticket


def check_password(password: str, ip: str | None, kind: str, *, final: bool = True,
                   user_agent: str | None = None) -> bool:
    """The master password as this request's guarded check."""
    return secret_checks.check(lambda: bool(password) and master_password.check(password), step=signals.PASSWORD,
                               ip=ip, user_agent=user_agent, kind=kind, final=final)


def start(ip: str | None, user_agent: str | None, kind: str, label: str | None = None, *,
          detail: str | None = None,
          methods: tuple[str, ...] = (login_sessions.PASSWORD,)) -> login_sessions.NewSession:
    """A new session for a client that has passed every check (`methods`: which). (A password
    change makes its fresh session in its own transaction: app/services/password_change.py.)"""
    started = login_sessions.create(kind, ip, user_agent, label, methods=methods)
    if kind != login_sessions.BROWSER:
        detail = f"API token {label}" if label else "API token"
    signals.publish(signals.signed_in, signed_in=signals.SignedIn(
        started.row.id, kind, methods, ip, user_agent, detail))
    return started


def password_step(password: str, ip: str | None, user_agent: str | None) -> Outcome:
    """The form's password: a browser session, or (codes on) a code owed, or refused."""
    owed = two_factor.required()
    if not check_password(password, ip, login_sessions.BROWSER, final=not owed, user_agent=user_agent):
        return Outcome(refused=WRONG_PASSWORD)
    if owed:
        log.info("password accepted from %s; a code is owed", ip, extra={"event": "login_code_owed", "client_ip": ip})
        ticket = one_time.issue(one_time.PENDING_SIGN_IN, PENDING_SECONDS, epoch=master_password.epoch())
        return Outcome(code_owed=True, pending=ticket)
    return Outcome(started=start(ip, user_agent, login_sessions.BROWSER))


def pending_live(ticket: str | None) -> bool:
    """Whether the step `ticket` names may still be finished: unused, unexpired, same password."""
    return one_time.live(one_time.PENDING_SIGN_IN, ticket, epoch=master_password.epoch())


def finish_pending(ticket: str | None) -> bool:
    """Spend the step (a passkey finished it); True only for the first use of a live step."""
    return one_time.consume(one_time.PENDING_SIGN_IN, ticket, epoch=master_password.epoch())


def code_step(code: str, ip: str | None, user_agent: str | None,
              ticket: str | None) -> login_sessions.NewSession | None:
    """The code owed after `password_step`, whose step `ticket` it spends: a browser session, or None.
    A right code for a step already finished (a replayed cookie) or started with another password
    fails like a wrong one."""
    if not secret_checks.check(lambda: two_factor.check_code(code) and finish_pending(ticket), step="code", ip=ip,
                               user_agent=user_agent, kind=login_sessions.BROWSER):
        return None
    return start(ip, user_agent, login_sessions.BROWSER, detail="with a code",
                 methods=(login_sessions.PASSWORD, two_factor.method_of(code)))


def sign_in(password: str, code: str | None, ip: str | None, user_agent: str | None, kind: str,
            label: str | None = None) -> Outcome:
    """The API's password and optional code as one guarded check: a session, or why not."""
    refused: list[str] = []

    def check() -> bool:
        if not (password and master_password.check(password)):
            refused.append(WRONG_PASSWORD)
        elif two_factor.required() and not code:
            refused.append(CODE_REQUIRED)
        elif two_factor.required() and not two_factor.check_code(code):
            refused.append(INVALID_CODE)
        return not refused

    if not secret_checks.check(check, step=lambda: signals.PASSWORD if refused[:1] == [WRONG_PASSWORD] else "code",
                               ip=ip, user_agent=user_agent, kind=kind):
        return Outcome(refused=refused[0])
    methods = (login_sessions.PASSWORD, two_factor.method_of(code)) if code and two_factor.required() else None
    return Outcome(started=start(ip, user_agent, kind, label, methods=methods or (login_sessions.PASSWORD,)))


def logout(token: str, ip: str | None, user_agent: str | None = None) -> None:
    login_sessions.revoke_token(token, ip, user_agent)
