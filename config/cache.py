"""The Redis cache, made to read as an empty cache while Redis is unreachable.

Every page reads the cache (the kudos rank table and rank notices, cached fragments, allauth's
rate limits), so with Django's plain RedisCache a Redis outage turns every request into an
error page. Here a lost connection makes reads miss and writes do nothing, with a warning in
the log, and the site keeps serving from the database. Counting is different: ``incr`` and
``decr`` still raise, so a caller that counts (community.limits) knows it has no counter and
falls back to its own plan (see SECURITY.md). allauth's sign-in rate limits read as "no
attempts yet" during an outage: they fail open, as sign-in itself must keep working.

Only connection and timeout errors are treated so; any other Redis error is a bug and raises.
"""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


_last_warning = 0.0


def _warn(exc: Exception, operation: str) -> None:
    """One warning a minute per process, not one per cache call, while Redis is away."""
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= 60:
        _last_warning = now
        logger.warning("Cache unreachable (%s: %s): %s and every read answer as a miss.", type(exc).__name__, exc, operation)


def _missing_on_outage(result):
    """Decorate a cache method to answer ``result(args, kwargs)`` when Redis is unreachable."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                _warn(exc, method.__name__)
                return result(args, kwargs)

        return wrapper

    return decorate


def _default(args, kwargs):
    return kwargs.get("default", args[1] if len(args) > 1 else None)


class PooledRedisCacheClient(RedisCacheClient):
    """Django's client builds a new redis-py client object for every cache call (about 30 µs
    and a dozen calls a page); redis-py clients are thread-safe over their connection pool, so
    one per pool is kept and reused."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledRedisCacheClient

    get = _missing_on_outage(_default)(RedisCache.get)
    get_many = _missing_on_outage(lambda a, k: {})(RedisCache.get_many)
    has_key = _missing_on_outage(lambda a, k: False)(RedisCache.has_key)
    add = _missing_on_outage(lambda a, k: False)(RedisCache.add)
    set = _missing_on_outage(lambda a, k: None)(RedisCache.set)
    set_many = _missing_on_outage(lambda a, k: list(a[0]) if a else [])(RedisCache.set_many)
    touch = _missing_on_outage(lambda a, k: False)(RedisCache.touch)
    delete = _missing_on_outage(lambda a, k: False)(RedisCache.delete)
    delete_many = _missing_on_outage(lambda a, k: None)(RedisCache.delete_many)
    clear = _missing_on_outage(lambda a, k: False)(RedisCache.clear)
    # incr and decr raise: see the module docstring.
