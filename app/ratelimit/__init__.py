"""Abuse resistance for the password checks (docs/security.md, "Login limiter"): the login limiter extension and its parts.

policy (the rules), limits (the state behind one interface: in the process, or redis_limits with
redis_scripts for several workers), tracker (bounded memory), store (the database behind it; tables in
app/models.py), devices (device cookies), slots (bounded bcrypt checks), extension (the Flask glue:
the `guarded` decorator and `run_check`). `gatehouse unblock` is in app/cli/unblock.py.
"""

from app.ratelimit.extension import LoginLimiter

__all__ = ["LoginLimiter"]
