"""What is worth a notification, and its words (SPEC §17, docs/notifications.md): subscribers of
the published outcomes (app/signals.py), connected in app/factory.py's `register_subscribers`.

- a sign-in from a browser never seen before (it presented no valid device cookie), or with a
  recovery code (with how many are left);
- the second factor turned off or changed, from a page; the break-glass command
  (`gatehouse two-factor disable`) on the server; the password changed or set;
- an address blocked for the long tier; the global budget of failed sign-ins spent.

A message names the address, the browser (its short name) and the time; never a password, a
code, a token or a cookie. Each subscriber only words and queues a message (app/notify/sender.py):
the request that published the outcome never waits for a delivery, and a subscriber never
raises (the outcome it hears has happened; a failure is logged).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from app.notify import Message, state
from app.services import login_sessions, recovery_codes
from app.services.user_agents import short_name
from app.signals import AccountChange, LimiterEvent, SignedIn

log = logging.getLogger("gatehouse.notify")

NEW_BROWSER, RECOVERY_CODE, SECOND_FACTOR, BREAK_GLASS = "new browser", "recovery code", "second factor", "break glass"
PASSWORD, BLOCKED, BUDGET, TEST = "password", "blocked", "budget spent", "test"
NOT_YOU = ("If this was not you: on the server run `gatehouse sessions revoke --all`, then change the "
           "master password.")


def _send(kind: str, headline: str, body: str, level: str = "warning") -> None:
    state().notifier.send(Message(kind, f"Gatehouse at {state().site}: {headline}", body, level))


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _who(ip: str | None, user_agent: str | None) -> str:
    """"from 192.0.2.1 (Firefox on Linux) at 2026-12-05 10:00 UTC", or "on the server" for the CLI."""
    if ip is None and not user_agent:
        return f"on the server (command line) at {_now()}"
    return f"from {ip or 'an unknown address'} ({short_name(user_agent) if user_agent else 'unknown browser'}) at {_now()}"


def _unblock(client: str | None) -> str:
    """The command that lifts a block of `client` (an address, an IPv6 /64, or "a trusted device")."""
    if client and "/" in client:
        return f"`gatehouse unblock ADDRESS` with any address in {client}"
    if client and " " not in client:
        return f"`gatehouse unblock {client}`"
    return "`gatehouse unblock --all`"


def trial_message() -> Message:
    """What `gatehouse notify test` sends."""
    return Message(TEST, f"Gatehouse at {state().site}: test message",
                   f"Notifications from Gatehouse reach you here. Sent {_who(None, None)}.", "info")


def _quietly(subscriber):
    """A notification never breaks what it tells of: log and swallow (app/signals.py)."""

    def run(sender, **payload) -> None:
        try:
            if state().notifier.enabled:
                subscriber(sender, **payload)
        except Exception:  # noqa: BLE001
            log.exception("could not word a notification", extra={"event": "notify_error"})

    run.__name__ = run.__qualname__ = subscriber.__name__
    return run


@_quietly
def on_signed_in(_sender, signed_in: SignedIn) -> None:
    new_browser = signed_in.kind == login_sessions.BROWSER and state().known_device() is False
    who = _who(signed_in.ip, signed_in.user_agent)
    if login_sessions.RECOVERY_CODE in signed_in.methods:
        left = recovery_codes.left()
        body = (f"A sign-in with a recovery code {who}"
                f"{', from a browser not seen before' if new_browser else ''}. "
                f"{left} recovery code{'s' if left != 1 else ''} left"
                f"{': make a new set on the two-factor page soon' if left <= 2 else ''}. {NOT_YOU}")
        _send(RECOVERY_CODE, "signed in with a recovery code", body)
    elif new_browser:
        _send(NEW_BROWSER, "sign-in from a new browser",
              f"A sign-in {who} from a browser that has not signed in before. {NOT_YOU}", "info")


@_quietly
def on_account_changed(_sender, change: AccountChange) -> None:
    who = _who(change.ip, change.user_agent)
    if change.what == AccountChange.PASSWORD:
        if change.detail == "first setup":
            _send(PASSWORD, "the master password was set", f"Setup finished {who}.", "info")
        elif change.ip is None:
            _send(PASSWORD, "the master password was set on the server",
                  f"`gatehouse set-password` was run {who}; every session was signed out. {NOT_YOU}")
        else:
            _send(PASSWORD, "the master password was changed",
                  f"The master password was changed {who}; every other session was signed out. {NOT_YOU}")
    elif change.ip is None and not change.user_agent:
        _send(BREAK_GLASS, "two-factor sign-in turned off on the server",
              f"`gatehouse two-factor disable` was run {who}: {change.detail}. The master password alone "
              "signs in now; set up the authenticator app and passkeys again on the two-factor page.", "failure")
    else:
        level = "failure" if (change.detail or "").startswith("turned off") else "warning"
        _send(SECOND_FACTOR, f"two-factor sign-in changed: {change.detail}",
              f"Two-factor sign-in changed ({change.detail}) {who}. {NOT_YOU}", level)


@_quietly
def on_limiter_tripped(_sender, event: LimiterEvent) -> None:
    minutes = max(1, round(event.seconds / 60))
    if event.what == "blocked":
        _send(BLOCKED, f"{event.client} blocked",
              f"Sign-ins from {event.client} are blocked for {minutes} minutes after too many wrong passwords or "
              f"codes in a row ({_now()}). If that is you: on the server, {_unblock(event.client)} lifts the block.")
    else:
        _send(BUDGET, "failed sign-ins over the global budget",
              f"Too many failed sign-ins from browsers Gatehouse does not know ({_now()}): they are refused for up "
              f"to {minutes} minutes. A browser that signed in before still can; on the server, "
              "`gatehouse unblock ADDRESS` lets one address in.", "failure")
