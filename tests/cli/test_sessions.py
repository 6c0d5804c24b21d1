"""`gatehouse sessions list|revoke` through the Flask CLI runner on a real database."""

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import LoginSession, utcnow
from app.services import activity, login_sessions


def start(app, kind=login_sessions.BROWSER, label=None, user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"):
    with app.app_context():
        return login_sessions.create(kind, "192.0.2.7", user_agent, label)


def test_list_shows_live_sessions_only(app, runner):
    assert runner.invoke(args=["sessions", "list"]).output == "No active sessions.\n"
    browser = start(app)
    script = start(app, login_sessions.API, label="backup script")
    ended = start(app)
    with app.app_context():
        db.session.execute(update(LoginSession).where(LoginSession.id == ended.row.id).values(expires_at=utcnow()))
        db.session.commit()
    result = runner.invoke(args=["sessions", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["ID", "KIND"] and len(lines) == 3
    assert lines[1].split()[:2] == [str(script.row.id), "api"] and "backup script" in lines[1]
    assert lines[2].split()[:2] == [str(browser.row.id), "browser"] and "192.0.2.7" in lines[2]
    assert "Firefox 140" in lines[2] and browser.token not in result.output


def test_revoke_one_by_id(app, runner):
    keep, gone = start(app), start(app)
    result = runner.invoke(args=["sessions", "revoke", str(gone.row.id)])
    assert result.exit_code == 0 and f"Revoked session {gone.row.id}." in result.output
    assert "within 60 s (GATEHOUSE_CACHE_TTL_SECONDS)" in result.output
    with app.app_context():
        assert login_sessions.validate(gone.token) is None and login_sessions.validate(keep.token) is not None
    again = runner.invoke(args=["sessions", "revoke", str(gone.row.id)])
    assert again.exit_code == 1 and f"No active session with ID {gone.row.id}" in again.output


def test_revoke_all(app, runner):
    started = [start(app) for _ in range(3)]
    result = runner.invoke(args=["sessions", "revoke", "--all"])
    assert result.exit_code == 0 and "Revoked 3 sessions." in result.output
    with app.app_context():
        assert all(login_sessions.validate(s.token) is None for s in started)


def test_revoke_without_cache_says_at_once(make_app):
    app = make_app(GATEHOUSE_CACHE="none")
    started = start(app)
    result = app.test_cli_runner().invoke(args=["sessions", "revoke", str(started.row.id)])
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
        db.session.execute(update(LoginSession).where(LoginSession.id == idle.row.id).values(last_seen_at=old))
        db.session.commit()
    assert runner.invoke(args=["sessions", "list"]).output == "No active sessions.\n"


def test_list_aligns_ipv6_addresses(app, runner):
    with app.app_context():
        login_sessions.create(login_sessions.BROWSER, "2001:db8:ffff:ffff:ffff:ffff:ffff:1234", None)
        login_sessions.create(login_sessions.API, "192.0.2.7", "curl/8.5.0", "backup")
    lines = runner.invoke(args=["sessions", "list"]).output.splitlines()
    assert len(lines) == 3
    # Every column after the IP starts at the same place on every line.
    starts = {line.index(word) for line, word in zip(lines, ["LABEL / BROWSER", "backup", "Unknown"])}
    assert len(starts) == 1, lines
    ip_starts = {line.index(word) for line, word in zip(lines, ["IP", "192.0.2.7", "2001:db8:"])}
    assert len(ip_starts) == 1, lines


def test_list_json(app, runner):
    started = start(app, label=None)
    result = runner.invoke(args=["sessions", "list", "--json"])
    assert result.exit_code == 0
    [entry] = json.loads(result.output)
    assert entry["id"] == started.row.id and entry["kind"] == "browser" and entry["ip"] == "192.0.2.7"
    assert entry["browser"] == "Firefox 140 on Linux" and entry["label"] is None
    assert datetime.fromisoformat(entry["expires_at"]).tzinfo is not None
    assert started.token not in result.output
    with app.app_context():
        login_sessions.revoke_all()
    assert json.loads(runner.invoke(args=["sessions", "list", "--json"]).output) == []


def test_revoke_is_kept_in_the_activity_not_logged(app, runner, capfd):
    started = start(app)
    start(app)  # another, for --all to end
    result = runner.invoke(args=["sessions", "revoke", str(started.row.id)])
    assert result.exit_code == 0
    assert runner.invoke(args=["sessions", "revoke", "--all"]).exit_code == 0
    assert runner.invoke(args=["sessions", "revoke", "--all"]).exit_code == 0  # nothing left: nothing recorded
    with app.app_context():
        events = activity.recent()
    assert [(e.kind, e.address, e.detail) for e in events if e.kind != "signed_in"] == [
        ("session_revoked", "command line", "all sessions (1)"),
        ("session_revoked", "command line", f"session {started.row.id}"),
    ]
    assert '"event"' not in capfd.readouterr().err
