"""`gatehouse sessions list|revoke` through the Flask CLI runner on a real database."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import LoginSession, utcnow
from app.services import login_sessions


def start(app, kind=login_sessions.BROWSER, label=None, user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"):
    with app.app_context():
        return login_sessions.create(kind, "192.0.2.7", user_agent, label)


def test_list_shows_live_sessions_only(app, runner):
    assert runner.invoke(args=["sessions", "list"]).output == "No active sessions.\n"
    browser = start(app)
    script = start(app, login_sessions.API, label="backup script")
    ended = start(app)
    with app.app_context():
        db.session.execute(update(LoginSession).where(LoginSession.id == ended.session.id).values(expires_at=utcnow()))
        db.session.commit()
    result = runner.invoke(args=["sessions", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["ID", "KIND"] and len(lines) == 3
    assert lines[1].split()[:2] == [str(script.session.id), "api"] and "backup script" in lines[1]
    assert lines[2].split()[:2] == [str(browser.session.id), "browser"] and "192.0.2.7" in lines[2]
    assert "Firefox 140" in lines[2] and browser.token not in result.output


def test_revoke_one_by_id(app, runner):
    keep, gone = start(app), start(app)
    result = runner.invoke(args=["sessions", "revoke", str(gone.session.id)])
    assert result.exit_code == 0 and f"Revoked session {gone.session.id}." in result.output
    assert "within 60 s (GATEHOUSE_CACHE_TTL_SECONDS)" in result.output
    with app.app_context():
        assert login_sessions.validate(gone.token) is None and login_sessions.validate(keep.token) is not None
    again = runner.invoke(args=["sessions", "revoke", str(gone.session.id)])
    assert again.exit_code == 1 and f"No active session with ID {gone.session.id}" in again.output


def test_revoke_all(app, runner):
    started = [start(app) for _ in range(3)]
    result = runner.invoke(args=["sessions", "revoke", "--all"])
    assert result.exit_code == 0 and "Revoked 3 sessions." in result.output
    with app.app_context():
        assert all(login_sessions.validate(s.token) is None for s in started)


def test_revoke_without_cache_says_at_once(make_app):
    app = make_app(GATEHOUSE_CACHE="none")
    started = start(app)
    result = app.test_cli_runner().invoke(args=["sessions", "revoke", str(started.session.id)])
    assert result.exit_code == 0 and "refuses it at once" in result.output


@pytest.mark.parametrize("args", [[], ["1", "--all"], ["not-a-number"]])
def test_revoke_needs_exactly_one_target_and_changes_nothing(app, runner, args):
    started = start(app)
    result = runner.invoke(args=["sessions", "revoke", *args])
    assert result.exit_code == 2 and "Usage:" in result.output
    with app.app_context():
        assert login_sessions.validate(started.token) is not None


def test_an_idle_browser_session_is_not_listed(app, runner):
    idle = start(app)
    with app.app_context():
        old = utcnow() - timedelta(minutes=31)
        db.session.execute(update(LoginSession).where(LoginSession.id == idle.session.id).values(last_seen_at=old))
        db.session.commit()
    assert runner.invoke(args=["sessions", "list"]).output == "No active sessions.\n"
