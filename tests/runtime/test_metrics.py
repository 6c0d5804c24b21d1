"""Where the counters count: the limiter (sign-in outcomes, checks in flight) and forward auth.

In the test process the values live in the process (no PROMETHEUS_MULTIPROC_DIR); the
listener that adds up real workers is tested in tests/e2e/test_metrics.py.
"""

import pytest
from prometheus_client import REGISTRY

from app.extensions import limiter
from tests.support.app import PASSWORD, csrf_token


def value(name: str, result: str | None = None) -> float:
    return REGISTRY.get_sample_value(name, {"result": result} if result else {}) or 0.0


def logins() -> dict[str, float]:
    return {r: value("gatehouse_logins_total", r) for r in ("success", "failure", "blocked", "busy")}


def sign_in(client, password: str, address: str):
    environ = {"REMOTE_ADDR": address}
    token = csrf_token(client)
    return client.post("/login", data={"csrf_token": token, "password": password}, environ_base=environ)


@pytest.fixture
def slow_app(make_app):
    """A minute of backoff after a failure, so a second try is refused for certain."""
    from app.services import master_password

    app = make_app(GATEHOUSE_LOGIN_BACKOFF=(60.0,))
    with app.app_context():
        master_password.set_first(PASSWORD)
    return app


def test_each_sign_in_outcome_is_counted_once(slow_app):
    client, before = slow_app.test_client(), logins()
    assert sign_in(client, "a wrong guess", "192.0.2.1").status_code == 401
    assert sign_in(client, PASSWORD, "192.0.2.1").status_code == 429
    assert sign_in(client, PASSWORD, "192.0.2.2").status_code == 303
    after = logins()
    assert {k: after[k] - before[k] for k in after} == {"success": 1, "failure": 1, "blocked": 1, "busy": 0}


def test_no_free_check_slot_counts_as_busy_and_checks_nothing(make_app):
    from app.services import master_password

    app = make_app(GATEHOUSE_THREADS=2)  # one check slot
    with app.app_context():
        master_password.set_first(PASSWORD)
    slots = app.extensions["gatehouse.limiter"].slots
    before = logins()
    assert slots.acquire(False)
    try:
        assert sign_in(app.test_client(), PASSWORD, "192.0.2.3").status_code == 503
    finally:
        slots.release(False)
    after = logins()
    assert {k: after[k] - before[k] for k in after} == {"success": 0, "failure": 0, "blocked": 0, "busy": 1}


def test_a_check_is_in_flight_only_while_it_runs(make_app):
    from app.services import master_password

    app = make_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        master_password.set_first(PASSWORD)
    seen = []
    with app.test_request_context("/login", method="POST", environ_base={"REMOTE_ADDR": "192.0.2.4"}):
        app.preprocess_request()  # the limiter judges the guarded POST and reserves its check
        assert limiter.run_check(lambda: seen.append(value("gatehouse_password_checks_in_flight")) or True)
    assert seen == [1.0] and value("gatehouse_password_checks_in_flight") == 0.0


def test_forward_auth_answers_are_counted(client, auth):
    allowed, denied = value("gatehouse_verify_total", "allowed"), value("gatehouse_verify_total", "denied")
    assert client.get("/api/v1/auth/verify").status_code == 401
    auth.login()
    assert [client.get("/api/v1/auth/verify").status_code for _ in range(3)] == [204] * 3
    assert value("gatehouse_verify_total", "allowed") - allowed == 3
    assert value("gatehouse_verify_total", "denied") - denied == 1


def test_the_portal_itself_has_no_metrics_page(client, auth):
    auth.login()
    assert client.get("/metrics").status_code == 404


def test_gauges_are_sampled_only_while_metrics_are_on(make_app):
    from app.runtime import gauges
    from app.services import master_password

    app = make_app(GATEHOUSE_METRICS_BIND="127.0.0.1:9480", GATEHOUSE_LOGIN_BACKOFF=(60.0,))
    with app.app_context():
        master_password.set_first(PASSWORD)
    assert sign_in(app.test_client(), PASSWORD, "192.0.2.5").status_code == 303
    assert sign_in(app.test_client(), "a wrong guess", "192.0.2.6").status_code == 401
    gauges.sample(app)
    assert value("gatehouse_sessions_active") == 1 and value("gatehouse_limiter_clients") == 1

    off = make_app()
    with off.app_context():
        from app.services import login_sessions

        login_sessions.create("browser", "192.0.2.7", None)
    gauges.sample(off)  # metrics off: nothing read, nothing changed
    assert value("gatehouse_sessions_active") == 1



def test_a_sign_in_with_a_second_factor_counts_once_at_its_code(app, client, monkeypatch):
    from tests.support.two_factor import NOW, code_clock, code_for, enable_codes

    secret, _recovery = enable_codes(app)
    code_clock(monkeypatch, NOW + 30)  # the enrolling code (at NOW) is spent
    before = logins()
    password = client.post("/login", data={"csrf_token": csrf_token(client), "password": PASSWORD})
    assert password.status_code == 303 and password.location == "/login/code"
    assert logins() == before  # the right password alone does not sign in yet
    token = csrf_token(client, "/login")
    code = client.post("/login/code", data={"csrf_token": token, "code": code_for(secret, NOW + 30)})
    assert code.status_code == 303 and code.location == "/"
    after = logins()
    assert {k: after[k] - before[k] for k in after} == {"success": 1, "failure": 0, "blocked": 0, "busy": 0}
