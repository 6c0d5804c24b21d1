"""Pages kept rendered (app/edge/page_cache.py): the home page and the sign-in form are rendered
once per key, yet every browser gets its own CSRF token, flashed messages still show, and what
the page says changes as soon as its key does."""

from __future__ import annotations

import pytest
from flask import template_rendered

from app.edge import page_cache
from app.services import master_password
from tests.support.app import CSRF_RE, PASSWORD, AuthActions


@pytest.fixture
def renders(app):
    """Names of the templates rendered during the test."""
    seen = []

    def record(_sender, template, context, **_extra):
        seen.append(template.name)

    template_rendered.connect(record, app)
    yield seen
    template_rendered.disconnect(record, app)


def pages(app):
    return app.extensions[page_cache._PAGES]


def test_the_sign_in_form_is_rendered_once_and_each_browser_gets_its_own_working_token(app, renders):
    first, second = app.test_client(), app.test_client()
    pages_seen = [first.get("/login").get_data(as_text=True), second.get("/login").get_data(as_text=True)]
    assert renders.count("auth/login.html") == 1
    tokens = [CSRF_RE.search(page).group(1) for page in pages_seen]
    assert tokens[0] != tokens[1]
    assert pages_seen[0].replace(tokens[0], "T") == pages_seen[1].replace(tokens[1], "T")
    assert pages(app).placeholder not in pages_seen[0]
    assert pages_seen[0].count(tokens[0]) == 2  # the password form and the passkey form
    # Each token belongs to its own browser: crossed over, both are refused.
    assert first.post("/login", data={"csrf_token": tokens[1], "password": PASSWORD}).status_code == 400
    assert second.post("/login", data={"csrf_token": tokens[1], "password": PASSWORD}).status_code == 303


def test_a_browser_keeps_its_token_across_loads(app):
    browser = app.test_client()
    token = CSRF_RE.search(browser.get("/login").get_data(as_text=True)).group(1)
    again = CSRF_RE.search(browser.get("/login").get_data(as_text=True)).group(1)
    assert browser.post("/login", data={"csrf_token": again, "password": PASSWORD}).status_code == 303
    assert token and again


def test_where_the_form_returns_to_is_part_of_the_key(app, renders):
    client = app.test_client()
    plain = client.get("/login").get_data(as_text=True)
    to_sessions = client.get("/login?next=/sessions").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/sessions"' in to_sessions and "/sessions" not in plain
    assert client.get("/login?next=/sessions").get_data(as_text=True).count("/sessions") == to_sessions.count("/sessions")
    assert renders.count("auth/login.html") == 2


def test_links_follow_the_mount_point(app):
    """Fixed links (app/web/page_urls.py) and kept pages are per SCRIPT_NAME."""
    client = app.test_client()
    mounted = client.get("/login", base_url="http://localhost/gate/").get_data(as_text=True)
    plain = client.get("/login").get_data(as_text=True)
    assert 'href="/gate/static/css/gatehouse.css"' in mounted and 'action="/gate/login"' in mounted
    assert 'href="/static/css/gatehouse.css"' in plain and "/gate/" not in plain


def test_flashed_messages_are_shown_once(app, renders):
    client = app.test_client()
    AuthActions(client).login()
    AuthActions(client).logout()
    assert "You have been signed out." in client.get("/login").get_data(as_text=True)
    assert "You have been signed out." not in client.get("/login").get_data(as_text=True)


def test_the_home_page_is_rendered_once_until_what_it_shows_changes(app, renders):
    client = app.test_client()
    AuthActions(client).login()
    first = client.get("/").get_data(as_text=True)
    assert client.get("/").get_data(as_text=True) == first
    assert renders.count("account/home.html") == 1
    app.test_client().post("/api/v1/auth/login", json={"password": "a wrong guess"},
                           environ_base={"REMOTE_ADDR": "198.51.100.9"})
    changed = client.get("/").get_data(as_text=True)
    assert "1 failed attempt" in changed and "1 failed attempt" not in first
    assert renders.count("account/home.html") == 2


def test_each_session_has_its_own_home_page(app):
    one, two = app.test_client(), app.test_client()
    AuthActions(one).login()
    first = one.get("/").get_data(as_text=True)
    AuthActions(two).login()
    second = two.get("/").get_data(as_text=True)
    assert "No earlier sign-in on record" in first and "Last sign-in" in second  # two sees one's sign-in
    assert "Last sign-in" in one.get("/").get_data(as_text=True)  # and one sees two's, which came later
    assert len([k for k in pages(app).entries.keys() if k[0] == "account/home.html"]) == 3


def test_visitors_cannot_grow_it_without_bound(make_app, monkeypatch):
    monkeypatch.setattr(page_cache, "MAX_PAGES", 5)
    app = make_app()
    with app.app_context():
        master_password.set_first(PASSWORD)
    client = app.test_client()
    for n in range(20):
        assert f"/page{n}" in client.get(f"/login?next=/page{n}").get_data(as_text=True)
    assert len(pages(app).entries) == 5


def test_a_page_whose_token_did_not_come_from_the_placeholder_is_not_kept(app):
    """A template printing a form's own token field would keep one browser's token: never cached."""
    from app.auth.forms import LogoutForm

    with app.test_request_context("/logout"):
        form = LogoutForm()
        html = page_cache.cached_page("auth/logout.html", "key", lambda: {"form": form, "signed_in": True})
        assert form.csrf_token.current_token in html
    assert len(pages(app).entries) == 0
