"""One secret check, run the one way: bounded by the login limiter, then its outcome published.

Every service that checks a secret a client sent (the password, a code, a passkey, the setup
code) calls `check`. The limiter holds one of its check slots while the check runs (503 when
none is free, app/ratelimit/slots.py), and the outcome goes out once as `secret_checked`
(app/signals.py): the limiter settles the request's attempt with it, the log line fail2ban
reads and the sign-in activity are written from it, and the metrics count it.
"""

from __future__ import annotations

from typing import Callable

from app import signals
from app.extensions import limiter

def check(secret_is_right: Callable[[], bool], *, step: str | Callable[[], str], ip: str | None,
          user_agent: str | None = None, kind: str | None = None, detail: str | None = None,
          final: bool | Callable[[], bool] = True) -> bool:
    """Run `secret_is_right` as this request's guarded check and publish what it found.

    `step` names what was checked ("password", "code", "passkey", "setup code"); a callable is
    asked after the check, for a check of several parts that knows only then which one failed.
    `final=False`: a right answer that does not finish the sign-in (the password when a code is
    owed); a callable is asked after the check too. :raise ChecksBusy: (503) no free check slot; nothing is published.
    """
    ok = limiter.run_check(secret_is_right)
    signals.publish(signals.secret_checked, check=signals.SecretCheck(
        ok=ok, step=step() if callable(step) else step, ip=ip, user_agent=user_agent, kind=kind, detail=detail,
        final=final() if callable(final) else final))
    return ok
