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

The judging and counting live behind `Limits` (app/ratelimit/limits.py): in the process for
one worker, in Redis when state is shared (then a Redis outage refuses password checks with
503 + Retry-After rather than let one through unlimited). The check slots stay per process.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import TooManyRequests

from app.config import ConfigError
from app.ratelimit import devices
from app.ratelimit.policy import Policy
from app.ratelimit.slots import ChecksBusy, CheckSlots
from app.ratelimit.tracker import Attempt
from app.security.client_ip import limit_key

if TYPE_CHECKING:
    from app.ratelimit.limits import Limits

log = logging.getLogger("gatehouse.ratelimit")

GUARDED = frozenset({"auth.login", "setup.setup", "account.password", "api.login", "api.token"})
ISSUES_DEVICE = frozenset({"auth.login", "api.login", "account.password"})
MAX_CLIENTS = 10_000


class _State:
    def __init__(self, policy: Policy, limits: Limits, threads: int, cookies: devices.DeviceCookies):
        self.policy = policy
        self.limits = limits  # in-process (LocalLimits) or shared (RedisLimits)
        self.slots = CheckSlots(threads)  # per process: they bound this process's threads
        self.cookies = cookies
        self.clock = time.time  # tests replace it to move time


class LoginLimiter:
    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        from app.extensions import db
        from app.runtime.jobs import add_task
        from app.ratelimit.limits import build_limits  # it imports the models; extensions.py must not
        from app.ratelimit.store import DatabaseStore

        max_clients = app.config.get("GATEHOUSE_LOGIN_MAX_CLIENTS", MAX_CLIENTS)
        if not isinstance(max_clients, int) or max_clients < 1:
            raise ConfigError("GATEHOUSE_LOGIN_MAX_CLIENTS is invalid: must be at least 1")
        previous = [app.config["GATEHOUSE_SECRET_KEY_PREVIOUS"]] if app.config["GATEHOUSE_SECRET_KEY_PREVIOUS"] else []
        policy, store = Policy.from_config(app.config), DatabaseStore(lambda: db.engine)
        app.extensions["gatehouse.limiter"] = _State(
            policy, build_limits(app.config, policy, max_clients, store), app.config["GATEHOUSE_THREADS"],
            devices.DeviceCookies(app.config["GATEHOUSE_SECRET_KEY"], previous),
        )
        add_task(app, "purge login limits", lambda now: store.prune(
            now.timestamp(), policy.fade_seconds, policy.global_window))
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
        ip_key = "ip:" + limit_key(_client_ip())
        nonce = devices.presented_nonce(state.cookies)
        attempt, wait = state.limits.judge(ip_key, f"device:{nonce}" if nonce else None, state.clock())
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
        self._free_slot(state, attempt)
        failures = state.limits.settle(attempt, success, state.clock())
        if not success and failures == state.policy.ban_after:
            who = "a trusted device" if attempt.trusted else attempt.keys[0].removeprefix("ip:")  # no cookie values
            log.warning("sign-in blocked for %s s: %s", state.policy.ban_seconds, who,
                        extra={"event": "login_blocked", "client": who})
        if success and request.endpoint in ISSUES_DEVICE:
            g.issue_device = True

    def unblock(self, ip: str | None) -> None:
        """Clear everything (`None`), or one address: its count and block go, and for the next
        15 minutes it also skips the global budget, so the admin can sign in from it during a
        distributed attack and get a device cookie."""
        state = self.state
        state.limits.unblock("ip:" + limit_key(ip) if ip is not None else None, state.clock())

    @staticmethod
    def _free_slot(state: _State, attempt: Attempt) -> None:
        if attempt.slot:
            attempt.slot = False
            state.slots.release(attempt.trusted)

    def _release(self, _exc: BaseException | None) -> None:
        attempt = g.pop("login_attempt", None)
        if attempt is not None:
            state = self.state
            self._free_slot(state, attempt)
            state.limits.release(attempt)

    def _issue_device(self, response: Response) -> Response:
        if g.pop("issue_device", False):
            devices.set_cookie(response, self.state.cookies)
        return response


def _client_ip() -> str | None:
    from app.web.session import client_ip  # access imports services; keep the extension import-light

    return client_ip()
