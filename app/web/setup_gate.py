"""Until the master password is set, every page but setup, the probes and static files sends
the visitor to `/setup` (the API answers 503)."""

from __future__ import annotations

from typing import Callable

from flask import Flask, abort, current_app, redirect, url_for

OPEN = {"setup.setup", "health.healthz", "health.readyz", "static"}
_STATE = "gatehouse.setup_gate"


class SetupGate:
    """Whether the master password is set yet, asked of the database until it first says yes."""

    def __init__(self, password_is_set: Callable[[], bool]) -> None:
        self.password_is_set = password_is_set
        self.done = False  # once true it stays true: a password is never unset


def init_app(app: Flask, password_is_set: Callable[[], bool]) -> None:
    """`password_is_set` asks the database; it is called until it first says yes. `check` is
    the request gate (app/edge/gates.py)."""
    app.extensions[_STATE] = SetupGate(password_is_set)


def setup_done() -> bool:
    state: SetupGate = current_app._get_current_object().extensions[_STATE]  # one proxy hop: docs/performance.md
    if not state.done:
        state.done = state.password_is_set()
    return state.done


def check(environ: dict, endpoint: str | None):
    """None once setup is done (or for the open endpoints); else the refusal: 503 for the API,
    a 303 to /setup for pages."""
    if endpoint in OPEN or endpoint is None or setup_done():
        return None
    return _refuse_api if environ.get("PATH_INFO", "").startswith("/api/") else _to_setup


def _refuse_api():
    abort(503, "Setup is not done: set the master password first.")


def _to_setup():
    return redirect(url_for("setup.setup"), 303)
