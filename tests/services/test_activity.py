"""The sign-in activity service: events stored, refusals tallied and bounded, summary, purge."""

from datetime import timedelta

from sqlalchemy import select, text

from app.extensions import db
from app.models import SignInEvent, utcnow
from app.services import activity
from app.services.blocked_tally import BlockedTally

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def rows(kind=None):
    query = select(SignInEvent).order_by(SignInEvent.id)
    return db.session.scalars(query.where(SignInEvent.kind == kind) if kind else query).all()


def test_record_stores_time_kind_address_and_browser(app):
    with app.app_context():
        activity.record(activity.SIGNED_IN, "203.0.113.9", FIREFOX + "\x1b[31m", session_id=7)
        activity.record(activity.PASSWORD_CHANGED, None, None, detail="set from the command line")
        first, second = activity.recent()[::-1]
        assert (first.kind, first.ip, first.browser, first.label) == (
            "signed_in", "203.0.113.9", "Firefox 128 on Linux", "Signed in")
        assert "\x1b" not in rows()[0].user_agent
        assert utcnow() - first.at < timedelta(seconds=5)
        assert second.address == "command line" and second.detail == "set from the command line"


def test_unknown_kind_is_refused(app):
    with app.app_context():
        try:
            activity.record("hacked", "203.0.113.9", None)
        except ValueError as exc:
            assert "hacked" in str(exc)
        else:
            raise AssertionError("an unknown kind was stored")
        assert rows() == []


def test_recent_is_newest_first_and_capped(app):
    with app.app_context():
        db.session.add_all(SignInEvent(at=utcnow() - timedelta(seconds=i), kind=activity.FAILED_PASSWORD,
                                       ip=f"198.51.100.{i % 250}", count=1) for i in range(230))
        db.session.commit()
        events = activity.recent()
        assert len(events) == activity.RECENT == 200
        assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
        assert events[0].ip == "198.51.100.0"


def test_refusals_from_one_ipv6_64_are_one_row_like_the_limiters_one_client(app):
    """On 0702507 each address of a blocked /64 got its own row, up to 100 a minute (issue 22)."""
    with app.app_context():
        for i in range(150):
            activity.note_blocked(f"2001:db8:1:2:{i:x}::1", "flooder/1.0")
        activity.note_blocked("192.0.2.7", None)
        activity.flush()
        blocked = rows(activity.BLOCKED)
        by_client = {}
        for row in blocked:
            by_client[row.ip] = by_client.get(row.ip, 0) + row.count
        assert by_client == {"2001:db8:1:2::/64": 150, "192.0.2.7": 1}
        assert len(blocked) <= 3  # the /64's row may straddle a minute boundary


def test_a_flood_of_refusals_is_one_row_per_address_and_minute(app):
    with app.app_context():
        for _ in range(500):
            activity.note_blocked("203.0.113.66", "flooder/1.0")
        activity.flush()
        blocked = rows(activity.BLOCKED)
        assert len(blocked) <= 2  # the flood may straddle a minute boundary
        assert sum(r.count for r in blocked) == 500
        assert blocked[0].minute.second == 0 and blocked[0].minute <= blocked[0].at < blocked[0].minute + timedelta(minutes=1)
        assert blocked[0].user_agent == "flooder/1.0"
        # Only the first refusal was written at once; the rest waited for the batch.
        assert activity.recent()[0].label == "Refused while blocked"


def test_refusals_from_many_addresses_share_one_row_past_the_cap(app):
    tally = BlockedTally(max_addresses=3, flush_seconds=5)
    minute = 1_800_000_000 - 1_800_000_000 % 60
    for i in range(50):
        tally.add(f"198.51.100.{i}", "x", minute + i % 60 / 2)
    taken = tally.take(minute + 40)
    assert len(taken) == 4
    assert taken[("*", minute)].count == 47 and taken[("*", minute)].user_agent is None
    assert taken[("*", minute)].last == minute + 49 / 2  # the latest refusal: the time the page shows
    assert len(tally) == 0


def test_tally_writes_at_once_after_quiet_then_in_batches():
    tally = BlockedTally(flush_seconds=5)
    assert tally.add("203.0.113.1", None, 1000.0) is True
    tally.take(1000.0)
    assert tally.add("203.0.113.1", None, 1001.0) is False
    assert tally.add("203.0.113.1", None, 1004.9) is False
    assert tally.add("203.0.113.1", None, 1005.0) is True


def test_flush_adds_to_the_row_another_process_wrote(app):
    with app.app_context():
        activity.note_blocked("203.0.113.66", None)  # written at once: count 1
        other = BlockedTally()  # another worker's tally, same address and minute
        app.extensions["gatehouse.activity.blocked"], mine = other, app.extensions["gatehouse.activity.blocked"]
        for _ in range(3):
            activity.note_blocked("203.0.113.66", None)
        activity.flush()
        app.extensions["gatehouse.activity.blocked"] = mine
        blocked = rows(activity.BLOCKED)
        assert len(blocked) in (1, 2) and sum(r.count for r in blocked) == 4
        assert all(r.at >= r.minute for r in blocked)


def test_summary_names_the_previous_sign_in_and_counts_failures_since(app):
    with app.app_context():
        now = utcnow()
        db.session.add_all([
            SignInEvent(at=now - timedelta(days=2), kind=activity.SIGNED_IN, ip="192.0.2.1", session_id=1, count=1),
            SignInEvent(at=now - timedelta(days=2, minutes=5), kind=activity.FAILED_PASSWORD, ip="192.0.2.1", count=1),
            SignInEvent(at=now - timedelta(days=1), kind=activity.SIGNED_IN, ip="192.0.2.2", session_id=2, count=1),
            SignInEvent(at=now - timedelta(hours=3), kind=activity.FAILED_PASSWORD, ip="198.51.100.7", count=1),
            SignInEvent(at=now - timedelta(hours=2), kind=activity.FAILED_CODE, ip="198.51.100.7", count=1),
            SignInEvent(at=now - timedelta(hours=1), kind=activity.BLOCKED, ip="198.51.100.7", count=40),
            SignInEvent(at=now, kind=activity.SIGNED_IN, ip="192.0.2.3", session_id=3, count=1),
        ])
        db.session.commit()
        summary = activity.summary(current_session_id=3)
        assert summary.previous.ip == "192.0.2.2" and summary.failed == 2 and summary.blocked == 40
        # From session 2's point of view the latest other sign-in is session 3's: nothing failed since.
        assert activity.summary(current_session_id=2).previous.ip == "192.0.2.3"
        assert activity.summary(current_session_id=2).failed == 0


def test_summary_without_an_earlier_sign_in_counts_every_failure(app):
    with app.app_context():
        activity.record(activity.FAILED_PASSWORD, "198.51.100.7", None)
        activity.record(activity.SIGNED_IN, "192.0.2.3", None, session_id=3)
        summary = activity.summary(current_session_id=3)
        assert summary.previous is None and summary.failed == 1 and summary.blocked == 0


def test_purge_keeps_activity_days(make_app):
    app = make_app(GATEHOUSE_ACTIVITY_DAYS=10)
    with app.app_context():
        now = utcnow()
        db.session.add_all([
            SignInEvent(at=now - timedelta(days=11), kind=activity.SIGNED_IN, ip="192.0.2.1", count=1),
            SignInEvent(at=now - timedelta(days=9), kind=activity.SIGNED_IN, ip="192.0.2.2", count=1),
        ])
        db.session.commit()
        assert activity.purge(now) == 1
        assert [r.ip for r in rows()] == ["192.0.2.2"]


def test_a_database_error_does_not_break_the_action(make_app, tmp_path, caplog):
    # A database without the table (never drop it from the run's shared PostgreSQL database).
    app = make_app(GATEHOUSE_DATABASE_URL=f"sqlite:///{tmp_path / 'no-tables.db'}")
    with app.app_context():
        activity.record(activity.SIGNED_IN, "192.0.2.1", None)  # logged, not raised
        activity.note_blocked("192.0.2.1", None)
        assert "could not record signed_in" in caplog.text
        assert "could not record 1 refused attempts" in caplog.text
        assert db.session.scalar(text("SELECT 1")) == 1  # rolled back: the session still works
