from datetime import timedelta

from app.extensions import session_cache
from app.models import utcnow
from app.security.tokens import hash_token
from app.services import login_sessions


def test_active_hides_idle_browsers_but_not_idle_tokens(app):
    with app.app_context():
        browser = login_sessions.create(login_sessions.BROWSER, None, None)
        token = login_sessions.create(login_sessions.API, None, None, "ci")
        later = utcnow() + timedelta(minutes=31)
        assert [s.id for s in login_sessions.active(later)] == [token.session.id]
        assert {s.id for s in login_sessions.active()} == {browser.session.id, token.session.id}
        assert [s.id for s in login_sessions.active(utcnow() + timedelta(minutes=721))] == []


def test_revoke_clears_the_cache_entry(app):
    with app.app_context():
        started = login_sessions.create(login_sessions.API, None, None)
        assert login_sessions.validate(started.token) is not None
        assert session_cache.backend.get(hash_token(started.token)) is not None
        assert login_sessions.revoke(started.session.id) is True
        assert session_cache.backend.get(hash_token(started.token)) is None
        assert login_sessions.validate(started.token) is None
        assert login_sessions.revoke(started.session.id) is False


def test_revoke_others_counts_and_keeps_one(app):
    with app.app_context():
        keep, *rest = [login_sessions.create(login_sessions.BROWSER, None, None) for _ in range(3)]
        assert login_sessions.revoke_others(keep.session.id) == 2
        assert login_sessions.validate(keep.token) is not None
        assert all(login_sessions.validate(r.token) is None for r in rest)
        assert login_sessions.revoke_others(keep.session.id) == 0
