"""Changing the master password from a signed-in browser.

The current password is checked through `login.check_password` (logged and rate-limited
like a sign-in), then the fresh session the browser keeps is made. No code is asked for that
session even with a second factor on: only a signed-in browser reaches this (the /password
page requires a session, which passed every factor). The fresh session, the new hash and the
end of every other session (the one that asked for the change included) are one transaction:
a crash or a failed write at any moment leaves the old password with the old sessions, or the
new password with only the fresh one, never a mix (docs/design.md, "Faults").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app import signals
from app.security.passwords import check_new_password
from app.services import login, login_sessions, master_password
from app.signals import AccountChange

log = logging.getLogger("gatehouse.auth")


def change(current: str, new: str, confirm: str, ip: str | None, user_agent: str | None,
           methods: tuple[str, ...] = (login_sessions.PASSWORD,),
           remember: bool = False) -> login_sessions.NewSession | None:
    """Replace the password; returns the one session left alive, or None if `current` is wrong.
    The fresh session keeps `methods`, how the browser that asks had signed in, and `remember`,
    whether it asked to be kept signed in.

    Raises PasswordRejected, before the current password is even checked, when `new` breaks
    a rule or differs from `confirm`; nothing changes then.
    """
    check_new_password(new, confirm)
    if not login.check_password(current, ip, login_sessions.BROWSER, user_agent=user_agent):
        return None
    started = login_sessions.create(login_sessions.BROWSER, ip, user_agent, methods=methods, remember=remember,
                                    commit=False)
    master_password.replace(new, confirm, keep_session_id=started.row.id)  # commits the fresh session too
    log.info("master password changed from %s", ip, extra={"event": "password_changed", "client_ip": ip})
    signals.publish(signals.account_changed, change=AccountChange(
        AccountChange.PASSWORD, None, ip, user_agent, session_id=started.row.id))
    return started


@dataclass(frozen=True)
class SetOnHost:
    first: bool  # no password was set before (a fresh install)
    ended: int  # sessions signed out


def set_on_host(password: str, confirm: str | None) -> SetOnHost:
    """`gatehouse set-password`: set or replace the password from the host, every session signed out.
    :raise PasswordRejected: it breaks a rule, or differs from `confirm`."""
    first = not master_password.is_set()
    ended = master_password.replace(password, confirm)
    signals.publish(signals.account_changed, change=AccountChange(
        AccountChange.PASSWORD, "set with gatehouse set-password", None))
    return SetOnHost(first, ended)
