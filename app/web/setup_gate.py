"""Until the master password is set, every page but setup, the probes and static files sends
the visitor to `/setup` (the API answers 503)."""

from __future__ import annotations

from typing import Callable

from flask import Flask, abort, current_app, redirect, request, url_for

OPEN = {"setup.setup", "health.healthz", "health.readyz", "static"}
_STATE = "gatehouse.setup_gate"


class SetupGate:
    """Whether the master password is set yet, asked of the database until it first says yes."""

    def __init__(self, password_is_set: Callable[[], bool]) -> None:
        self.password_is_set = password_is_set
        self.done = False  # once true it stays true: a password is never unset


def init_app(app: Flask, password_is_set: Callable[[], bool]) -> None:
    """`password_is_set` asks the database; it is called until it first says yes."""
    app.extensions[_STATE] = SetupGate(password_is_set)
    app.before_request(_require_setup)


def setup_done() -> bool:
    state: SetupGate = current_app.extensions[_STATE]
    if not state.done:
        state.done = state.password_is_set()
    return state.done


def _require_setup():
    if request.endpoint in OPEN or request.endpoint is None or setup_done():
        return None
    if request.path.startswith("/api/"):
        abort(503, "Setup is not done: set the master password first.")
    return redirect(url_for("setup.setup"), 303)
