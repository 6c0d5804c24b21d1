"""The OpenAPI document is true: schemathesis fuzzes the app (WSGI) from it, positive and negative."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.web.signed_in import signer
from app.services import login_sessions
from tests.support.app import PASSWORD

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection]


def bearer_for(app) -> dict:
    with app.app_context():
        return {"Authorization": "Bearer " + signer().sign(login_sessions.create(login_sessions.API, None, None).token)}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_matches_its_schema(app, mode):
    """No 5xx, and every status, header and body is one the document promises; invalid input gets a 4xx.

    Driven through `as_strategy` rather than schemathesis' pytest loader, whose lazy
    fixture support does not work with pytest 9.
    """
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6  # schemathesis leaves out the document itself
    for operation in operations:
        signed_in = operation.path.endswith(("session", "verify", "forward-auth", "logout"))
        if mode == GenerationMode.NEGATIVE and signed_in:
            continue  # no parameters or body there: nothing can be made invalid

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            sent = {k.lower() for k in (case.headers or {})}
            headers = bearer_for(app) if signed_in and "authorization" not in sent else None
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()


def test_document_basics(client):
    response = client.get("/api/v1/openapi.json")
    doc = response.get_json()
    assert response.status_code == 200 and doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {f"/api/v1/auth/{p}" for p in ("login", "token", "session", "logout", "verify", "forward-auth")} | {"/api/v1/openapi.json"}
    assert doc["components"]["securitySchemes"]["cookieAuth"]["name"] == "gatehouse_session"
    assert "WWW-Authenticate" in doc["paths"]["/api/v1/auth/verify"]["get"]["responses"]["401"]["headers"]


def test_document_is_valid_openapi(client):
    """schemathesis refuses to load a document that is not valid OpenAPI; count what it sees."""
    schema = schemathesis.openapi.from_dict(client.get("/api/v1/openapi.json").get_json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 7


def test_success_answers_match_the_schema(app):
    """Fuzzing never guesses the password, so check the 200s of login and token explicitly."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = {result.ok().path.rsplit("/", 1)[1]: result.ok() for result in schema.get_all_operations()}
    for name, body in (("login", {"password": PASSWORD}), ("token", {"password": PASSWORD, "label": "ci"})):
        response = operations[name].Case(body=body, media_type="application/json").call_and_validate(checks=CHECKS)
        assert response.status_code == 200
    token = response.json()["token"]
    for name in ("session", "verify", "logout"):
        case = operations[name].Case(headers={"Authorization": f"Bearer {token}"})
        assert case.call_and_validate(checks=CHECKS).status_code in (200, 204)


def test_forward_auth_refusals_match_the_schema(app):
    """Signed out, with any proxy headers schemathesis can think of: 401/302/303 exactly as documented."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations() if r.ok().path.endswith(("verify", "forward-auth"))]
    assert len(operations) == 2
    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            for accept in ("application/json", "text/html"):
                response = case.call_and_validate(headers={"Accept": accept}, checks=CHECKS)
                assert response.status_code in (401, 302, 303)

        check()
