"""The login limiter: a Flask extension shaped like Flask-WTF's CSRFProtect (SPEC §8).

`init_app` validates the settings, keeps its state in `app.extensions["gatehouse.limiter"]`
and registers one app-level `before_request` that looks only at the password-check endpoints
in `GUARDED` (by endpoint name, POST only); static files, 404s and every other page return
at once. For a guarded request it either refuses (429 + Retry-After, no password checked;
503 + Retry-After when no check slot is free) or reserves the attempt and a check slot.

Reporting API, for every view of a GUARDED endpoint, called once, right after its password
(or setup code) check and before anything else that could fail:

    from app.extensions import limiter
    limiter.report(ok)      # ok: bool, True = the password (code) was right

`report(False)` counts a failure against the client (its device if trusted, else its address
and the global budget); `report(True)` clears the client's count and, on `ISSUES_DEVICE`
endpoints, sets a fresh device cookie on the response. A guarded request that never reports
(bad form, rejected new password, error) is released without counting.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import TooManyRequests

from app.config import ConfigError
from app.ratelimit import devices
from app.ratelimit.policy import Policy, Record, wait_seconds
from app.ratelimit.slots import ChecksBusy, CheckSlots
from app.ratelimit.tracker import Attempt, Tracker
from app.security.client_ip import limit_key

if TYPE_CHECKING:
    from app.ratelimit.store import LimitStore

log = logging.getLogger("gatehouse.ratelimit")

GUARDED = frozenset({"auth.login", "setup.setup", "account.password", "api.login", "api.token"})
ISSUES_DEVICE = frozenset({"auth.login", "api.login", "account.password"})
MAX_CLIENTS = 10_000
REFRESH_SECONDS = 1.0  # how soon a running server sees `gatehouse unblock` from another process


class _State:
    def __init__(self, policy: Policy, max_clients: int, threads: int, store: LimitStore, cookies: devices.DeviceCookies):
        self.policy = policy
        self.tracker = Tracker(policy, max_clients)
        self.slots = CheckSlots(threads)
        self.store = store
        self.cookies = cookies
        self.lock = threading.Lock()
        self.clock = time.time  # tests replace it to move time
        self.generation: str | None = None
        self.refreshed_at = float("-inf")
        self.pruned_at = float("-inf")


class LoginLimiter:
    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        from app.extensions import db
        from app.jobs import add_task
        from app.ratelimit.store import DatabaseStore  # it imports the models; extensions.py must not

        max_clients = app.config.get("GATEHOUSE_LOGIN_MAX_CLIENTS", MAX_CLIENTS)
        if not isinstance(max_clients, int) or max_clients < 1:
            raise ConfigError("GATEHOUSE_LOGIN_MAX_CLIENTS is invalid: must be at least 1")
        previous = [app.config["GATEHOUSE_SECRET_KEY_PREVIOUS"]] if app.config["GATEHOUSE_SECRET_KEY_PREVIOUS"] else []
        app.extensions["gatehouse.limiter"] = _State(
            Policy.from_config(app.config), max_clients, app.config["GATEHOUSE_THREADS"],
            DatabaseStore(lambda: db.engine), devices.DeviceCookies(app.config["GATEHOUSE_SECRET_KEY"], previous),
        )
        state = app.extensions["gatehouse.limiter"]
        add_task(app, "purge login limits", lambda now: state.store.prune(
            now.timestamp(), state.policy.fade_seconds, state.policy.global_window))
        app.before_request(self._guard)
        app.after_request(self._issue_device)
        app.teardown_request(self._release)

    @property
    def state(self) -> _State:
        return current_app.extensions["gatehouse.limiter"]

    def _guard(self) -> None:
        if request.endpoint not in GUARDED or request.method != "POST":
            return
        state = self.state
        now = state.clock()
        self._refresh(state, now)
        ip_key = "ip:" + limit_key(_client_ip())
        nonce = devices.presented_nonce(state.cookies)
        with state.lock:
            attempt, until = state.tracker.judge(ip_key, f"device:{nonce}" if nonce else None, now)
            wait = wait_seconds(until, now) or (0 if state.tracker.reserve(attempt) else 1)
        if wait:
            unit = "second" if wait == 1 else "seconds"
            raise TooManyRequests(f"Too many failed attempts; try again in {wait} {unit}.", retry_after=wait)
        g.login_attempt = attempt
        attempt.slot = state.slots.acquire(attempt.trusted)
        if not attempt.slot:
            raise ChecksBusy()

    def report(self, success: bool) -> None:
        """The outcome of this request's password check; see the module docstring."""
        attempt = g.pop("login_attempt", None)
        if attempt is None:
            return
        state = self.state
        now = state.clock()
        with state.lock:
            self._unreserve(state, attempt)
            changes, failure_at = state.tracker.settle(attempt, success, now)
        state.store.save(changes, failure_at, state.policy.global_window)
        for key in attempt.keys:
            if (record := changes.get(key)) is not None and record.failures == state.policy.ban_after:
                who = "a trusted device" if attempt.trusted else key.removeprefix("ip:")  # no cookie values in logs
                log.warning("sign-in blocked for %s s: %s", state.policy.ban_seconds, who,
                            extra={"event": "login_blocked", "client": who})
        if success and request.endpoint in ISSUES_DEVICE:
            g.issue_device = True

    def unblock(self, ip: str | None) -> None:
        """Clear everything (`None`), or one address: its count and block go, and for the next
        15 minutes it also skips the global budget, so the admin can sign in from it during a
        distributed attack and get a device cookie."""
        state = self.state
        now = state.clock()
        if ip is None:
            state.store.clear(None)
        else:
            key, record = "ip:" + limit_key(ip), Record(exempt_until=now + state.policy.fade_seconds)
            state.store.save({key: record}, None, state.policy.global_window)
        generation = state.store.bump_generation()
        with state.lock:
            if ip is None:
                state.tracker.forget(None)
            else:
                state.tracker.put(key, record)
            state.generation = generation

    @staticmethod
    def _refresh(state: _State, now: float) -> None:
        """Reload from the store at start and after another process changed it."""
        if now - state.refreshed_at < REFRESH_SECONDS:
            return
        state.refreshed_at = now
        if now - state.pruned_at >= state.policy.fade_seconds:  # rows memory dropped when they faded
            state.pruned_at = now
            state.store.prune(now, state.policy.fade_seconds, state.policy.global_window)
        generation = state.store.generation()
        if generation != state.generation:
            records, failures = state.store.load(now, state.policy.fade_seconds, state.policy.global_window)
            with state.lock:
                state.tracker.load(records, failures)
                state.generation = generation

    @staticmethod
    def _unreserve(state: _State, attempt: Attempt) -> None:
        state.tracker.unreserve(attempt)
        if attempt.slot:
            attempt.slot = False
            state.slots.release(attempt.trusted)

    def _release(self, _exc: BaseException | None) -> None:
        attempt = g.pop("login_attempt", None)
        if attempt is not None:
            state = self.state
            with state.lock:
                self._unreserve(state, attempt)

    def _issue_device(self, response: Response) -> Response:
        if g.pop("issue_device", False):
            devices.set_cookie(response, self.state.cookies)
        return response


def _client_ip() -> str | None:
    from app.access import client_ip  # access imports services; keep the extension import-light

    return client_ip()
