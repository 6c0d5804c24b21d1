"""/activity and the home page line: what a sign-in, a failure, a refusal and a change leave behind."""

import re
from datetime import timedelta

from app.extensions import db
from app.models import SignInEvent, utcnow
from app.services import activity
from tests.support.app import PASSWORD, AuthActions, csrf_token

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
VIVALDI = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
           "Safari/537.36 Vivaldi/6.5.3206.48")


def browser(app, ip, agent=FIREFOX):
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": ip, "HTTP_USER_AGENT": agent})
    return client, AuthActions(client)


def kinds(app):
    with app.app_context():
        return [(e.kind, e.ip) for e in activity.recent()][::-1]


def rows_of(body):
    return re.findall(r'<tr class="event-([a-z_]+)">', body)


def test_anonymous_is_sent_to_login(client):
    assert client.get("/activity").location == "/login?next=/activity"


def test_sign_in_and_failures_are_listed_newest_first(app):
    stranger, stranger_auth = browser(app, "198.51.100.7", VIVALDI)
    assert stranger_auth.login("not the password at all").status_code == 401
    client, auth = browser(app, "192.0.2.1")
    assert auth.login().status_code == 303
    page = client.get("/activity")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert rows_of(body) == ["signed_in", "failed_password"]
    assert "Vivaldi 6 on Windows" in body and "<code>198.51.100.7</code>" in body and "Wrong password" in body
    assert "Firefox 128 on Linux" in body and "<code>192.0.2.1</code>" in body


def test_refusals_while_blocked_are_one_counted_row(make_app):
    app = make_app(GATEHOUSE_LOGIN_BACKOFF=(60.0,))
    from app.services import master_password

    with app.app_context():
        master_password.set_first(PASSWORD)
    stranger, stranger_auth = browser(app, "198.51.100.7")
    assert stranger_auth.login("not the password at all").status_code == 401
    token = csrf_token(stranger)
    for _ in range(30):
        answer = stranger.post("/login", data={"csrf_token": token, "password": "another guess entirely"})
        assert answer.status_code == 429
    client, auth = browser(app, "192.0.2.1")
    auth.login()
    body = client.get("/activity").get_data(as_text=True)
    assert rows_of(body).count("blocked") in (1, 2)  # two if the refusals straddle a minute
    with app.app_context():
        assert sum(r.count for r in db.session.query(SignInEvent).filter_by(kind="blocked")) == 30
    assert "Refused while blocked" in body and "×" in body


def test_sign_out_revoke_and_password_change_are_recorded(app):
    other, other_auth = browser(app, "192.0.2.2")
    other_auth.login()
    client, auth = browser(app, "192.0.2.1")
    auth.login()
    token = csrf_token(client, "/sessions")
    other_id = min(map(int, re.findall(r"/sessions/(\d+)/revoke", client.get("/sessions").get_data(as_text=True))))
    assert client.post(f"/sessions/{other_id}/revoke", data={"csrf_token": token}).status_code == 303
    new = "a brand new passphrase for gatehouse"
    answer = client.post("/password", data={"csrf_token": csrf_token(client, "/password"), "current": PASSWORD,
                                            "new": new, "confirm": new})
    assert answer.status_code == 303
    auth.logout()
    assert [k for k, _ip in kinds(app)] == ["signed_in", "signed_in", "session_revoked", "password_changed",
                                           "signed_out"]
    assert set(ip for _k, ip in kinds(app)[2:]) == {"192.0.2.1"}


def test_home_line_names_the_previous_sign_in_and_failures_since(app):
    first, first_auth = browser(app, "192.0.2.1")
    first_auth.login()
    line = re.search(r'<p id="last-sign-in".*?</p>', first.get("/").get_data(as_text=True), re.S).group(0)
    assert "No earlier sign-in on record" in line and "0 failed attempts" in line
    for _ in range(2):
        _stranger, stranger_auth = browser(app, "198.51.100.7")
        stranger_auth.login("not the password at all")
        with app.app_context():  # let the limiter's backoff pass so the second guess is checked too
            app.extensions["gatehouse.limiter"].limits.unblock(None, 0)
    second, second_auth = browser(app, "192.0.2.2")
    second_auth.login()
    line = re.search(r'<p id="last-sign-in".*?</p>', second.get("/").get_data(as_text=True), re.S).group(0)
    assert "Last sign-in" in line and "from <code>192.0.2.1</code>" in line
    assert '<a href="/activity">2 failed attempts since</a>' in line and 'class="attention"' in line
    # From the first browser, the latest other sign-in is the second one, with nothing failed since.
    line = re.search(r'<p id="last-sign-in".*?</p>', first.get("/").get_data(as_text=True), re.S).group(0)
    assert "from <code>192.0.2.2</code>" in line and "0 failed attempts since" in line


def test_old_events_are_purged_by_the_background_job(make_app):
    from app.runtime.jobs import run_tasks

    app = make_app(GATEHOUSE_ACTIVITY_DAYS=30)
    with app.app_context():
        db.session.add_all([
            SignInEvent(at=utcnow() - timedelta(days=31), kind="signed_in", ip="192.0.2.1", count=1),
            SignInEvent(at=utcnow() - timedelta(days=29), kind="signed_in", ip="192.0.2.2", count=1),
        ])
        db.session.commit()
    done = run_tasks(app)
    assert done["purge sign-in activity"] == 1
    assert kinds(app) == [("signed_in", "192.0.2.2")]


def test_api_token_sign_in_and_logout_are_recorded_with_their_label(app):
    client = app.test_client()
    env = {"REMOTE_ADDR": "192.0.2.5", "HTTP_USER_AGENT": "curl/8.5.0"}
    issued = client.post("/api/v1/auth/token", json={"password": PASSWORD, "label": "backup script"}, environ_base=env)
    assert issued.status_code == 200
    client.post("/api/v1/auth/logout", headers={"Authorization": "Bearer " + issued.get_json()["token"]},
                environ_base=env)
    with app.app_context():
        first, second = activity.recent()[::-1]
    assert (first.kind, first.detail, first.browser, first.ip) == ("signed_in", "API token backup script", "curl 8",
                                                                  "192.0.2.5")
    assert second.kind == "signed_out"


def test_setup_records_a_wrong_code_and_the_first_password(fresh_app):
    from tests.support.setup import NEW, post_setup, read_code

    client = fresh_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.6"
    client.get("/setup")
    assert post_setup(client, "not-the-code").status_code == 403
    with fresh_app.app_context():  # the wrong code held this address back: let it try again now
        fresh_app.extensions["gatehouse.limiter"].limits.unblock(None, 0)
    assert post_setup(client, read_code(fresh_app), NEW).status_code == 303
    assert kinds(fresh_app) == [("failed_setup_code", "192.0.2.6"), ("password_changed", "192.0.2.6")]
    with fresh_app.app_context():
        assert [(e.label, e.detail) for e in activity.recent()] == [("Password changed", "first setup"),
                                                                     ("Wrong setup code", None)]
    # Signing in right after: the person's own mistyped setup code is no failed sign-in.
    AuthActions(client).login(NEW)
    home = client.get("/").get_data(as_text=True)
    assert ">0 failed attempts</a>" in home and 'class="attention"' not in home
    assert "Wrong setup code" in client.get("/activity?kind=failed").get_data(as_text=True)


def test_a_wrong_code_while_setting_up_the_app_is_no_failed_sign_in(app, monkeypatch):
    from tests.support.ratelimit import with_clock
    from tests.support.two_factor import SECRET_RE, code_clock, code_for, wrong_code

    clock = code_clock(monkeypatch)
    limiter_clock = with_clock(app)
    client, auth = browser(app, "192.0.2.8", VIVALDI)
    auth.login()
    token = csrf_token(client, "/two-factor")
    client.post("/two-factor/totp/begin", data={"csrf_token": token, "password": PASSWORD})
    secret = SECRET_RE.search(client.get("/two-factor").get_data(as_text=True)).group(1)
    client.post("/two-factor/totp/confirm", data={"csrf_token": token, "code": wrong_code(secret, clock.now)})
    limiter_clock.advance(5)
    client.post("/two-factor/totp/confirm", data={"csrf_token": token, "code": code_for(secret, clock.now)})
    with app.app_context():
        events = activity.recent()[::-1]
    # Every event from /two-factor names the browser, as the sign-in does.
    assert [(e.kind, e.browser) for e in events] == [
        ("signed_in", "Vivaldi 6 on Windows"), ("failed_new_code", "Vivaldi 6 on Windows"), ("second_factor_changed", "Vivaldi 6 on Windows")]
    home = client.get("/").get_data(as_text=True)
    assert ">0 failed attempts</a>" in home and 'class="attention"' not in home
    page = client.get("/activity").get_data(as_text=True)
    assert "Wrong code while setting up the app" in page and page.count("Vivaldi 6 on Windows") == 3


def test_hostile_user_agent_is_shown_as_text(app):
    client, auth = browser(app, "192.0.2.1", '<script>alert(1)</script>/1.0')
    auth.login()
    body = client.get("/activity").get_data(as_text=True)
    assert "<script>alert" not in body


def test_a_flood_of_refusals_costs_a_write_per_batch_not_per_request(make_app):
    from sqlalchemy import event

    from app.services import master_password

    app = make_app(GATEHOUSE_LOGIN_BACKOFF=(600.0,))
    with app.app_context():
        master_password.set_first(PASSWORD)
        engine = db.engine
    stranger, stranger_auth = browser(app, "198.51.100.7")
    stranger_auth.login("not the password at all")
    writes = []

    def count(_conn, _cursor, statement, *_args):
        if "signin_events" in statement and not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    token = csrf_token(stranger)
    try:
        for _ in range(300):
            assert stranger.post("/login", data={"csrf_token": token, "password": "guess"}).status_code == 429
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # The first refusal is written at once, then at most one batch per 5 s (the loop takes a few).
    assert 1 <= len(writes) <= 6, writes
    with app.app_context():
        activity.flush()
        assert sum(r.count for r in db.session.query(SignInEvent).filter_by(kind="blocked")) == 300


def test_second_factor_events(app, monkeypatch):
    """Turning codes on and off, a wrong code at /login/code, and the sign-in that used a code."""
    from tests.support.ratelimit import with_clock
    from tests.support.two_factor import NOW, code_clock, code_for, enable_codes, wrong_code

    secret, _recovery = enable_codes(app)  # through the service with no address: command-line-like
    clock = code_clock(monkeypatch, NOW + 30)
    limiter_clock = with_clock(app)
    client, auth = browser(app, "192.0.2.9")
    auth.login()
    answer = client.post("/login/code", data={"csrf_token": csrf_token(client, "/login"),
                                              "code": wrong_code(secret, clock.now)})
    assert answer.status_code == 401
    limiter_clock.advance(1)  # past the backoff of that wrong code
    answer = client.post("/login/code", data={"csrf_token": csrf_token(client, "/login"),
                                              "code": code_for(secret, clock.now)})
    assert answer.status_code == 303
    with app.app_context():
        events = activity.recent()[::-1]
        from app.services import two_factor

        two_factor.disable_and_sign_out()
        last = activity.recent()[0]
    assert [(e.kind, e.ip, e.detail) for e in events] == [
        ("second_factor_changed", None, "authenticator codes turned on"),
        ("failed_code", "192.0.2.9", None),
        ("signed_in", "192.0.2.9", "with a code"),
    ]
    assert (last.kind, last.address, last.detail) == ("second_factor_changed", "command line",
                                                      "turned off, 1 session signed out")


def test_pages_of_25_newest_first_and_a_filter_by_kind(app):
    client, auth = browser(app, "192.0.2.1")
    auth.login()
    with app.app_context():
        start = utcnow() - timedelta(hours=1)
        db.session.add_all(SignInEvent(at=start + timedelta(seconds=i), kind="failed_password" if i % 3 else "signed_in",
                                       ip=f"198.51.100.{i}", count=1) for i in range(40))
        db.session.commit()
    first = client.get("/activity").get_data(as_text=True)
    assert len(rows_of(first)) == 25 and "198.51.100.39" in first and "198.51.100.15" not in first
    assert 'rel="next" href="/activity?page=2"' in first and 'rel="prev"' not in first
    second = client.get("/activity?page=2").get_data(as_text=True)
    assert len(rows_of(second)) == 16 and "198.51.100.14" in second  # 41 events in all, with this sign-in
    assert 'rel="prev" href="/activity"' in second and 'rel="next"' not in second

    failed = client.get("/activity?kind=failed").get_data(as_text=True)
    assert set(rows_of(failed)) == {"failed_password"} and len(rows_of(failed)) == 25
    assert 'href="/activity?kind=failed&amp;page=2"' in failed
    assert 'aria-current="page">Failed<' in failed
    assert len(rows_of(client.get("/activity?kind=failed&page=2").get_data(as_text=True))) == 1
    signed_in = client.get("/activity?kind=signed-in").get_data(as_text=True)
    assert set(rows_of(signed_in)) == {"signed_in"} and len(rows_of(signed_in)) == 15
    assert "No older events." in client.get("/activity?page=3").get_data(as_text=True)
    for bad in ("?kind=everything", "?page=0", "?page=-1", "?page=two", "?page=10001"):
        assert client.get("/activity" + bad).status_code == 404, bad
