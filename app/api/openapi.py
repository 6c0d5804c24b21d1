"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json.

Written by hand, next to the views it describes; limits come from the same constants the
views enforce, and tests/api/test_openapi.py runs schemathesis against the app to keep it true.
"""

from __future__ import annotations

from app.security.passwords import MAX_BYTES
from app.security.totp import MAX_INPUT as CODE_MAX

LABEL_MAX = 100  # LoginSession.label is String(100)
CONTROL_FREE = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/{name}"}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _ok(description: str, schema: dict, **extra) -> dict:
    return {"description": description, "content": _json(schema), **extra}


def _error(description: str, **headers: dict) -> dict:
    answer = {"description": description, "content": _json(_ref("schemas/Error"))}
    if headers:
        answer["headers"] = headers
    return answer


CHALLENGE = {"required": True, "schema": {"type": "string", "pattern": "^Bearer "},
             "description": 'RFC 6750 challenge: `Bearer realm="gatehouse"`, plus `error="invalid_token"` when a credential was sent.'}
RETRY = {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}, "description": "Seconds to wait."}
EXPIRES = {"type": "string", "format": "date-time", "description": "ISO-8601 UTC, e.g. 2030-01-01T12:00:00Z"}

COMMON = {
    "413": _error("Body over 16 KiB."),
    "415": _error("Body not sent as `Content-Type: application/json`."),
    "422": _error("Body is not a JSON object with the fields below: not JSON, wrong types, unknown or duplicate "
                  "fields, NaN, lone surrogates, too long."),
    "429": _error("Too many failed password checks from this client; no password was checked.", **{"Retry-After": RETRY}),
    "503": _error("Setup is not done, the database is not answering, or no password-check slot is free. On a sign-in "
                  "with the right password: `codes_unreadable`, the server cannot check authenticator codes (its "
                  "secret key changed; a recovery code still works); it counts as no failed check."),
}
UNAUTHORIZED = _error("Wrong password, or no valid session.", **{"WWW-Authenticate": CHALLENGE})
SIGN_IN_REFUSED = _error(
    "`unauthorized`: wrong password. With two-factor sign-in on and the right password: `code_required` (no `code` "
    "sent) or `invalid_code` (wrong, already used, or an unknown recovery code). Each counts as a failed check.",
    **{"WWW-Authenticate": CHALLENGE},
)
SIGNED_IN = [{"bearerAuth": []}, {"cookieAuth": []}]
REMOTE_USER = {"required": False, "schema": {"type": "string"},
               "description": "GATEHOUSE_REMOTE_USER, for the tool: sent whenever a live session was presented "
                              "(an access rule's `bypass` lets a request through without one, and without it)."}
REFUSED_BY_RULE = _error("An access rule refuses (docs/access.md): `forbidden` (policy `deny`), or "
                         "`two_factor_required` (a session signed in without a second factor; with `two_factor_url` "
                         "and `sign_in_url`).")
LOGIN_LOCATION = {"required": True, "schema": {"type": "string", "pattern": "^(https?://[^/?#]+)?/login"},
                  "description": "The login URL (absolute when the portal's address is known), with `rd` = the "
                                 "original URL when it is an allowed return address."}


def _proxy_headers(*names: str) -> list[dict]:
    return [{"name": name, "in": "header", "required": False, "schema": {"type": "string"},
             "description": "Sent by the proxy: the original request (method, scheme, host, URI, the browser's "
                            "address), which the access rules judge and the login URL's `rd` is built from."}
            for name in names]


def _password_body(with_label: bool, with_remember: bool = False) -> dict:
    properties = {"password": {"type": "string", "maxLength": MAX_BYTES,
                               "description": f"at most {MAX_BYTES} bytes as UTF-8; longer is 422"},
                  "code": {"type": "string", "maxLength": CODE_MAX,
                           "description": "With two-factor sign-in on: the 6-digit code from the authenticator app, "
                                          "or a recovery code. Each is accepted once. Ignored while it is off."}}
    if with_label:
        properties["label"] = {"type": "string", "maxLength": LABEL_MAX, "pattern": CONTROL_FREE,
                               "description": "Shown on the sessions page."}
    if with_remember:
        properties["remember"] = {"type": "boolean", "description": "Keep me signed in: the session lasts "
                                  "GATEHOUSE_REMEMBER_DAYS, idle limit GATEHOUSE_REMEMBER_IDLE_DAYS (ignored while "
                                  "that is 0). Not offered to tokens."}
    schema = {"type": "object", "properties": properties, "required": ["password"], "additionalProperties": False}
    return {"required": True, "content": _json(schema)}


def _object(**properties) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _signed_in(**properties) -> dict:
    """A sign-in's answer: `properties`, and `recovery_codes_left` after a recovery code was used."""
    schema = _object(**properties)
    schema["properties"]["recovery_codes_left"] = {
        "type": "integer", "minimum": 0, "description": "Only after a sign-in with a recovery code: how many are left."}
    return schema


PATHS = {
    "/api/v1/auth/login": {"post": {
        "operationId": "login", "summary": "Sign in; the session goes in the cookie, never in the body.",
        "requestBody": _password_body(False, with_remember=True),
        "responses": {
            "200": _ok("Signed in.", _signed_in(expires_at=EXPIRES),
                       headers={"Set-Cookie": {"required": True, "schema": {"type": "string"}}}),
            "401": SIGN_IN_REFUSED, **COMMON,
        },
    }},
    "/api/v1/auth/token": {"post": {
        "operationId": "token", "summary": "Get a bearer token for a script; sets no cookie.",
        "requestBody": _password_body(True),
        "responses": {
            "200": _ok("A new token.", _signed_in(token={"type": "string", "minLength": 1}, expires_at=EXPIRES)),
            "401": SIGN_IN_REFUSED, **COMMON,
        },
    }},
    "/api/v1/auth/session": {"get": {
        "operationId": "session", "summary": "Is the presented session valid?", "security": SIGNED_IN,
        "responses": {
            "200": _ok("Valid.", _object(valid={"const": True}, expires_at=EXPIRES)),
            "401": UNAUTHORIZED, "503": COMMON["503"],
        },
    }},
    "/api/v1/auth/logout": {"post": {
        "operationId": "logout", "summary": "End the presented session and clear the cookie. Idempotent; "
                                            "the body is ignored.",
        "security": [{}, *SIGNED_IN],
        "responses": {
            "200": _ok("Signed out (or nothing to sign out).", _object(message={"const": "Logged out successfully."})),
            "415": _error("Cookie-authenticated request not sent as `Content-Type: application/json`."),
            "503": COMMON["503"],
        },
    }},
    "/api/v1/auth/verify": {"get": {
        "operationId": "verify", "summary": "Forward auth for nginx auth_request: 204, 401 or 403, never a redirect.",
        "security": SIGNED_IN,
        "parameters": _proxy_headers("X-Original-URL", "X-Original-URI", "X-Forwarded-Method", "X-Forwarded-Proto",
                                     "X-Forwarded-Host", "X-Forwarded-Uri", "X-Forwarded-For"),
        "responses": {
            "204": {"description": "Valid session.", "headers": {"Remote-User": REMOTE_USER}},
            "401": {**UNAUTHORIZED, "headers": {**UNAUTHORIZED["headers"], "Location": LOGIN_LOCATION, "X-Gatehouse-Login": {
                "required": True, "schema": {"type": "string", "pattern": "^/login"},
                "description": "Where to send the browser: /login?next=<original URI if a local path>."}}},
            "403": REFUSED_BY_RULE,
            "503": COMMON["503"],
        },
    }},
    "/api/v1/auth/forward-auth": {"get": {
        "operationId": "forwardAuth", "summary": "Forward auth for Traefik ForwardAuth and Caddy forward_auth, which pass "
                                                 "the answer to the browser: a page load is redirected to the login page.",
        "security": SIGNED_IN,
        "parameters": _proxy_headers("X-Forwarded-Method", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Uri",
                                     "X-Forwarded-For", "X-Requested-With"),
        "responses": {
            "200": {"description": "Valid session.", "headers": {"Remote-User": REMOTE_USER}},
            "302": {"description": "No valid session, a GET/HEAD page load (Accept names text/html, not an XHR): "
                                   "go to the login page.", "headers": {"Location": LOGIN_LOCATION}},
            "303": {"description": "No valid session, a page load with another method: go to the login page.",
                    "headers": {"Location": LOGIN_LOCATION}},
            "401": UNAUTHORIZED,
            "403": {**REFUSED_BY_RULE, "content": {**REFUSED_BY_RULE["content"], "text/html": {"schema": {"type": "string"}}},
                    "description": REFUSED_BY_RULE["description"] + " A page load gets a page saying so."},
            "503": COMMON["503"],
        },
    }},
    "/api/v1/openapi.json": {"get": {
        "operationId": "openapi", "summary": "This document.",
        "responses": {"200": _ok("OpenAPI 3.1 document.", {"type": "object"}), "503": COMMON["503"]},
    }},
}


def document(cookie_name: str = "__Host-gatehouse_session") -> dict:
    """The document; `cookie_name` is the session cookie this instance uses."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Gatehouse API", "version": "1",
                 "description": "Errors are `{\"error\": code, \"message\": text}`. A session is the session cookie "
                                "or `Authorization: Bearer <token>`; an invalid bearer never falls back to the cookie. "
                                "The forward-auth endpoints take only a Gatehouse-signed value as Gatehouse's: "
                                "`Proxy-Authorization: Bearer`, then `Authorization: Bearer`, then the cookie; a "
                                "tool's own Authorization is ignored."},
        "paths": PATHS,
        "components": {
            "schemas": {"Error": {"type": "object", "required": ["error", "message"],
                                  "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}},
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "The `token` from /api/v1/auth/token."},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": cookie_name,
                               "description": "The browser session cookie (set by /api/v1/auth/login or /login)."},
            },
        },
    }
