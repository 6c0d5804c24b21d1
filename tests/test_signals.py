"""Each outcome is published once (app/signals.py), and the factory's subscribers hear it:
one wrong password is one `secret_checked`, one log line, one activity row, one failure counted."""

from app import signals
from app.runtime import metrics
from app.services import activity
from tests.support.app import PASSWORD


def heard(app, signal):
    seen = []

    def receiver(sender, **payload):
        seen.append((sender, payload))

    signal.connect(receiver, sender=app, weak=False)
    return seen, lambda: signal.disconnect(receiver, sender=app)


def test_a_wrong_password_is_published_once_and_each_subscriber_acts_once(app, auth, caplog):
    seen, done = heard(app, signals.secret_checked)
    failures_before = metrics.LOGIN_FAILURE._value.get()
    try:
        assert auth.login("not the password at all").status_code == 401
    finally:
        done()
    assert len(seen) == 1 and seen[0][0] is app
    check = seen[0][1]["check"]
    assert (check.ok, check.step, check.final, check.kind) == (False, "password", True, "browser")
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("login failed")] == [
        "login failed from 127.0.0.1"]
    with app.app_context():
        assert [e.kind for e in activity.recent()] == ["failed_password"]
    assert metrics.LOGIN_FAILURE._value.get() == failures_before + 1


def test_a_sign_in_and_a_sign_out_are_published(app, client, auth):
    signed, done_in = heard(app, signals.signed_in)
    ended, done_out = heard(app, signals.sessions_ended)
    try:
        auth.login(PASSWORD)
        auth.logout()
    finally:
        done_in()
        done_out()
    assert [p["signed_in"].methods for _s, p in signed] == [("password",)]
    assert [p["ended"].how for _s, p in ended] == [signals.SessionsEnded.SIGNED_OUT]
    assert ended[0][1]["ended"].session_ids == (signed[0][1]["signed_in"].session_id,)


def test_a_password_change_publishes_the_change_and_the_sessions_it_ended(app, client, auth):
    from app.services import login_sessions

    with app.app_context():
        other = login_sessions.create(login_sessions.API, None, None)
    auth.login(PASSWORD)
    changes, done_change = heard(app, signals.account_changed)
    ended, done_end = heard(app, signals.sessions_ended)
    try:
        from tests.support.app import csrf_token

        new = "another long passphrase here"
        client.post("/password", data={"csrf_token": csrf_token(client, "/password"), "current": PASSWORD,
                                       "new": new, "confirm": new})
    finally:
        done_change()
        done_end()
    assert [p["change"].what for _s, p in changes] == ["password"]
    assert len(ended) == 1 and other.row.id in ended[0][1]["ended"].session_ids
    assert ended[0][1]["ended"].how == signals.SessionsEnded.ENDED_BY_CHANGE
