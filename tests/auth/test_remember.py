""""Keep me signed in" on the sign-in pages and the API (SPEC §17): the box, off by default and
hidden when GATEHOUSE_REMEMBER_DAYS=0; the cookie's Max-Age; through the code step; marked on
the sessions page and the home page; never for tokens."""

import re

import pytest

from app.services import login_sessions
from tests.support.app import PASSWORD, csrf_token
from tests.support.two_factor import NOW, code_clock, code_for, enable_codes

API = "/api/v1/auth"
DAYS_30, HOURS_12 = 30 * 86400, 12 * 3600


def max_age(response) -> int:
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("gatehouse_session="))
    return int(re.search(r"Max-Age=(\d+)", cookie).group(1))


def sign_in(client, remember: bool, next_path: str = "/"):
    form = {"csrf_token": csrf_token(client), "password": PASSWORD, "next": next_path}
    if remember:
        form["remember"] = "y"
    return client.post("/login", data=form)


def only_session(app):
    with app.app_context():
        [session] = login_sessions.active()
    return session


def test_the_box_is_there_and_off_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    box = re.search(r'<input[^>]*id="remember"[^>]*>', page).group(0)
    assert 'type="checkbox"' in box and "checked" not in box
    assert "Keep me signed in on this browser" in page and "For 30 days" in page


def test_ticked_the_session_lasts_thirty_days_and_is_marked(app, client):
    response = sign_in(client, remember=True)
    assert response.status_code == 303
    assert DAYS_30 - 60 <= max_age(response) <= DAYS_30
    assert only_session(app).remember is True
    sessions = client.get("/sessions").get_data(as_text=True)
    assert "kept signed in" in sessions
    home = client.get("/").get_data(as_text=True)
    assert "7 days unused" in home and "30 minutes" not in home


def test_not_ticked_the_session_is_an_ordinary_one(app, client):
    response = sign_in(client, remember=False)
    assert HOURS_12 - 60 <= max_age(response) <= HOURS_12
    assert only_session(app).remember is False
    assert "kept signed in" not in client.get("/sessions").get_data(as_text=True)
    assert "30 minutes without activity" in client.get("/").get_data(as_text=True)


def test_zero_days_hides_the_box_and_ignores_a_posted_one(make_app):
    from app.services import master_password

    app = make_app(GATEHOUSE_REMEMBER_DAYS=0)
    with app.app_context():
        master_password.set_first(PASSWORD)
    client = app.test_client()
    assert 'id="remember"' not in client.get("/login").get_data(as_text=True)
    response = sign_in(client, remember=True)
    assert response.status_code == 303 and max_age(response) <= HOURS_12
    assert only_session(app).remember is False


def test_the_choice_rides_through_the_code_step(app, client, monkeypatch):
    secret, _recovery = enable_codes(app)
    clock = code_clock(monkeypatch, NOW + 30)
    assert sign_in(client, remember=True, next_path="/sessions").location == "/login/code"
    response = client.post("/login/code", data={"csrf_token": csrf_token(client, "/login"),
                                                "code": code_for(secret, clock.now)})
    assert response.status_code == 303 and response.location == "/sessions"
    assert DAYS_30 - 60 <= max_age(response) <= DAYS_30
    assert only_session(app).remember is True


def test_a_password_change_keeps_the_choice_and_ends_every_other_kept_session(app, client):
    other = app.test_client()
    sign_in(other, remember=True)
    sign_in(client, remember=True)
    new = "a brand new master password"
    response = client.post("/password", data={"csrf_token": csrf_token(client, "/password"), "current": PASSWORD,
                                              "new": new, "confirm": new})
    assert response.status_code == 303 and DAYS_30 - 60 <= max_age(response) <= DAYS_30
    assert only_session(app).remember is True  # the fresh one; the other browser's ended
    assert other.get("/").status_code == 303


def test_api_login_takes_remember_true(app, client):
    response = client.post(f"{API}/login", json={"password": PASSWORD, "remember": True})
    assert response.status_code == 200 and DAYS_30 - 60 <= max_age(response) <= DAYS_30
    assert only_session(app).remember is True


@pytest.mark.parametrize("body, message", [
    ({"password": PASSWORD, "remember": "yes"}, "must be true or false"),
    ({"password": PASSWORD, "remember": 1}, "must be true or false"),
    ({"password": PASSWORD, "remember": None}, "must be true or false"),
])
def test_api_login_refuses_a_remember_that_is_not_a_boolean(app, client, body, message):
    response = client.post(f"{API}/login", json=body)
    assert response.status_code == 422 and message in response.get_json()["message"]
    assert only_sessions_count(app) == 0


def test_tokens_are_never_kept(app, client):
    response = client.post(f"{API}/token", json={"password": PASSWORD, "remember": True})
    assert response.status_code == 422 and "remember" in response.get_json()["message"]
    assert only_sessions_count(app) == 0


def only_sessions_count(app) -> int:
    with app.app_context():
        return login_sessions.count_active()
