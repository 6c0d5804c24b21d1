"""Helpers for the second-factor tests: turn codes on, a clock the test moves, codes for a moment."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import update

from app.extensions import db
from app.models import LoginSession, utcnow
from app.services import login_sessions, two_factor
from tests.support.app import PASSWORD

NOW = 1_900_000_000.0  # the same start as the limiter tests' clock


class _ShownKey:
    """`SECRET_RE.search(page).group(1)`: the key /two-factor shows, its groups of four (one
    span each, templates/two_factor/index.html) joined again."""

    _pattern = re.compile(r'<code id="totp-secret"[^>]*>((?:<span>[A-Z2-7]+</span>)+)</code>')

    def search(self, page: str) -> re.Match | None:
        found = self._pattern.search(page)
        return None if found is None else re.fullmatch("(.*)", re.sub("<[^>]+>", "", found.group(1)))


SECRET_RE = _ShownKey()
RECOVERY_RE = re.compile(r'<code class="recovery-code">([a-z0-9-]+)</code>')


class CodeClock:
    """The second factor's clock (app/services/two_factor.py `clock`), moved by the test."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def code_clock(monkeypatch, now: float = NOW) -> CodeClock:
    clock = CodeClock(now)
    monkeypatch.setattr(two_factor, "clock", clock)
    return clock


def enable_codes(app, now: float = NOW, password: str = PASSWORD) -> tuple[str, list[str]]:
    """Turn codes on through the service (as a throw-away session): (secret, recovery codes)."""
    with app.app_context():
        started = login_sessions.create(login_sessions.BROWSER, None, None)
        secret = two_factor.begin(started.row.id, password)
        codes = two_factor.confirm(started.row.id, pyotp.TOTP(secret).at(now), now=now)
        # Ended quietly (no activity row): it stands in for no real browser.
        db.session.execute(update(LoginSession).where(LoginSession.id == started.row.id).values(revoked_at=utcnow()))
        db.session.commit()
    assert codes
    return secret, codes


def live_sessions(app) -> int:
    """Sessions that can sign in (enable_codes leaves its own, revoked one behind)."""
    with app.app_context():
        return len(login_sessions.active())


def code_for(secret: str, now: float) -> str:
    return pyotp.TOTP(secret).at(now)


def wrong_code(secret: str, now: float) -> str:
    """Six digits that match none of the codes accepted at `now`."""
    accepted = {pyotp.TOTP(secret).at(now + offset) for offset in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


def enable_codes_on_instance(instance, now: float, password: str = PASSWORD) -> str:
    """Turn codes on in a real server's instance folder (its database and generated key), as
    its own CLI would see them; `now` is the real time, as the server's clock is. The secret."""
    from app.factory import create_app

    app = create_app({"GATEHOUSE_INSTANCE_DIR": str(instance), "GATEHOUSE_COOKIE_SECURE": False,
                      "GATEHOUSE_BCRYPT_ROUNDS": 4})
    try:
        secret, _codes = enable_codes(app, now=now, password=password)
    finally:
        app.extensions["gatehouse.db"].engine.dispose()
    return secret


OTHER_SECRET = "a-replaced-secret-key-9876543210zyxwvutsrq"


def with_replaced_key(make_app, **overrides):
    """The same database under a new GATEHOUSE_SECRET_KEY and no previous one: the authenticator
    secret sealed under the old key cannot be opened (issue 25)."""
    return make_app(GATEHOUSE_SECRET_KEY=OTHER_SECRET, **overrides)
