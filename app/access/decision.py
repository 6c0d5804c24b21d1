"""The one decision (docs/access.md): which rule decides a request, and what that means for
the session it presents. Both forward-auth endpoints, their shortcut and
`gatehouse access explain` call `decide`; nothing else answers a proxy's question.

First match in file order; none → `default`. A request with an ambiguous path
(app/access/paths.py), or one that reaches a rule looking at a part of it that cannot be
read (an unreadable host, no method, a path whose case decides), is judged by the strictest
policy among the default and every rule that matches it with those parts ignored, so
ambiguity can never buy a weaker policy (deny > two_factor > signed_in > bypass; with the
same policy, the one with the shortest `max_age`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from app.access.policies import BYPASS, DENY, STRICTNESS, TWO_FACTOR
from app.access.rules import Reading, Rule, Rules

# How a session was signed in, as app/services/login_sessions.py records it (its
# has_second_factor: tests/access/test_decision.py checks the two agree).
SECOND_FACTORS = frozenset({"code", "recovery_code", "passkey"})

ALLOW = "allow"  # let it through (Remote-User when `identified`)
SIGN_IN = "sign_in"  # no live session: 401, or a page load to the login
REAUTHENTICATE = "reauthenticate"  # a live session, signed in longer ago than max_age
TWO_FACTOR_REQUIRED = "two_factor_required"  # a live session without a second factor: 403
DENIED = "deny"  # 403 for everyone
OUTCOMES = (ALLOW, SIGN_IN, REAUTHENTICATE, TWO_FACTOR_REQUIRED, DENIED)


@dataclass(frozen=True, slots=True)
class Session:
    """What the rules need of a live session: how it was signed in, and when it last was."""

    methods: tuple[str, ...]
    authenticated_at: datetime | None  # None: not known (an entry from before it was recorded)


@dataclass(frozen=True, slots=True)
class Decision:
    rule: str | None  # the deciding rule's name; None: the default
    policy: str
    outcome: str
    identified: bool = False  # allowed with a live session: the answer names the user
    max_age: timedelta | None = None
    ambiguous: str | None = None  # why the request was judged by the strictest policy


def choose(rules: Rules, request: Reading) -> tuple[Rule | None, str | None]:
    """(the deciding rule or None for the default, why it was judged strictly or None)."""
    why = f"an ambiguous path ({request.path.why})" if request.path.path is None else None
    if why is None:
        for rule in rules.for_host(request.host):
            found = rule.match(request)
            if found:
                return rule, None
            if found is None:  # a part of the request this rule looks at cannot be read
                why = _doubt(rule, request)
                break
        else:
            return None, None
    strictest, highest = None, _strictness(rules.default, None)
    for rule in rules.for_host(request.host):
        if rule.match(request) is not False:
            key = _strictness(rule.policy, rule.max_age)
            if key > highest:
                strictest, highest = rule, key
    return strictest, why


def _doubt(rule: Rule, request: Reading) -> str:
    if rule.hosts is not None and request.host is None:
        return "an unreadable host"
    if rule.methods is not None and request.method is None:
        return "no method"
    return "a path whose case decides"


def _strictness(policy: str, max_age: timedelta | None) -> tuple[int, int, float]:
    return STRICTNESS[policy], max_age is not None, -(max_age.total_seconds() if max_age else 0)


def decide(rules: Rules, request: Reading, session: Session | None, now: datetime | None = None) -> Decision:
    """The rule that decides `request` and the outcome for the live `session` (None: none presented)."""
    rule, why = choose(rules, request)
    policy, max_age = (rule.policy, rule.max_age) if rule else (rules.default, None)
    result = outcome(policy, max_age, session, now)
    return Decision(rule.name if rule else None, policy, result, session is not None and result == ALLOW, max_age, why)


def outcome(policy: str, max_age: timedelta | None, session: Session | None, now: datetime | None = None) -> str:
    """What `policy` (with `max_age`) means for `session`: one of OUTCOMES."""
    if policy == DENY:
        return DENIED
    if policy == BYPASS:
        return ALLOW
    if session is None:
        return SIGN_IN
    if policy == TWO_FACTOR and SECOND_FACTORS.isdisjoint(session.methods):
        return TWO_FACTOR_REQUIRED
    if max_age is not None and (session.authenticated_at is None
                                or (now or datetime.now(timezone.utc)) - session.authenticated_at >= max_age):
        return REAUTHENTICATE
    return ALLOW
