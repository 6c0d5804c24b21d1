"""What the server writes: JSON lines (or text), the events operators need, and no secret at all."""

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from tests.support.app import CSRF_RE, PASSWORD
from tests.e2e.server import Server

WRONG = "a wrong guess that must never be logged"
FAKE_BEARER = "forged-bearer-value-that-must-not-be-logged"
STATIC_SIZE = (Path(__file__).resolve().parents[2] / "static/css/gatehouse.css").stat().st_size


def form(browser, url, path):
    return CSRF_RE.search(browser.get(url + path).text).group(1)


def drive(srv, instance):
    """First-run setup, a failed and a good sign-in, a page, a forged bearer, sign-out; returns the secrets."""
    browser = requests.Session()
    code = (instance / "setup-code").read_text().strip()
    token = form(browser, srv.url, "/setup")
    fields = {"csrf_token": token, "code": code, "password": PASSWORD, "confirm": PASSWORD}
    done = browser.post(srv.url + "/setup", data=fields, allow_redirects=False)
    assert done.status_code == 303
    token = form(browser, srv.url, "/login?next=/%3Fpassword%3Dleak")
    assert browser.post(srv.url + "/login", data={"csrf_token": token, "password": WRONG}).status_code == 401
    time.sleep(0.6)  # the failure holds this address back for 0.5 s (GATEHOUSE_LOGIN_BACKOFF)
    signed_in = browser.post(srv.url + "/login", data={"csrf_token": token, "password": PASSWORD},
                             allow_redirects=False)
    assert signed_in.status_code == 303
    cookie = browser.cookies.get("gatehouse_session")
    assert browser.get(srv.url + "/").status_code == 200
    assert len(browser.get(srv.url + "/static/css/gatehouse.css").content) == STATIC_SIZE
    assert requests.get(srv.url + "/", headers={"Authorization": f"Bearer {FAKE_BEARER}"},
                        allow_redirects=False).status_code == 303
    token = form(browser, srv.url, "/logout")
    assert browser.post(srv.url + "/logout", data={"csrf_token": token}, allow_redirects=False).status_code == 303
    return [PASSWORD, WRONG, code, cookie, cookie.split(".")[0], FAKE_BEARER, token, "leak"]


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_logs_carry_events_and_never_a_secret(tmp_path, fmt):
    instance = tmp_path / "instance"
    srv = Server(instance, GATEHOUSE_LOG_FORMAT=fmt)
    srv.prepare(password=None)
    srv.start()
    try:
        secrets = drive(srv, instance)
    finally:
        assert srv.stop() == 0
    output = srv.output()
    for secret in secrets:
        assert secret not in output
    if fmt == "text":
        assert "login failed from 127.0.0.1" in output and "event='login_failed'" in output
        assert not any(line.startswith("{") for line in output.splitlines())
        assert f'"GET /static/css/gatehouse.css" 200 {STATIC_SIZE} ' in output  # sent bytes, not 0
        return
    events = [json.loads(line) for line in output.splitlines() if line.strip()]  # every line is JSON
    assert all(entry.get("event") for entry in events)  # and names its event
    assert any(entry["event"] == "server" and entry["logger"] == "gunicorn.error" for entry in events)
    by_event = {}
    for entry in events:
        by_event.setdefault(entry.get("event"), []).append(entry)
    for name in ("setup_required", "setup_completed", "serving", "stopped"):
        assert name in by_event, name
    failed, = by_event["login_failed"]
    succeeded, = by_event["login_succeeded"]
    logout, = by_event["logout"]
    assert failed["client_ip"] == succeeded["client_ip"] == logout["client_ip"] == "127.0.0.1"
    assert isinstance(succeeded["session_id"], int) and logout["session_id"] == succeeded["session_id"]
    requests_seen = by_event["request"]
    assert {"method": "POST", "path": "/login", "status": 401} in [
        {k: r[k] for k in ("method", "path", "status")} for r in requests_seen
    ]
    assert all(r["peer_ip"] == "127.0.0.1" and "?" not in r["path"] for r in requests_seen)
    assert all(isinstance(r["seconds"], float) and r["seconds"] >= 0 for r in requests_seen)
    static, = [r for r in requests_seen if r["path"] == "/static/css/gatehouse.css"]
    assert static["status"] == 200 and static["bytes"] == STATIC_SIZE  # sent bytes, not 0


def test_successful_forward_auth_checks_are_not_access_logged(server):
    """The logging policy (app/gunicorn_logging.py): a 2xx check is the proxy's to log; a refusal is logged."""
    browser = requests.Session()
    token = form(browser, server.url, "/login")
    assert browser.post(server.url + "/login", data={"csrf_token": token, "password": PASSWORD},
                        allow_redirects=False).status_code == 303
    mark = len(server.output())
    for _ in range(3):
        assert browser.get(server.url + "/api/v1/auth/verify").status_code == 204
    assert requests.get(server.url + "/api/v1/auth/verify").status_code == 401
    assert browser.get(server.url + "/").status_code == 200
    deadline = time.monotonic() + 10
    while '"path": "/", "status": 200' not in server.output()[mark:] and time.monotonic() < deadline:
        time.sleep(0.1)  # the access line is written after the response
    lines = [json.loads(line) for line in server.output()[mark:].splitlines() if line.startswith("{")]
    seen = [(e["path"], e["status"]) for e in lines if e.get("event") == "request"]
    assert ("/api/v1/auth/verify", 401) in seen and ("/", 200) in seen
    assert ("/api/v1/auth/verify", 204) not in seen
    home = next(e for e in lines if e.get("event") == "request" and e["path"] == "/")
    assert list(home) == ["ts", "level", "logger", "message", "event", "peer_ip", "method", "path", "status",
                          "bytes", "seconds", "pid"]
    assert home["message"] == "GET / 200" and home["level"] == "info" and home["logger"] == "gunicorn.access"
    assert home["peer_ip"] == "127.0.0.1" and home["bytes"] > 0 and float(home["seconds"]) >= 0
    assert home["ts"] == datetime.fromisoformat(home["ts"]).isoformat(timespec="milliseconds")


def test_access_clock_matches_the_app_timestamps():
    """The access line's cached-second clock writes what app.runtime.logs.JSONFormatter writes."""
    from app.runtime.gunicorn_logging import _Clock

    clock = _Clock()
    for created in (0.0, 1_700_000_000.0, 1_700_000_000.999, 1_700_000_001.5004, 1_800_000_123.0419):
        expected = datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds")
        assert clock.iso(created) == expected
