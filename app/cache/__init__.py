"""Session cache: the protocol, its backends, and the Flask extension that picks one.

The cache only saves database reads. It is keyed by token hash, an entry never outlives
`GATEHOUSE_CACHE_TTL_SECONDS` or the session itself, and revocation removes it at once.
"""

from app.cache.base import CachedSession, SessionCache
from app.cache.extension import SessionCacheExtension

__all__ = ["CachedSession", "SessionCache", "SessionCacheExtension"]
