"""The portal served by real gunicorn, driven over HTTP like a browser would."""

import stat
import time

import requests

from tests.support.app import CSRF_RE, PASSWORD
from tests.support.served import login
from tests.e2e.server import Server


def test_sign_in_navigate_sign_out_and_replay_is_rejected(server):
    browser = requests.Session()
    first = browser.get(server.url + "/", allow_redirects=False)
    assert first.status_code == 303 and first.headers["Location"] == "/login?next=/"

    assert login(browser, server.url, "wrong password entirely").status_code == 401
    time.sleep(0.6)  # the first failure blocks this address for 0.5 s (GATEHOUSE_LOGIN_BACKOFF)
    response = login(browser, server.url)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    old_cookie = browser.cookies.get("gatehouse_session")
    assert old_cookie

    home = browser.get(server.url + "/")
    assert home.status_code == 200 and "Signed in" in home.text and home.headers["Cache-Control"] == "no-store"

    token = CSRF_RE.search(browser.get(server.url + "/logout").text).group(1)
    out = browser.post(server.url + "/logout", data={"csrf_token": token}, allow_redirects=False)
    assert out.status_code == 303 and out.headers["Location"] == "/login"
    assert browser.cookies.get("gatehouse_session") is None

    replay = requests.get(server.url + "/", cookies={"gatehouse_session": old_cookie}, allow_redirects=False)
    assert replay.status_code == 303 and replay.headers["Location"].startswith("/login")


def test_first_run_setup_through_the_server(tmp_path):
    srv = Server(tmp_path / "instance")
    srv.prepare(password=None)
    srv.start()
    try:
        code_file = tmp_path / "instance" / "setup-code"
        assert stat.S_IMODE(code_file.stat().st_mode) == 0o600
        assert f"setup required: open /setup and enter the code from {code_file}" in srv.output()
        browser = requests.Session()
        assert browser.get(srv.url + "/", allow_redirects=False).headers["Location"] == "/setup"
        page = browser.get(srv.url + "/setup").text
        token = CSRF_RE.search(page).group(1)
        code = code_file.read_text().strip()
        done = browser.post(srv.url + "/setup", data={"csrf_token": token, "code": code, "password": PASSWORD, "confirm": PASSWORD}, allow_redirects=False)
        assert done.status_code == 303 and done.headers["Location"] == "/login"
        assert login(browser, srv.url).status_code == 303
        assert browser.get(srv.url + "/setup").status_code == 404
        assert code not in srv.output()
    finally:
        assert srv.stop() == 0


def test_health_and_readiness(server):
    assert requests.get(server.url + "/healthz").text == "ok\n"
    assert requests.get(server.url + "/readyz").status_code == 200
