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
password change). A browser sign-in by one that presents a live session and asks to sign in
again (an access rule's max_age, docs/access.md; an app's prompt=login, docs/oidc.md) refreshes
that session instead of starting another (`complete`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app import signals
from app.services import login_sessions, master_password, one_time, recovery_codes, secret_checks, two_factor

log = logging.getLogger("gatehouse.auth")

WRONG_PASSWORD, CODE_REQUIRED, INVALID_CODE = "unauthorized", "code_required", "invalid_code"
# Codes are on, but no configured key opens the authenticator secret (the secret key was
# replaced): said as such, and counted as nothing (no code was checked; docs/security.md).
CODES_UNREADABLE = "codes_unreadable"
PENDING_SECONDS = 300  # how long a right password waits for its code


@dataclass(frozen=True)
class Outcome:
    started: login_sessions.NewSession | None = None
    refused: str | None = None  # WRONG_PASSWORD, CODE_REQUIRED, INVALID_CODE or CODES_UNREADABLE
    code_owed: bool = False  # the password was right; the second step follows (form only)
    reauthenticated: bool = False  # the browser's live session signed in again: no new session
    recovery_left: int | None = None  # a recovery code signed in: how many codes are left
    pending: str | None = None  # with `code_owed`: the step's one-time ticket


def check_password(password: str, ip: str | None, kind: str, *, final: bool = True,
                   user_agent: str | None = None) -> bool:
    """The master password as this request's guarded check."""
    return secret_checks.check(lambda: bool(password) and master_password.check(password), step=signals.PASSWORD,
                               ip=ip, user_agent=user_agent, kind=kind, final=final)


def start(ip: str | None, user_agent: str | None, kind: str, label: str | None = None, *,
          detail: str | None = None, methods: tuple[str, ...] = (login_sessions.PASSWORD,),
          remember: bool = False) -> login_sessions.NewSession:
    """A new session for a client that has passed every check (`methods`: which; `remember`: "keep
    me signed in", app/services/login_sessions.py). (A password change makes its fresh session in
    its own transaction: app/services/password_change.py.)"""
    started = login_sessions.create(kind, ip, user_agent, label, methods=methods, remember=remember)
    if kind != login_sessions.BROWSER:
        token = f"API token {label}" if label else "API token"
        detail = f"{token}, {detail}" if login_sessions.RECOVERY_CODE in methods else token
    signals.publish(signals.signed_in, signed_in=signals.SignedIn(
        started.row.id, kind, methods, ip, user_agent, detail))
    return started


def complete(ip: str | None, user_agent: str | None, methods: tuple[str, ...], *, detail: str | None = None,
             remember: bool = False, reauthenticate: int | None = None) -> login_sessions.NewSession | None:
    """A browser sign-in that passed every check (`methods`). With `reauthenticate` (the id of
    the live session the browser presents), that session signs in again and None comes back;
    should it have ended meanwhile, or without it, a new session."""
    if reauthenticate is not None and login_sessions.reauthenticate(reauthenticate, methods):
        # Published as a sign-in of that session (its log line and activity row), with the detail.
        signals.publish(signals.signed_in, signed_in=signals.SignedIn(
            reauthenticate, login_sessions.BROWSER, methods, ip, user_agent, "again, same session"))
        return None
    return start(ip, user_agent, login_sessions.BROWSER, detail=detail, methods=methods, remember=remember)


def password_step(password: str, ip: str | None, user_agent: str | None, remember: bool = False,
                  reauthenticate: int | None = None) -> Outcome:
    """The form's password: a browser session, or (codes on) a code owed, or refused.
    `reauthenticate`: the live session this browser signs in again (see `complete`)."""
    owed = two_factor.required()
    if not check_password(password, ip, login_sessions.BROWSER, final=not owed, user_agent=user_agent):
        return Outcome(refused=WRONG_PASSWORD)
    if owed:
        log.info("password accepted from %s; a code is owed", ip, extra={"event": "login_code_owed", "client_ip": ip})
        ticket = one_time.issue(one_time.PENDING_SIGN_IN, PENDING_SECONDS, epoch=master_password.epoch())
        return Outcome(code_owed=True, pending=ticket)
    started = complete(ip, user_agent, (login_sessions.PASSWORD,), remember=remember, reauthenticate=reauthenticate)
    return Outcome(started=started, reauthenticated=started is None)


def pending_live(ticket: str | None) -> bool:
    """Whether the step `ticket` names may still be finished: unused, unexpired, same password."""
    return one_time.live(one_time.PENDING_SIGN_IN, ticket, epoch=master_password.epoch())


def finish_pending(ticket: str | None) -> bool:
    """Spend the step (a passkey finished it); True only for the first use of a live step."""
    return one_time.consume(one_time.PENDING_SIGN_IN, ticket, epoch=master_password.epoch())


def code_step(code: str, ip: str | None, user_agent: str | None, ticket: str | None, remember: bool = False,
              reauthenticate: int | None = None) -> Outcome:
    """The code owed after `password_step`, whose step `ticket` it spends: a browser session, or why
    not (INVALID_CODE, or CODES_UNREADABLE: then nothing was checked and nothing counts). A right
    code for a step already finished (a replayed cookie) or started with another password fails
    like a wrong one."""
    if two_factor.cannot_check(code):
        return Outcome(refused=CODES_UNREADABLE)
    if not secret_checks.check(lambda: two_factor.check_code(code) and finish_pending(ticket), step="code", ip=ip,
                               user_agent=user_agent, kind=login_sessions.BROWSER):
        return Outcome(refused=INVALID_CODE)
    return _with_code(code, ip, user_agent, login_sessions.BROWSER, remember=remember, reauthenticate=reauthenticate)


def _with_code(code: str, ip: str | None, user_agent: str | None, kind: str, label: str | None = None,
               remember: bool = False, reauthenticate: int | None = None) -> Outcome:
    """The session after a right code; a recovery code says how many are left (the activity, the
    next page, the notification). A browser's may be its live session signed in again."""
    method = two_factor.method_of(code)
    methods = (login_sessions.PASSWORD, method)
    left = recovery_codes.left() if method == login_sessions.RECOVERY_CODE else None
    detail = "with a code" if left is None else f"with a recovery code ({left} left)"
    if kind == login_sessions.BROWSER:
        started = complete(ip, user_agent, methods, detail=detail, remember=remember, reauthenticate=reauthenticate)
    else:
        started = start(ip, user_agent, kind, label, detail=detail, methods=methods, remember=remember)
    return Outcome(started=started, reauthenticated=started is None, recovery_left=left)


def sign_in(password: str, code: str | None, ip: str | None, user_agent: str | None, kind: str,
            label: str | None = None, remember: bool = False) -> Outcome:
    """The API's password and optional code as one guarded check: a session, or why not. With the
    right password and a code no key can check (CODES_UNREADABLE) the check is published as a
    right password that finishes nothing: the limiter neither counts nor clears."""
    refused: list[str] = []

    def check() -> bool:
        if not (password and master_password.check(password)):
            refused.append(WRONG_PASSWORD)
        elif two_factor.required() and not code:
            refused.append(CODE_REQUIRED)
        elif two_factor.required() and two_factor.cannot_check(code):
            refused.append(CODES_UNREADABLE)
            return True
        elif two_factor.required() and not two_factor.check_code(code):
            refused.append(INVALID_CODE)
        return not refused

    secret_checks.check(check, step=lambda: signals.PASSWORD if refused[:1] == [WRONG_PASSWORD] else "code",
                        ip=ip, user_agent=user_agent, kind=kind, final=lambda: not refused)
    if refused:
        return Outcome(refused=refused[0])
    if code and two_factor.required():
        return _with_code(code, ip, user_agent, kind, label, remember=remember)
    return Outcome(started=start(ip, user_agent, kind, label, remember=remember))


def logout(token: str, ip: str | None, user_agent: str | None = None) -> None:
    login_sessions.revoke_token(token, ip, user_agent)
