"""Abuse resistance for the password checks (SPEC §8): the login limiter extension and its parts.

policy (the rules), limits (the state behind one interface: in the process, or redis_limits with
redis_scripts for several workers), tracker (bounded memory), store (the database behind it; tables in
app/models.py), devices (device cookies), slots (bounded bcrypt checks), extension (the Flask glue),
cli (`gatehouse unblock`).
"""

from app.ratelimit.extension import GUARDED, ISSUES_DEVICE, LoginLimiter

__all__ = ["GUARDED", "ISSUES_DEVICE", "LoginLimiter"]
