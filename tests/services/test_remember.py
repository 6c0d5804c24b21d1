""""Keep me signed in" in the session lifecycle (SPEC §17): the longer lifetime and idle limit,
the same rule in Python (`_alive`, through the cache) and SQL (`_live`: listing, counting,
purging), and revoked like any other session."""

from datetime import timedelta

from app.services import login_sessions


def test_a_kept_session_lasts_the_remember_days_with_their_idle_limit(app):
    with app.app_context():
        kept = login_sessions.create(login_sessions.BROWSER, None, None, remember=True)
        created = kept.row.created_at
        assert kept.row.remember is True
        assert kept.row.expires_at - created == timedelta(days=30)
        # 31 minutes unused would end an ordinary session; six days unused do not end this one.
        assert login_sessions.validate(kept.token, now=created + timedelta(minutes=31)) is not None
        seen = created + timedelta(minutes=31)
        assert login_sessions.validate(kept.token, now=seen + timedelta(days=6, hours=23)) is not None
        later = seen + timedelta(days=6, hours=23)
        assert login_sessions.validate(kept.token, now=later + timedelta(days=7, seconds=1)) is None


def test_a_kept_session_ends_at_its_absolute_end_however_used(make_app):
    app = make_app(GATEHOUSE_REMEMBER_DAYS=2, GATEHOUSE_REMEMBER_IDLE_DAYS=1)
    with app.app_context():
        kept = login_sessions.create(login_sessions.BROWSER, None, None, remember=True)
        created = kept.row.created_at
        assert kept.row.expires_at - created == timedelta(days=2)
        for hours in (20, 40):
            assert login_sessions.validate(kept.token, now=created + timedelta(hours=hours)) is not None
        assert login_sessions.validate(kept.token, now=created + timedelta(days=2, seconds=1)) is None


def test_listing_counting_and_purging_use_the_kept_idle_limit(app):
    with app.app_context():
        kept = login_sessions.create(login_sessions.BROWSER, None, None, remember=True)
        plain = login_sessions.create(login_sessions.BROWSER, None, None)
        two_hours = kept.row.created_at + timedelta(hours=2)
        assert [(s.id, s.remember) for s in login_sessions.active(now=two_hours)] == [(kept.row.id, True)]
        assert login_sessions.count_active(now=two_hours) == 1
        assert login_sessions.purge(two_hours) == 1  # the ordinary one, idle past 30 minutes
        assert login_sessions.validate(plain.token) is None
        assert login_sessions.purge(kept.row.created_at + timedelta(days=7, minutes=1)) == 1
        assert login_sessions.validate(kept.token) is None


def test_only_browsers_are_kept_and_only_while_the_choice_is_on(make_app):
    app = make_app()
    with app.app_context():
        token = login_sessions.create(login_sessions.API, None, None, remember=True)
        assert token.row.remember is False and token.row.expires_at - token.row.created_at == timedelta(minutes=720)
    off = make_app(GATEHOUSE_REMEMBER_DAYS=0)
    with off.app_context():
        asked = login_sessions.create(login_sessions.BROWSER, None, None, remember=True)
        assert asked.row.remember is False and asked.row.expires_at - asked.row.created_at == timedelta(minutes=720)


def test_kept_sessions_are_revoked_like_any_other(app):
    with app.app_context():
        keep = login_sessions.create(login_sessions.BROWSER, None, None)
        others = [login_sessions.create(login_sessions.BROWSER, None, None, remember=True) for _ in range(2)]
        assert login_sessions.revoke(others[0].row.id)
        assert login_sessions.validate(others[0].token) is None
        assert login_sessions.revoke_others(keep.row.id) == 1
        assert login_sessions.validate(others[1].token) is None
        last = login_sessions.create(login_sessions.BROWSER, None, None, remember=True)
        assert login_sessions.revoke_all() == 2
        assert login_sessions.validate(last.token) is None
