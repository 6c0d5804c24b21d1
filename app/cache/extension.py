"""The session cache as a Flask extension (shaped like Flask-WTF's CSRFProtect)."""

from __future__ import annotations

from flask import Flask, current_app

from app.cache.base import SessionCache
from app.cache.memory import MemoryCache
from app.cache.null import NullCache
from app.config import ConfigError
from app.redis_client import client_from_config


def build_backend(config) -> SessionCache:
    """The backend named by GATEHOUSE_CACHE (redis-py is only imported when Redis is used)."""
    name = config["GATEHOUSE_CACHE"]
    if name == "memory":
        return MemoryCache(config["GATEHOUSE_CACHE_MAX_ENTRIES"], tombstone_seconds=config["GATEHOUSE_CACHE_TTL_SECONDS"])
    if name == "none":
        return NullCache()
    if name == "redis":
        client = client_from_config(config, "GATEHOUSE_CACHE=redis")
        from app.cache.redis import RedisCache  # imports redis-py, an optional dependency

        ttl = config["GATEHOUSE_CACHE_TTL_SECONDS"]
        return RedisCache(client, config["GATEHOUSE_REDIS_PREFIX"], tombstone_seconds=ttl)
    raise ConfigError(f"GATEHOUSE_CACHE={name!r} is not available in this build")


class SessionCacheExtension:
    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        app.extensions["gatehouse.cache"] = build_backend(app.config)

    @property
    def backend(self) -> SessionCache:
        return current_app._get_current_object().extensions["gatehouse.cache"]  # docs/performance.md

    @property
    def ttl(self) -> int:
        return current_app.config["GATEHOUSE_CACHE_TTL_SECONDS"]
