"""Two-step sign-in in the browser: password, then /login/code (SPEC §11)."""

import re

import pytest

from tests.support.app import PASSWORD, csrf_token
from tests.support.ratelimit import Browser, with_clock
from tests.support.two_factor import NOW, live_sessions, code_clock, code_for, enable_codes, wrong_code


@pytest.fixture
def codes_on(app, monkeypatch):
    secret, recovery = enable_codes(app)
    clock = code_clock(monkeypatch, NOW + 30)  # the enrolling code (at NOW) is spent
    return secret, recovery, clock


def session_cookie(response):
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("gatehouse_session=")]


def password_step(client, next_path="/", password=PASSWORD):
    return client.post("/login", data={"csrf_token": csrf_token(client), "password": password, "next": next_path})


def code_step(client, code):
    return client.post("/login/code", data={"csrf_token": csrf_token(client, "/login"), "code": code})


def test_right_password_makes_no_session_and_asks_for_the_code(app, client, codes_on):
    response = password_step(client, "/sessions?x=1")
    assert response.status_code == 303 and response.location == "/login/code"
    assert not session_cookie(response) and live_sessions(app) == 0
    page = client.get("/login/code")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in body and 'inputmode="numeric"' in body
    assert client.get("/").status_code == 303  # still signed out


def test_right_code_signs_in_and_goes_on_to_next(app, client, codes_on):
    secret, _recovery, clock = codes_on
    password_step(client, "/sessions?x=1")
    response = code_step(client, code_for(secret, clock.now))
    assert response.status_code == 303 and response.location == "/sessions?x=1"
    assert session_cookie(response) and live_sessions(app) == 1
    assert any(c.startswith("gatehouse_device=") for c in response.headers.getlist("Set-Cookie"))
    assert client.get("/").status_code == 200
    assert client.get("/login/code").location == "/"  # signed in: nothing owed


def test_wrong_code_is_401_and_makes_no_session(app, client, codes_on):
    secret, _recovery, clock = codes_on
    password_step(client)
    response = code_step(client, wrong_code(secret, clock.now))
    assert response.status_code == 401 and b"not right" in response.data
    assert not session_cookie(response) and live_sessions(app) == 0
    page = response.get_data(as_text=True)  # the error at the field, which points to it; nothing at the top
    assert re.search(r'<label for="code">Code</label>\s*<p class="field-error" id="code-error" role="alert">'
                     r'That code is not right, or was used already.</p>\s*<input[^>]*aria-describedby="code-error"', page)
    assert 'class="error" role="alert">' not in page and '<main class="card narrow">' in page


def test_code_step_without_the_password_step_goes_back_to_login(client, codes_on):
    secret, _recovery, clock = codes_on
    assert client.get("/login/code").location == "/login"
    response = code_step(client, code_for(secret, clock.now))
    assert response.status_code == 303 and response.location == "/login" and not session_cookie(response)


def test_pending_step_lasts_five_minutes(app, client, codes_on, monkeypatch):
    from app.auth import pending

    secret, _recovery, clock = codes_on
    moment = [NOW]
    monkeypatch.setattr(pending, "clock", lambda: moment[0])
    password_step(client)
    moment[0] += 301
    clock.advance(301)
    response = code_step(client, code_for(secret, clock.now))
    assert response.status_code == 303 and response.location == "/login" and not session_cookie(response)


def test_pending_step_is_bound_to_the_browser(app, client, codes_on):
    secret, _recovery, clock = codes_on
    password_step(client)
    stranger = app.test_client()
    response = code_step(stranger, code_for(secret, clock.now))
    assert response.location == "/login" and not session_cookie(response)


def test_a_code_signs_in_once(app, client, codes_on):
    secret, _recovery, clock = codes_on
    code = code_for(secret, clock.now)
    password_step(client)
    assert code_step(client, code).status_code == 303
    other = app.test_client()
    with_clock(app)
    password_step(other)
    assert code_step(other, code).status_code == 401  # replayed inside its 90 s window


def test_clock_skew_of_one_step(app, client, codes_on):
    secret, _recovery, clock = codes_on
    password_step(client)
    assert code_step(client, code_for(secret, clock.now + 30)).status_code == 303


def test_recovery_code_signs_in_once(app, codes_on):
    _secret, recovery, _clock = codes_on
    limiter_clock = with_clock(app)
    first, second = app.test_client(), app.test_client()
    password_step(first)
    assert code_step(first, recovery[0].upper()).status_code == 303
    password_step(second)
    assert code_step(second, recovery[0]).status_code == 401
    limiter_clock.advance(5)
    assert code_step(second, recovery[1]).status_code == 303


def test_wrong_code_then_right_code_inside_the_backoff_is_429(app, client, codes_on):
    secret, _recovery, clock = codes_on
    limiter_clock = with_clock(app)
    password_step(client)
    assert code_step(client, wrong_code(secret, clock.now)).status_code == 401
    response = code_step(client, code_for(secret, clock.now))
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    limiter_clock.advance(1)
    assert code_step(client, code_for(secret, clock.now)).status_code == 303


def test_right_password_does_not_wipe_the_count_of_wrong_codes(app, codes_on):
    """Knowing the password must not buy fresh code guesses: its success resets nothing."""
    secret, _recovery, clock = codes_on
    limiter_clock = with_clock(app)
    browser = Browser(app)

    def wrong_code_step():
        return browser.client.post("/login/code", data={"csrf_token": browser.token, "code": wrong_code(secret, clock.now)},
                                   environ_base={"REMOTE_ADDR": "198.51.100.7"})

    for attempt in range(4):
        if attempt:
            limiter_clock.advance(2.1)  # past each block so far (0.5, 1, 2 s), well inside the 15-minute fade
        assert browser.login(PASSWORD).status_code == 303
        assert wrong_code_step().status_code == 401
    # Four failures in a row: a 4 s block (a reset by the right password would leave 0.5 s).
    limiter_clock.advance(1.5)
    assert browser.login(PASSWORD).status_code == 429


def test_device_cookie_never_skips_the_code(app, client, codes_on):
    secret, _recovery, clock = codes_on
    password_step(client)
    code_step(client, code_for(secret, clock.now))
    assert client.get_cookie("gatehouse_device") is not None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    response = password_step(client)
    assert response.location == "/login/code" and not session_cookie(response)


def test_with_codes_off_the_password_alone_signs_in(client):
    response = password_step(client)
    assert response.status_code == 303 and response.location == "/" and session_cookie(response)


def test_codes_turned_off_between_the_steps_sends_back_to_login(app, client, codes_on):
    from app.services import two_factor

    secret, _recovery, clock = codes_on
    password_step(client)
    with app.app_context():
        two_factor.turn_off()
    response = code_step(client, code_for(secret, clock.now))
    assert response.status_code == 303 and response.location == "/login" and not session_cookie(response)
    assert password_step(client).location == "/"  # the password alone signs in again


def test_a_wrong_code_writes_one_failure_line_with_the_address(client, codes_on, caplog):
    """One line per failed check for fail2ban (no second, address-less line from the code check)."""
    secret, _recovery, clock = codes_on
    password_step(client)
    caplog.set_level("WARNING", logger="gatehouse.auth")
    assert code_step(client, wrong_code(secret, clock.now)).status_code == 401
    failed = [r for r in caplog.records if getattr(r, "event", None) == "login_failed"]
    assert [(r.getMessage(), r.step) for r in failed] == [("login failed from 127.0.0.1", "code")]


def test_a_replaced_secret_key_is_said_at_the_code_step_and_counts_nothing(app, make_app, codes_on, caplog):
    """Issue 25: the authenticator secret sealed under the old key cannot be opened. The code
    step says so (not "not right") and neither the limiter nor the activity count the attempt."""
    from app.services import activity
    from tests.support.two_factor import with_replaced_key

    secret, recovery, clock = codes_on
    replaced = with_replaced_key(make_app)
    browser = replaced.test_client()
    assert password_step(browser).location == "/login/code"
    page = browser.get("/login/code").get_data(as_text=True)
    assert "cannot be checked" in page  # said before the person types a code
    caplog.set_level("WARNING", logger="gatehouse.auth")
    for _attempt in range(12):  # more than the 10 of the long tier: none counts
        response = code_step(browser, code_for(secret, clock.now))
        body = response.get_data(as_text=True)
        assert response.status_code == 503 and "cannot be checked" in body and "not right" not in body
        assert "GATEHOUSE_SECRET_KEY_PREVIOUS" in body and "gatehouse two-factor disable" in body
        assert not session_cookie(response)
    assert not [r for r in caplog.records if getattr(r, "event", None) == "login_failed"]
    with replaced.app_context():
        assert [e.kind for e in activity.recent()] == ["second_factor_changed"]  # turned on; no failure
    response = code_step(browser, recovery[0])  # recovery codes are hashed, not sealed: they still work
    assert response.status_code == 303 and session_cookie(response)


def test_a_recovery_code_sign_in_says_so_with_how_many_are_left(app, client, codes_on):
    from app.services import activity

    _secret, recovery, _clock = codes_on
    password_step(client, "/sessions")
    response = code_step(client, recovery[0])
    assert response.status_code == 303 and response.location == "/login/recovery-used" and session_cookie(response)
    page = client.get("/login/recovery-used").get_data(as_text=True)
    assert "Signed in with a recovery code" in page and "9 recovery codes left." in page
    assert 'id="recovery-warning"' not in page
    assert 'id="continue" href="/sessions"' in page
    with app.app_context():
        event = activity.recent()[0]
    assert (event.kind, event.detail) == ("signed_in", "with a recovery code (9 left)")


def test_two_or_fewer_recovery_codes_left_is_a_warning(app, client, codes_on):
    from app.services import two_factor

    _secret, recovery, _clock = codes_on
    with app.app_context():
        for code in recovery[:7]:
            assert two_factor.check_code(code)
    password_step(client)
    assert code_step(client, recovery[7]).location == "/login/recovery-used"
    page = client.get("/login/recovery-used").get_data(as_text=True)
    assert "2 recovery codes left." in page and 'id="recovery-warning"' in page and "Only 2 left" in page


def test_the_recovery_notice_needs_a_session(client):
    response = client.get("/login/recovery-used")
    assert response.status_code == 303 and response.location.startswith("/login?next=")


def test_an_authenticator_code_goes_straight_on(app, client, codes_on):
    secret, _recovery, clock = codes_on
    password_step(client, "/sessions")
    assert code_step(client, code_for(secret, clock.now)).location == "/sessions"


def test_a_copy_of_the_pending_cookie_is_worth_nothing_once_the_step_is_done(app, client, codes_on):
    """Issue 22, on 0702507: the cookie saved before the code was entered still worked for its 5 minutes;
    with a second recovery code it made a second full session without the password."""
    _secret, recovery, _clock = codes_on
    password_step(client)
    saved = client.get_cookie("gatehouse_csrf").value  # the signed session: the pending step inside
    assert code_step(client, recovery[0]).status_code == 303 and live_sessions(app) == 1
    replayer = app.test_client()
    replayer.set_cookie("gatehouse_csrf", saved)
    response = code_step(replayer, recovery[1])
    assert response.status_code == 303 and response.location == "/login" and not session_cookie(response)
    assert live_sessions(app) == 1
    second = app.test_client()
    password_step(second)  # the recovery code itself was not spent by the refused replay
    assert code_step(second, recovery[1]).status_code == 303


def test_a_step_started_with_the_old_password_dies_with_it(app, client, codes_on):
    """Issue 22, on 0702507: a code step started with the old password still completed after a change."""
    from app.services import master_password

    secret, _recovery, clock = codes_on
    password_step(client)
    with app.app_context():
        master_password.replace("the new passphrase, changed meanwhile")
    assert client.get("/login/code").location == "/login"
    response = code_step(client, code_for(secret, clock.now))
    assert response.status_code == 303 and response.location == "/login" and not session_cookie(response)
    assert live_sessions(app) == 0
