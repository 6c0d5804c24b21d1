"""The edge, built by one factory step: the request gates, then the WSGI stack, outside in.

`REQUEST_GATES` is the one ordered list of checks that run before every view (installed as
Flask's `before_request` hooks by `install_gates`, and run by every shortcut from the same
declarations, app/edge/gates.py):

1. trusted host  — a `Host` outside TRUSTED_HOSTS is 400 before anything looks at the request;
2. serving       — an instance refused the lease answers 503 to every request;
3. setup         — until the master password is set: 303 to /setup (the API: 503);
4. forwarded     — an `X-Forwarded-For` from an untrusted peer is reported (never refuses).

After them come the extensions' own hooks, declared as they register (`gates.adopt`): the login
limiter (POST to a guarded view) and CSRFProtect (unsafe methods). The presented session is
not a gate: it is read when asked, by one function (app/web/signed_in.py `session_of`),
once per request, on whichever path.

`install_edge` then wraps Flask, outside in:

1. SecurityHeaders      — every response's headers, the shortcuts' answers included;
2. ChunkedBodyLimit     — a chunked body over the limit is a 413 like a declared one;
3. ForwardAuthShortcut  — forward-auth checks answered before Flask's dispatch (edge on);
4. Flask.

Beside the stack, with the edge on: the worker's early refusals (app/edge/early.py) and the
kept pages (app/edge/page_cache.py). `GATEHOUSE_EDGE=off` turns every shortcut off (the
headers and the body limit stay: they are part of every answer); tests/edge/test_parity.py
proves both settings give the same answers.
"""

from __future__ import annotations

from flask import Flask

from app.edge import early, gates
from app.edge.body_limit import ChunkedBodyLimit
from app.edge.early_refusal import EarlyRefusal
from app.edge.forward_auth import ForwardAuthShortcut
from app.edge.gates import Gate
from app.edge.headers import SecurityHeaders
from app.runtime import lifecycle
from app.web import client, setup_gate, trusted_host

REQUEST_GATES = (
    Gate("trusted host", trusted_host.check),
    Gate("serving", lifecycle.check),
    Gate("setup", setup_gate.check),
    Gate("forwarded address", client.notice_forwarded),
)


def install_request_gates(app: Flask) -> None:
    """The request gates, first among the `before_request` hooks."""
    gates.install_gates(app, REQUEST_GATES)


def install_edge(app: Flask) -> None:
    """The WSGI stack around Flask, and the shortcuts beside it when the edge is on. Last step of
    the factory: a shortcut checks every request hook the app has by then."""
    on = app.config["GATEHOUSE_EDGE"]
    wsgi = app.wsgi_app
    if on:
        wsgi = ForwardAuthShortcut(app, wsgi)
    wsgi = ChunkedBodyLimit(wsgi, app.config["MAX_CONTENT_LENGTH"])
    headers = SecurityHeaders(wsgi, app.config["GATEHOUSE_COOKIE_SECURE"], app.static_url_path or "/static")
    app.wsgi_app = headers
    if on:
        app.extensions[early.EXTENSION] = EarlyRefusal(app, headers)
