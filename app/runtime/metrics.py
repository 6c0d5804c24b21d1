"""The Prometheus metrics (docs/operations.md, "Metrics"): defined once, counted where things happen.

Imports only prometheus_client, so the login limiter (an extension) and the views can both
count without importing each other or a service. Under gunicorn with GATEHOUSE_METRICS_BIND
set, gunicorn.conf.py points PROMETHEUS_MULTIPROC_DIR at a fresh folder before any worker
starts; prometheus_client then keeps every value in a per-process file, and the listener in
gunicorn's master adds them up (app/runtime/metrics_listener.py). Otherwise the values simply
live in the process and nobody reads them.

Every labelled series is resolved here, once: counting on the hot path (forward-auth verify)
is one `inc()`, a lock and, in multiprocess mode, one write into a memory-mapped file.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

LOGINS = Counter(
    "gatehouse_logins",
    "Guarded password and code checks by outcome: success, failure (wrong), blocked (429, before any check), "
    "busy (503: no check slot free, or the limiter's store unreachable).",
    ["result"],
)
LOGIN_SUCCESS = LOGINS.labels(result="success")
LOGIN_FAILURE = LOGINS.labels(result="failure")
LOGIN_BLOCKED = LOGINS.labels(result="blocked")
LOGIN_BUSY = LOGINS.labels(result="busy")

VERIFY = Counter("gatehouse_verify", "Forward-auth answers: allowed (2xx) or denied (401, or a redirect to sign in).",
                 ["result"])
VERIFY_ALLOWED = VERIFY.labels(result="allowed")
VERIFY_DENIED = VERIFY.labels(result="denied")
# Which access rule decided each forward-auth answer, and what it decided (docs/access.md):
# rule is a rule's name or "(default)", decision one of allow, sign_in, reauthenticate,
# two_factor_required, deny. Bounded by the rules file: rules × 5 series. Resolved once per
# pair (app/web/forward.py keeps them), not per request.
FORWARD_AUTH = Counter("gatehouse_forward_auth",
                       "Forward-auth answers by the access rule that decided them and its outcome.", ["rule", "decision"])

# Sampled by the process holding the instance lease (the same answer from any worker: the
# newest sample of a live process wins).
SESSIONS_ACTIVE = Gauge(
    "gatehouse_sessions_active", "Sessions neither ended nor expired (sampled every few seconds).",
    multiprocess_mode="livemostrecent",
)
LIMITER_CLIENTS = Gauge(
    "gatehouse_limiter_clients", "Clients (addresses, trusted devices) the login limiter holds a record for.",
    multiprocess_mode="livemostrecent",
)
# Counted where a check takes and frees its slot; every live worker's count is added up.
CHECKS_IN_FLIGHT = Gauge(
    "gatehouse_password_checks_in_flight", "Password (or code) checks running right now, all workers together.",
    multiprocess_mode="livesum",
)


def count_check(_sender, check) -> None:
    """Subscriber of `secret_checked` (app/signals.py): a failure, or a check that finished a sign-in."""
    if not check.ok:
        LOGIN_FAILURE.inc()
    elif check.final:
        LOGIN_SUCCESS.inc()

# The OpenID Provider (docs/oidc.md): tokens issued at the token endpoint, by grant.
OIDC_TOKENS = Counter("gatehouse_oidc_tokens", "Tokens issued to apps by the OpenID Provider, by grant: "
                      "authorization_code (a sign-in) or refresh_token.", ["grant"])
OIDC_TOKENS_CODE = OIDC_TOKENS.labels(grant="authorization_code")
OIDC_TOKENS_REFRESH = OIDC_TOKENS.labels(grant="refresh_token")
