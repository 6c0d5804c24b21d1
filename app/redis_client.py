"""The one way Gatehouse opens Redis (session cache and login limiter alike).

Short timeouts, never retried, so a stalled Redis costs a request at most half a second;
and a start-up error naming the setting when redis-py is missing or the URL is wrong.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Mapping

from app.config import ConfigError


def connect(url: str, timeout: float = 0.5):
    """A client that gives up fast; one immediate retry only for a dropped connection
    (a stale pooled socket after a Redis restart)."""
    import redis  # redis-py is an optional dependency (setup.cfg's `redis` extra): only when Redis is used
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)), decode_responses=True,
    )


def client_from_config(config: Mapping[str, Any], needed_by: str):
    """The client for GATEHOUSE_REDIS_URL. :raise ConfigError: no redis-py, or a bad URL."""
    if importlib.util.find_spec("redis") is None:
        raise ConfigError(f"{needed_by} needs redis-py: pip install 'gatehouse[redis]'")
    try:
        return connect(config["GATEHOUSE_REDIS_URL"])
    except ValueError as exc:
        raise ConfigError(f"GATEHOUSE_REDIS_URL is invalid: {exc}") from None
