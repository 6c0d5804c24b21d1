"""The discovery document against the OpenID Connect Discovery 1.0 field list (§3), and the JWKS."""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.oidc.discovery import OpenIDProviderMetadata

from app.services import master_password
from tests.support.app import PASSWORD
from tests.support.oidc import ISSUER

# OpenID Connect Discovery 1.0, §3 "OpenID Provider Metadata".
REQUIRED = {"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "response_types_supported",
            "subject_types_supported", "id_token_signing_alg_values_supported"}
RECOMMENDED = {"userinfo_endpoint", "scopes_supported", "claims_supported"}  # and registration_endpoint (dynamic only)
OPTIONAL = {
    "registration_endpoint", "response_modes_supported", "grant_types_supported", "acr_values_supported",
    "id_token_encryption_alg_values_supported", "id_token_encryption_enc_values_supported",
    "userinfo_signing_alg_values_supported", "userinfo_encryption_alg_values_supported",
    "userinfo_encryption_enc_values_supported", "request_object_signing_alg_values_supported",
    "request_object_encryption_alg_values_supported", "request_object_encryption_enc_values_supported",
    "token_endpoint_auth_methods_supported", "token_endpoint_auth_signing_alg_values_supported",
    "display_values_supported", "claim_types_supported", "service_documentation", "claims_locales_supported",
    "ui_locales_supported", "claims_parameter_supported", "request_parameter_supported",
    "request_uri_parameter_supported", "require_request_uri_registration", "op_policy_uri", "op_tos_uri",
}
# Registered by other specifications the provider implements.
EXTENSIONS = {
    "end_session_endpoint",  # OpenID Connect RP-Initiated Logout 1.0
    "revocation_endpoint", "revocation_endpoint_auth_methods_supported",  # RFC 8414 for RFC 7009
    "code_challenge_methods_supported",  # RFC 8414 for RFC 7636
    "authorization_response_iss_parameter_supported",  # RFC 9207
    "prompt_values_supported",  # OpenID Connect Prompt Create 1.0 registers it
}
URLS = {"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint", "revocation_endpoint",
        "end_session_endpoint"}
BOOLEANS = {"claims_parameter_supported", "request_parameter_supported", "request_uri_parameter_supported",
            "authorization_response_iss_parameter_supported"}


def test_the_document_has_every_required_field_and_only_registered_ones(client):
    response = client.get("/.well-known/openid-configuration")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert REQUIRED | RECOMMENDED <= set(doc)
    assert set(doc) <= REQUIRED | RECOMMENDED | OPTIONAL | EXTENSIONS
    assert doc["issuer"] == ISSUER
    for name in URLS:
        parts = urlsplit(doc[name])
        assert doc[name].startswith(ISSUER + "/") or doc[name] == ISSUER
        assert not parts.query and not parts.fragment
    for name, value in doc.items():
        if name in BOOLEANS:
            assert isinstance(value, bool)
        elif name.endswith("_supported"):
            assert isinstance(value, list) and value and all(isinstance(v, str) for v in value), name
    assert doc["response_types_supported"] == ["code"] and "openid" in doc["scopes_supported"]
    assert set(doc["subject_types_supported"]) <= {"public", "pairwise"}
    assert "RS256" in doc["id_token_signing_alg_values_supported"]
    assert doc["code_challenge_methods_supported"] == ["S256"]


def test_authlib_validates_the_document_for_an_https_issuer(make_app):
    app = make_app(GATEHOUSE_OIDC=True, GATEHOUSE_PUBLIC_URL="https://auth.example.org", GATEHOUSE_COOKIE_SECURE=True)
    with app.app_context():
        master_password.set_first(PASSWORD)
    doc = app.test_client().get("/.well-known/openid-configuration", base_url="https://auth.example.org").get_json()
    assert doc["issuer"] == "https://auth.example.org"
    OpenIDProviderMetadata(doc).validate()  # raises on any field that breaks Discovery 1.0


def test_the_jwks_publishes_the_rs256_public_key_only(client):
    keys = client.get("/oidc/jwks").get_json()["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
