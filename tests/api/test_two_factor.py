"""The JSON API with codes on: `"code"` on /login and /token, code_required and invalid_code."""

import pytest

from tests.support.app import PASSWORD
from tests.support.ratelimit import with_clock
from tests.support.two_factor import NOW, live_sessions, code_clock, code_for, enable_codes, wrong_code

API = "/api/v1/auth"


@pytest.fixture
def codes_on(app, monkeypatch):
    secret, recovery = enable_codes(app)
    return secret, recovery, code_clock(monkeypatch, NOW + 30)


def error_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers or "gatehouse_session=" not in response.headers.get("Set-Cookie", "")
    return response.get_json()["error"]


@pytest.mark.parametrize("route", ["login", "token"])
def test_no_code_is_code_required_and_no_session(app, client, codes_on, route):
    assert error_of(client.post(f"{API}/{route}", json={"password": PASSWORD}), 401) == "code_required"
    assert live_sessions(app) == 0


@pytest.mark.parametrize("route", ["login", "token"])
def test_wrong_code_is_invalid_code(app, client, codes_on, route):
    secret, _recovery, clock = codes_on
    response = client.post(f"{API}/{route}", json={"password": PASSWORD, "code": wrong_code(secret, clock.now)})
    assert error_of(response, 401) == "invalid_code" and live_sessions(app) == 0


def test_wrong_password_with_a_right_code_says_nothing_about_the_code(client, codes_on):
    secret, _recovery, clock = codes_on
    response = client.post(f"{API}/login", json={"password": "not the password at all", "code": code_for(secret, clock.now)})
    assert error_of(response, 401) == "unauthorized"


def test_login_with_code_sets_the_cookie(app, client, codes_on):
    secret, _recovery, clock = codes_on
    response = client.post(f"{API}/login", json={"password": PASSWORD, "code": code_for(secret, clock.now)})
    assert response.status_code == 200 and list(response.get_json()) == ["expires_at"]
    assert client.get(f"{API}/session").status_code == 200


def test_token_with_a_recovery_code_once(app, client, codes_on):
    _secret, recovery, _clock = codes_on
    response = client.post(f"{API}/token", json={"password": PASSWORD, "code": recovery[2], "label": "ci"})
    assert response.status_code == 200 and response.get_json()["token"]
    assert error_of(client.post(f"{API}/token", json={"password": PASSWORD, "code": recovery[2]}), 401) == "invalid_code"


def test_a_code_is_accepted_once_across_the_api(client, codes_on):
    secret, _recovery, clock = codes_on
    code = code_for(secret, clock.now)
    assert client.post(f"{API}/token", json={"password": PASSWORD, "code": code}).status_code == 200
    assert error_of(client.post(f"{API}/token", json={"password": PASSWORD, "code": code}), 401) == "invalid_code"


@pytest.mark.parametrize("body", [{"password": PASSWORD}, {"password": PASSWORD, "code": "000000"}])
def test_missing_or_wrong_code_counts_as_a_failed_check(app, client, codes_on, body):
    secret, _recovery, clock = codes_on
    if "code" in body:
        body["code"] = wrong_code(secret, clock.now)
    with_clock(app)
    assert client.post(f"{API}/login", json=body).status_code == 401
    response = client.post(f"{API}/login", json={"password": PASSWORD, "code": code_for(secret, clock.now)})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("code", [123456, None, "x" * 65, ["123456"]])
def test_bad_code_field_is_422(client, codes_on, code):
    assert client.post(f"{API}/login", json={"password": PASSWORD, "code": code}).status_code == 422


def test_code_is_ignored_while_codes_are_off(client):
    assert client.post(f"{API}/login", json={"password": PASSWORD, "code": "123456"}).status_code == 200


def test_openapi_documents_the_code(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for route in ("login", "token"):
        operation = doc["paths"][f"{API}/{route}"]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert "code" in schema["properties"] and "code" not in schema["required"]
        assert "code_required" in operation["responses"]["401"]["description"]


@pytest.mark.parametrize("route", ["login", "token"])
def test_a_replaced_secret_key_is_codes_unreadable_and_counts_nothing(app, make_app, codes_on, route):
    from tests.support.two_factor import with_replaced_key

    secret, _recovery, clock = codes_on
    client = with_replaced_key(make_app).test_client()
    for _attempt in range(12):
        response = client.post(f"{API}/{route}", json={"password": PASSWORD, "code": code_for(secret, clock.now)})
        assert error_of(response, 503) == "codes_unreadable"
        assert "GATEHOUSE_SECRET_KEY_PREVIOUS" in response.get_json()["message"]
    wrong = client.post(f"{API}/{route}", json={"password": "not the password at all", "code": "123456"})
    assert error_of(wrong, 401) == "unauthorized"  # the password first: a stranger learns nothing
    assert live_sessions(app) == 0


@pytest.mark.parametrize("route", ["login", "token"])
def test_a_recovery_code_answer_says_how_many_are_left(app, client, codes_on, route):
    from app.services import activity

    _secret, recovery, _clock = codes_on
    response = client.post(f"{API}/{route}", json={"password": PASSWORD, "code": recovery[3]})
    assert response.status_code == 200 and response.get_json()["recovery_codes_left"] == 9
    with app.app_context():
        assert "with a recovery code (9 left)" in activity.recent()[0].detail
