from datetime import timedelta

from sqlalchemy import update

from app.extensions import db, session_cache
from app.models import LoginSession, utcnow
from app.security.tokens import hash_token
from app.services import login_sessions


def test_create_stores_only_the_hash(app):
    with app.app_context():
        started = login_sessions.create(login_sessions.BROWSER, "203.0.113.9", "Mozilla/5.0 \x1b[31mred")
        row = db.session.get(LoginSession, started.row.id)
        assert row.token_hash == hash_token(started.token) and started.token not in row.token_hash
        assert row.user_agent == "Mozilla/5.0 [31mred"
        assert row.expires_at - row.created_at == timedelta(minutes=720)


def test_every_login_gets_a_new_token(app):
    with app.app_context():
        tokens = {login_sessions.create(login_sessions.BROWSER, None, None).token for _ in range(5)}
        assert len(tokens) == 5


def test_validate_accepts_live_and_rejects_unknown(app):
    with app.app_context():
        started = login_sessions.create(login_sessions.BROWSER, None, None)
        assert login_sessions.validate(started.token).id == started.row.id
        assert login_sessions.validate("not-a-token") is None


def test_absolute_lifetime(app):
    with app.app_context():
        started = login_sessions.create(login_sessions.API, None, None)
        later = utcnow() + timedelta(minutes=721)
        assert login_sessions.validate(started.token, now=later) is None


def test_idle_timeout_applies_to_browsers_not_tokens(app):
    with app.app_context():
        browser = login_sessions.create(login_sessions.BROWSER, None, None)
        api = login_sessions.create(login_sessions.API, None, None)
        later = utcnow() + timedelta(minutes=31)
        assert login_sessions.validate(browser.token, now=later) is None
        assert login_sessions.validate(api.token, now=later) is not None


def test_activity_keeps_a_browser_session_alive_with_throttled_writes(app):
    with app.app_context():
        started = login_sessions.create(login_sessions.BROWSER, None, None)
        created = started.row.last_seen_at
        assert login_sessions.validate(started.token, now=created + timedelta(seconds=30)).last_seen_at == created
        assert _stored_last_seen(started) == created  # no write inside the interval
        step = created + timedelta(minutes=20)
        assert login_sessions.validate(started.token, now=step).last_seen_at == step
        assert _stored_last_seen(started) == step
        assert login_sessions.validate(started.token, now=step + timedelta(minutes=20)) is not None


def test_idle_clock_counts_from_the_last_use_with_a_short_idle_limit(make_app):
    """GATEHOUSE_SESSION_IDLE_MINUTES=1: used 35 s after sign-in, the session lives until ~95 s."""
    app = make_app(GATEHOUSE_SESSION_IDLE_MINUTES=1)
    with app.app_context():
        started = login_sessions.create(login_sessions.BROWSER, None, None)
        created = started.row.last_seen_at
        assert login_sessions.validate(started.token, now=created + timedelta(seconds=35)) is not None
        assert _stored_last_seen(started) == created + timedelta(seconds=35)  # written: 35 s > 3 s
        assert login_sessions.validate(started.token, now=created + timedelta(seconds=70)) is not None
        assert login_sessions.validate(started.token, now=created + timedelta(seconds=70 + 61)) is None


def _stored_last_seen(started):
    db.session.expire_all()
    return db.session.get(LoginSession, started.row.id).last_seen_at


def test_revoke_is_immediate_even_when_cached(app):
    with app.app_context():
        started = login_sessions.create(login_sessions.BROWSER, None, None)
        assert login_sessions.validate(started.token) is not None  # now cached
        login_sessions.revoke_token(started.token)
        assert session_cache.backend.get(hash_token(started.token)) is None
        assert login_sessions.validate(started.token) is None


def test_revocation_from_another_process_reaches_the_cache_within_ttl(make_app):
    app = make_app(GATEHOUSE_CACHE_TTL_SECONDS=60)
    with app.app_context():
        started = login_sessions.create(login_sessions.BROWSER, None, None)
        login_sessions.validate(started.token)
        # What `gatehouse sessions revoke` in another process does: the database only.
        db.session.execute(update(LoginSession).values(revoked_at=utcnow()))
        db.session.commit()
        assert login_sessions.validate(started.token) is not None  # served from cache meanwhile
        session_cache.backend.clear()  # the TTL running out
        assert login_sessions.validate(started.token) is None


def test_without_cache_every_check_reads_the_database(make_app):
    app = make_app(GATEHOUSE_CACHE="none")
    with app.app_context():
        started = login_sessions.create(login_sessions.BROWSER, None, None)
        assert login_sessions.validate(started.token) is not None
        db.session.execute(update(LoginSession).values(revoked_at=utcnow()))
        db.session.commit()
        assert login_sessions.validate(started.token) is None


def test_cache_entry_never_outlives_the_session(make_app):
    app = make_app(GATEHOUSE_SESSION_LIFETIME_MINUTES=1, GATEHOUSE_CACHE_TTL_SECONDS=3600)
    with app.app_context():
        started = login_sessions.create(login_sessions.API, None, None)
        login_sessions.validate(started.token)
        deadline, _ = session_cache.backend._entries[hash_token(started.token)]
        import time

        assert deadline - time.monotonic() <= 60


def test_revoke_all(app):
    with app.app_context():
        tokens = [login_sessions.create(login_sessions.BROWSER, None, None).token for _ in range(3)]
        for token in tokens:
            login_sessions.validate(token)
        assert login_sessions.revoke_all() == 3
        assert all(login_sessions.validate(t) is None for t in tokens)


def test_revoke_between_read_and_cache_write_is_not_undone(app, monkeypatch):
    """The cache-aside race: validation read the row, a revoke committed, then the cache write."""
    with app.app_context():
        started = login_sessions.create(login_sessions.API, None, None)
        remember = login_sessions._remember

        def revoke_first(key, entry, now):
            login_sessions.revoke_token(started.token)  # lands after the read, before the cache write
            remember(key, entry, now)

        monkeypatch.setattr(login_sessions, "_remember", revoke_first)
        login_sessions.validate(started.token)
        monkeypatch.setattr(login_sessions, "_remember", remember)
        assert login_sessions.validate(started.token) is None


def test_touch_that_finds_the_row_revoked_refuses_the_request(app):
    with app.app_context():
        started = login_sessions.create(login_sessions.BROWSER, None, None)
        login_sessions.validate(started.token)  # cached
        db.session.execute(update(LoginSession).values(revoked_at=utcnow()))  # another process
        db.session.commit()
        later = utcnow() + timedelta(minutes=2)  # due for a last-seen write
        assert login_sessions.validate(started.token, now=later) is None


# --- listing and revoking by id (the sessions page and the CLI) ---


def test_active_hides_idle_browsers_but_not_idle_tokens(app):
    with app.app_context():
        browser = login_sessions.create(login_sessions.BROWSER, None, None)
        token = login_sessions.create(login_sessions.API, None, None, "ci")
        later = utcnow() + timedelta(minutes=31)
        assert [s.id for s in login_sessions.active(later)] == [token.row.id]
        assert {s.id for s in login_sessions.active()} == {browser.row.id, token.row.id}
        assert [s.id for s in login_sessions.active(utcnow() + timedelta(minutes=721))] == []


def test_revoke_clears_the_cache_entry(app):
    with app.app_context():
        started = login_sessions.create(login_sessions.API, None, None)
        assert login_sessions.validate(started.token) is not None
        assert session_cache.backend.get(hash_token(started.token)) is not None
        assert login_sessions.revoke(started.row.id) is True
        assert session_cache.backend.get(hash_token(started.token)) is None
        assert login_sessions.validate(started.token) is None
        assert login_sessions.revoke(started.row.id) is False


def test_revoke_others_counts_and_keeps_one(app):
    with app.app_context():
        keep, *rest = [login_sessions.create(login_sessions.BROWSER, None, None) for _ in range(3)]
        assert login_sessions.revoke_others(keep.row.id) == 2
        assert login_sessions.validate(keep.token) is not None
        assert all(login_sessions.validate(r.token) is None for r in rest)
        assert login_sessions.revoke_others(keep.row.id) == 0
