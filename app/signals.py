"""Outcomes, each published once; whoever cares subscribes (docs/design.md, "Outcomes").

A sign-in attempt's result, a new session, a session's end and a change to how the admin signs
in are each told here, with Flask's own signal library (blinker), the way Flask-Security and
django-axes publish `user_authenticated` and `user_login_failed`. The code that does the thing
publishes; the login limiter, the log lines fail2ban reads, the sign-in activity, the metrics,
the OpenID provider and the notifications subscribe. Who listens to what is one list, in
`app/factory.py`'s `register_subscribers`.

Each signal is sent with the app as sender and one keyword argument, a frozen dataclass below
that names everything a subscriber may need; no secret is ever in one. Subscribers run in the
publishing request, in the order they were connected, and must not raise for a reason of their
own: a recording that fails logs and swallows its error (the action it records has happened).
"""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace, Signal
from flask import current_app

_signals = Namespace()

# A guarded secret check finished (password, code, passkey, setup code, an OpenID client's
# secret…): `check=SecretCheck`. The limiter settles the request's reserved attempt with it.
secret_checked = _signals.signal("secret-checked")
# A sign-in made a new session, or signed a live one in again for an access rule's max_age
# (the same session id; `detail` says "again, same session"): `signed_in=SignedIn`.
signed_in = _signals.signal("signed-in")
# Sessions ended (signed out, revoked, or ended by a password or second-factor change):
# `ended=SessionsEnded`. Sent after the commit, with the ids that really ended.
sessions_ended = _signals.signal("sessions-ended")
# The way the admin signs in changed (password, second factor, recovery codes, passkeys),
# from a page or from the command line: `change=AccountChange`.
account_changed = _signals.signal("account-changed")
# The limiter started holding clients back in a way the admin should know of (an address
# blocked for the long tier, the global budget spent): `event=LimiterEvent`.
limiter_tripped = _signals.signal("limiter-tripped")

def publish(signal: Signal, **payload) -> None:
    """Send `signal` with this app as the sender (the subscribers were connected for it)."""
    signal.send(current_app._get_current_object(), **payload)


# SecretCheck.step values (anything else is a second step of some kind).
PASSWORD = "password"
SETUP_CODE = "setup code"  # the first-run code, before any password exists
NEW_CODE = "new code"  # a code from an app being set up (not yet a factor anyone signs in with)


@dataclass(frozen=True)
class SecretCheck:
    """`ok`: the secret was right. `final=False`: right, but the sign-in is not done (the password
    when a code is owed): the limiter then clears nothing. `step`: what was checked ("password",
    "code", "passkey", "setup code", "client secret"). `ip=None`: the command line on the host."""

    ok: bool
    step: str
    ip: str | None
    user_agent: str | None = None
    kind: str | None = None  # the session kind a sign-in would make: "browser" or "api"
    detail: str | None = None  # where, in words, for the activity ("two-factor page")
    final: bool = True


@dataclass(frozen=True)
class SignedIn:
    session_id: int
    kind: str  # "browser" or "api"
    methods: tuple[str, ...]  # how (app/services/login_sessions.py: password, code, recovery_code, passkey)
    ip: str | None
    user_agent: str | None
    detail: str | None = None  # for the activity: "with a code", "passkey", "API token backup"


@dataclass(frozen=True)
class SessionsEnded:
    """`how`: SIGNED_OUT (by its holder), REVOKED (by the admin, from a page or the command line)
    or ENDED_BY_CHANGE (a password or second-factor change ended them; that change is its own
    outcome). `detail`: what the activity says for a revocation ("session 7", "2 other sessions")."""

    SIGNED_OUT, REVOKED, ENDED_BY_CHANGE = "signed out", "revoked", "ended by a change"

    session_ids: tuple[int, ...]
    how: str = ENDED_BY_CHANGE
    ip: str | None = None
    user_agent: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class AccountChange:
    """`what`: "password" or "second factor"; `detail` in words ("turned off", "passkey added: Laptop").
    `ip=None`: the command line on the host. `session_id`: the session that made it, if any."""

    PASSWORD, SECOND_FACTOR = "password", "second factor"

    what: str
    detail: str | None
    ip: str | None
    user_agent: str | None = None
    session_id: int | None = None


@dataclass(frozen=True)
class LimiterEvent:
    """`what`: "blocked" (one client, the long tier) or "budget spent" (every untrusted client)."""

    what: str
    client: str | None  # the address (or "a trusted device"); None for the budget
    seconds: int  # how long it holds
