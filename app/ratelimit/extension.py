"""The login limiter: a Flask extension shaped like Flask-WTF's CSRFProtect
(docs/security.md, "Login limiter").

Views that check a secret declare themselves, the way `CSRFProtect.exempt` marks views:

    @bp.route("/login", methods=["GET", "POST"])
    @limiter.guarded(issues_device=True)
    def login(): ...

`init_app` validates the settings, keeps its state in `app.extensions["gatehouse.limiter"]`
and registers one app-level `before_request`: a POST to a guarded view is judged before the
view runs (429 + Retry-After while its client is blocked, no secret checked), and the
client's one check in flight is reserved. Every other request returns at once.

A secret check runs through `limiter.run_check(check)` (app/services/secret_checks.py), which
holds one of the bounded check slots only while the check runs (bcrypt; 503 + Retry-After when
none is free). Its outcome is published once (`secret_checked`, app/signals.py) and `settle`,
subscribed by the app factory, counts the failure against the client (its device if trusted,
else its address and the global budget) or clears its count and, for `issues_device` views,
sets a fresh device cookie. A guarded request that never runs a check (bad form, rejected new
password, error) is released without counting.

The judging and counting live behind `Limits` (app/ratelimit/limits.py): in the process for
one worker, in Redis when state is shared (then a Redis outage refuses checks with 503 +
Retry-After rather than let one through unlimited). The check slots stay per process.

What the limiter needs from the rest of the app is passed in by `create_app`: the database
(for the in-process store), the password epoch that device cookies are tied to, and
`on_refused`, told of every attempt refused while blocked (the sign-in activity).

The limiter counts for the metrics (app/runtime/metrics.py) what only it sees:
gatehouse_logins_total{result} blocked (the 429 above) and busy (a 503), and
gatehouse_password_checks_in_flight around the check itself; success and failure are counted
from the published outcome.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import ServiceUnavailable, TooManyRequests

from app.config import ConfigError
from app.ratelimit import devices
from app.ratelimit.limits import Limits, build_limits
from app.ratelimit.policy import Policy, faded
from app.ratelimit.slots import ChecksBusy, CheckSlots
from app.ratelimit.store import DatabaseStore
from app.ratelimit.tracker import Attempt
from app import signals
from app.runtime import metrics
from app.signals import SecretCheck
from app.security.client_ip import limit_key
from app.web.client import client_ip

if TYPE_CHECKING:
    from app.database import Database

log = logging.getLogger("gatehouse.ratelimit")

MAX_CLIENTS = 10_000
# A flood, not a person retrying: this many refusals within REFUSALS_WINDOW seconds, and for
# REFUSING_SECONDS after the last of them guesses are judged early (app/edge/early_refusal.py).
FLOOD_REFUSALS = 20
REFUSALS_WINDOW = 10.0
REFUSING_SECONDS = 60.0
_GUARD = "gatehouse_guard"  # the attribute `guarded` puts on a view function


@dataclass(frozen=True)
class Guard:
    issues_device: bool = False  # a right secret here also sets a fresh device cookie


def too_many(wait: int) -> TooManyRequests:
    """The 429 for a client held back `wait` seconds."""
    unit = "second" if wait == 1 else "seconds"
    return TooManyRequests(f"Too many failed attempts; try again in {wait} {unit}.", retry_after=wait)


def guard_of(view) -> Guard | None:
    """What `LoginLimiter.guarded` declared on a view function, or None for an unguarded one."""
    return getattr(view, _GUARD, None)


class LimiterState:
    """What one app's limiter holds: its rules, its counts (in the process or in Redis), its check
    slots and device cookies, and the flood clock the early refusals read."""

    def __init__(self, policy: Policy, limits: Limits, store: DatabaseStore, threads: int,
                 cookies: devices.DeviceCookies, issued: devices.IssuedDevices,
                 password_epoch: Callable[[], str | None],
                 on_refused: Callable[[str | None, str | None], None] | None):
        self.policy = policy
        self.limits = limits  # in-process (LocalLimits) or shared (RedisLimits)
        self.store = store
        self.slots = CheckSlots(threads)  # per process: they bound this process's threads
        self.cookies = cookies
        self.issued = issued  # nonces Gatehouse issued: only these are devices
        self.password_epoch = password_epoch
        self.on_refused = on_refused  # told of each attempt refused while blocked: (address, user agent)
        self.clock = time.time  # tests replace it to move time
        self.refusing_until = 0.0  # time.monotonic(): until then guesses are judged early (`verdict`)
        self.refusals = (0.0, 0)  # (window start, refusals in it): approximate across threads, on purpose

    def count_refusal(self) -> None:
        now = time.monotonic()
        start, count = self.refusals
        if now - start > REFUSALS_WINDOW:
            start, count = now, 0
        self.refusals = (start, count + 1)
        if count + 1 >= FLOOD_REFUSALS:
            self.refusing_until = now + REFUSING_SECONDS


class LoginLimiter:
    def __init__(self, app: Flask | None = None, **wiring) -> None:
        if app is not None:
            self.init_app(app, **wiring)

    def init_app(self, app: Flask, db: Database, password_epoch: Callable[[], str | None],
                 on_refused: Callable[[str | None, str | None], None] | None = None) -> None:
        max_clients = app.config.get("GATEHOUSE_LOGIN_MAX_CLIENTS", MAX_CLIENTS)
        if not isinstance(max_clients, int) or max_clients < 1:
            raise ConfigError("GATEHOUSE_LOGIN_MAX_CLIENTS is invalid: must be at least 1")
        previous = [app.config["GATEHOUSE_SECRET_KEY_PREVIOUS"]] if app.config["GATEHOUSE_SECRET_KEY_PREVIOUS"] else []
        policy, store = Policy.from_config(app.config), DatabaseStore(lambda: db.engine)
        app.extensions["gatehouse.limiter"] = LimiterState(
            policy, build_limits(app.config, policy, max_clients, store), store, app.config["GATEHOUSE_THREADS"],
            devices.DeviceCookies(app.config["GATEHOUSE_SECRET_KEY"], previous),
            devices.IssuedDevices(lambda: db.engine), password_epoch, on_refused,
        )
        app.before_request(self._judge)
        app.after_request(self._issue_device)
        app.teardown_request(self._release)

    @staticmethod
    def guarded(view=None, *, issues_device: bool = False):
        """Mark a view whose POST checks a secret: `@limiter.guarded` or `@limiter.guarded(issues_device=True)`."""

        def mark(function):
            setattr(function, _GUARD, Guard(issues_device))
            return function

        return mark(view) if view is not None else mark

    @property
    def state(self) -> LimiterState:
        return current_app.extensions["gatehouse.limiter"]

    def _judge(self) -> None:
        if request.method != "POST":
            return
        guard = guard_of(current_app.view_functions.get(request.endpoint))
        if guard is None:
            return
        state = self.state
        nonce = state.cookies.read(request.cookies.get(devices.cookie_name()), self._epoch(state))
        if nonce and not state.issued.known(nonce, datetime.now(timezone.utc)):
            nonce = None  # validly signed but never issued (a leaked key): no device
        g.login_device = nonce is not None
        try:
            attempt, wait = self.verdict(state, client_ip(), nonce, request.user_agent.string)
        except ServiceUnavailable:  # the shared store is away: refused like a full house
            metrics.LOGIN_BUSY.inc()
            raise
        if wait:
            raise too_many(wait)
        g.login_attempt = attempt
        g.login_guard = guard

    @staticmethod
    def verdict(state: LimiterState, ip: str | None, nonce: str | None, user_agent: str | None) -> tuple[Attempt, int]:
        """The judgement of one attempt (in an app context): (attempt, Retry-After or 0).

        A refusal is counted and told to `on_refused` (the sign-in activity, which batches); many
        of them (`FLOOD_REFUSALS`) and guesses are judged before a thread runs them for a while
        (app/edge/early_refusal.py), where a person who retries too soon still gets the
        sign-in form from the app. Otherwise the client's one check in flight is reserved.
        :raise ServiceUnavailable: the shared store is away.
        """
        attempt, wait = state.limits.judge("ip:" + limit_key(ip), f"device:{nonce}" if nonce else None, state.clock())
        if wait:
            metrics.LOGIN_BLOCKED.inc()
            state.count_refusal()
            if state.on_refused is not None:
                state.on_refused(ip, user_agent)
        return attempt, wait

    @staticmethod
    def known_device() -> bool | None:
        """Whether this guarded request's browser presented a valid device cookie (it signed in
        before); None outside a guarded request (the command line). For the notifications."""
        return g.get("login_device") if has_request_context() else None

    def run_check(self, check: Callable[[], bool]) -> bool:
        """Run this request's secret check inside a check slot (app/services/secret_checks.py
        publishes its outcome, and `settle` counts it).

        :raise ChecksBusy: (503) no free slot. Outside a guarded request (the CLI, an unguarded
        view) the check simply runs.
        """
        attempt = g.get("login_attempt") if request else None
        if attempt is None:
            return bool(check())
        state = self.state
        if not state.slots.acquire(attempt.trusted):
            metrics.LOGIN_BUSY.inc()
            raise ChecksBusy()
        metrics.CHECKS_IN_FLIGHT.inc()
        try:
            return bool(check())
        finally:
            metrics.CHECKS_IN_FLIGHT.dec()
            state.slots.release(attempt.trusted)

    def settle(self, _sender, check: SecretCheck) -> None:
        """Subscriber of `secret_checked` (app/signals.py): count the outcome against the request's
        reserved attempt. A right answer that does not finish the sign-in (`final=False`, the
        password when a code is owed) is released without clearing the client's count or setting
        a device cookie, so knowing the password buys no fresh guesses at the code that follows."""
        attempt = g.pop("login_attempt", None) if request else None
        if attempt is None:
            return
        state = self.state
        if check.ok and not check.final:
            state.limits.release(attempt)
            return
        now = state.clock()
        failures = state.limits.settle(attempt, check.ok, now)
        if not check.ok and attempt.counts_global:
            self._tell_budget(state, now)
        if not check.ok and failures == state.policy.ban_after:
            who = "a trusted device" if attempt.trusted else attempt.keys[0].removeprefix("ip:")  # no cookie values
            log.warning("sign-in blocked for %s s: %s", state.policy.ban_seconds, who,
                        extra={"event": "login_blocked", "client": who})
            signals.publish(signals.limiter_tripped, event=signals.LimiterEvent(
                "blocked", who, state.policy.ban_seconds))
        if check.ok and g.login_guard.issues_device:
            g.issue_device = True
            g.pop("password_epoch", None)  # a password change just now gives the cookie the new epoch

    @staticmethod
    def _tell_budget(state: LimiterState, now: float) -> None:
        """After a failure that counted toward the global budget: if it spent the budget, say so
        once (`limiter_tripped`, "budget spent"): every browser without a device cookie now waits."""
        wait = state.limits.budget_wait(now)
        if not wait:
            return
        log.warning("global budget of failed sign-ins spent: untrusted clients wait up to %s s", wait,
                    extra={"event": "login_budget_spent", "seconds": wait})
        signals.publish(signals.limiter_tripped, event=signals.LimiterEvent("budget spent", None, wait))

    def _epoch(self, state: LimiterState) -> str | None:
        """The current password's epoch, read once per request."""
        if "password_epoch" not in g:
            g.password_epoch = state.password_epoch()
        return g.password_epoch

    def unblock(self, ip: str | None) -> str:
        """Clear everything (`None`), or one address: its count and block go, and for the next
        15 minutes it also skips the global budget, so the admin can sign in from it during a
        distributed attack and get a device cookie. Returns what the address had: "blocked",
        "counted" (failures, no block right now) or "nothing" (also for everything)."""
        state = self.state
        now = state.clock()
        before = state.limits.unblock("ip:" + limit_key(ip) if ip is not None else None, now)
        if before is None or faded(state.policy, before, now):
            return "nothing"
        return "blocked" if before.blocked_until > now else "counted" if before.failures else "nothing"

    def clients(self) -> int:
        """How many clients (addresses, devices) the limiter holds a record for (gatehouse_limiter_clients)."""
        state = self.state
        return state.limits.clients(state.clock())

    def prune(self, now) -> None:
        """Background task: drop stored records that faded and failures out of the window."""
        policy = self.state.policy
        self.state.store.prune(now.timestamp(), policy.fade_seconds, policy.global_window)
        self.state.issued.prune(now)

    def _release(self, _exc: BaseException | None) -> None:
        attempt = g.pop("login_attempt", None)
        if attempt is not None:
            self.state.limits.release(attempt)

    def _issue_device(self, response: Response) -> Response:
        """After a right secret: a fresh device cookie, only on an answer that went through (a
        sign-in that failed later, a 503, gets none). An `after_request` hook must not raise (Flask
        would answer 500), so a database that fails here costs the cookie, not the sign-in."""
        if g.pop("issue_device", False) and response.status_code < 400:
            try:
                epoch = self._epoch(self.state)
                if epoch:
                    devices.set_cookie(response, self.state.cookies, self.state.issued, epoch)
            except SQLAlchemyError as exc:
                log.warning("no device cookie issued: the database failed (%s)", type(exc).__name__,
                            extra={"event": "device_not_issued"})
        return response
